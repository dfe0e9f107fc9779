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
    """Where onnxruntime-web and TF.js are installed by `npm ci` (EDGEWARD_NODE_MODULES)."""
    chromium: Path
    """The Chromium binary Playwright drives (EDGEWARD_CHROMIUM)."""

    @property
    def packages_dir(self) -> Path:
        return self.home / "packages"

    @property
    def npm_dir(self) -> Path:
        return self.home / "npm"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    home = Path(os.environ.get("EDGEWARD_HOME", Path.home() / ".cache" / "edgeward")).expanduser()
    web_root = Path(os.environ.get("EDGEWARD_WEB_ROOT", _source_web_root()))
    node_modules = Path(os.environ.get("EDGEWARD_NODE_MODULES", web_root / "node_modules"))
    chromium = Path(os.environ.get("EDGEWARD_CHROMIUM", "/usr/bin/chromium"))
    return Settings(home=home, web_root=web_root, node_modules=node_modules, chromium=chromium)
