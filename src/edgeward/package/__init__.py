"""Model packages: the manifest schema and the local store."""
