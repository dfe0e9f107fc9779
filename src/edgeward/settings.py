"""One typed settings object, read once from the environment (CLI flags override per command)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


def _source_web_root() -> Path:
    # Installed wheels carry web/ as package data; a source checkout keeps it at the repo root.
    packaged = Path(__file__).parent / "web"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "web"


@dataclass(frozen=True)
class Settings:
    home: Path
    """Where packages, npm caches and built zoo models live (EDGEWARD_HOME)."""
    web_root: Path
    """The browser runtime and apps (EDGEWARD_WEB_ROOT)."""
    node_modules: Path
    """onnxruntime-web (and, in a checkout, TF.js): web/node_modules from `npm ci`, or the copy of the runtime's
    files an installed wheel ships at the same place (EDGEWARD_NODE_MODULES; see edgeward.vendor)."""
    chromium: Path
    """The Chromium binary Playwright drives (EDGEWARD_CHROMIUM)."""
    registry_url: str | None = None
    """A registry that `edgeward.load("name@^1")` and `edgeward pull` resolve from (EDGEWARD_REGISTRY_URL)."""
    registry_token: str | None = None
    """Bearer token: the server accepts publishes with it; the client sends it (EDGEWARD_REGISTRY_TOKEN)."""
    database_url: str | None = None
    """Registry metadata, SQLAlchemy URL; default sqlite under home (EDGEWARD_DATABASE_URL)."""
    blob_dir: Path | None = None
    """Registry blobs, content-addressed; default home/registry/blobs (EDGEWARD_BLOB_DIR)."""
    max_upload_bytes: int = 512 * 1024 * 1024
    """Largest file the registry accepts in one upload (EDGEWARD_MAX_UPLOAD_BYTES)."""

    @property
    def packages_dir(self) -> Path:
        return self.home / "packages"

    @property
    def npm_dir(self) -> Path:
        return self.home / "npm"

    @property
    def registry_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'registry' / 'registry.db'}"

    @property
    def registry_blob_dir(self) -> Path:
        return self.blob_dir or self.home / "registry" / "blobs"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    home = Path(os.environ.get("EDGEWARD_HOME", Path.home() / ".cache" / "edgeward")).expanduser()
    web_root = Path(os.environ.get("EDGEWARD_WEB_ROOT", _source_web_root()))
    node_modules = Path(os.environ.get("EDGEWARD_NODE_MODULES", web_root / "node_modules"))
    chromium = Path(os.environ.get("EDGEWARD_CHROMIUM", "/usr/bin/chromium"))
    blob_dir = os.environ.get("EDGEWARD_BLOB_DIR")
    return Settings(
        home=home, web_root=web_root, node_modules=node_modules, chromium=chromium,
        registry_url=os.environ.get("EDGEWARD_REGISTRY_URL") or None,
        registry_token=os.environ.get("EDGEWARD_REGISTRY_TOKEN") or None,
        database_url=os.environ.get("EDGEWARD_DATABASE_URL") or None,
        blob_dir=Path(blob_dir).expanduser() if blob_dir else None,
        max_upload_bytes=int(os.environ.get("EDGEWARD_MAX_UPLOAD_BYTES", 512 * 1024 * 1024)),
    )
