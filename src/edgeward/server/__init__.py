"""HTTP server: the browser runtime, demo apps and model packages, cross-origin isolated."""

from edgeward.server.app import create_app, serve

__all__ = ["create_app", "serve"]
