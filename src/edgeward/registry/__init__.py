"""The model registry: content-addressed blobs on disk, metadata in SQL, an HTTP API and its client."""
