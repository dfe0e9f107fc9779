"""Hatch build hook: ship onnxruntime-web's runtime files, which `edgeward serve` serves, in the wheel.

They come from web/node_modules (`npm ci` in web/) and land where a checkout has them, under
edgeward/web/node_modules/onnxruntime-web/, so the installed package finds them by the same rule
(edgeward.settings). The list is edgeward.vendor.ONNXRUNTIME_WEB_FILES: only what the runtime loads.
An sdist carries them at web/node_modules/... too, so a wheel built from it has them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _vendor_module(root: Path) -> ModuleType:
    """src/edgeward/vendor.py, loaded by path: the build environment does not have the package's dependencies."""
    spec = importlib.util.spec_from_file_location("_edgeward_vendor", root / "src" / "edgeward" / "vendor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class VendorFilesHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":  # an editable install runs from the checkout's web/node_modules
            return
        root = Path(self.root)
        vendor = _vendor_module(root)
        package = root / "web" / "node_modules" / vendor.ONNXRUNTIME_WEB
        missing = [f for f in vendor.ONNXRUNTIME_WEB_FILES if not (package / f).is_file()]
        if missing:
            raise RuntimeError(
                f"{package}: onnxruntime-web's runtime files are missing ({', '.join(missing)}), and the "
                f"{self.target_name} ships them: run `npm ci` in web/ first (scripts/setup.sh does)")
        inside = "edgeward/web" if self.target_name == "wheel" else "web"
        if (root / "web" / "dist" / "build.json").is_file():  # the pages' bundles (web/tools/build.mjs), when built:
            build_data["force_include"][str(root / "web" / "dist")] = f"{inside}/dist"  # served while they match
        for rel in vendor.ONNXRUNTIME_WEB_FILES:
            build_data["force_include"][str(package / rel)] = f"{inside}/node_modules/{vendor.ONNXRUNTIME_WEB}/{rel}"
