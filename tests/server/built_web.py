"""A copy of web/ (its sources; the checkout's node_modules linked) with web/tools/build.mjs's bundles built."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from edgeward.settings import Settings, get_settings

WEB = Path(__file__).parents[2] / "web"


def built_web(folder: Path) -> Path:
    """``folder``/web: apps, src, tools, kernels and package.json copied, node_modules linked, then built (needs
    node)."""
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules" / "vite").is_dir():
        pytest.fail("web/tools/build.mjs needs node and web/node_modules (scripts/setup.sh installs both)")
    web = folder / "web"
    for name in ("apps", "src", "tools", "kernels"):
        shutil.copytree(WEB / name, web / name)
    shutil.copy2(WEB / "package.json", web / "package.json")
    (web / "node_modules").symlink_to(WEB / "node_modules", target_is_directory=True)
    subprocess.run([node, "tools/build.mjs"], cwd=web, check=True, capture_output=True, timeout=300)
    return web


def settings_for(web: Path, **changes: object) -> Settings:
    """The settings with ``web`` as the web root (onnxruntime-web still from the checkout)."""
    return replace(get_settings(), web_root=web, node_modules=WEB / "node_modules", **changes)  # type: ignore[arg-type]
