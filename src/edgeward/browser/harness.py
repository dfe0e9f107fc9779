"""Run the browser runtime from Python: serve the app, drive headless Chromium, return its answer."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from edgeward.errors import BrowserError, ImageError, OptionError
from edgeward.package.store import package_dir
from edgeward.runtime.image import load_image

HARNESS_PATH = "/apps/harness/"
_JS_OPTIONS = {"max_poses": "maxPoses", "score_threshold": "scoreThreshold", "nms_radius": "nmsRadius",
               "flip_horizontal": "flipHorizontal", "roi": "roi", "resize": "resize"}


def package_url(spec: str) -> str:
    """The server URL of a package in the local store (``name`` or ``name@x.y.z``)."""
    if Path(spec).exists():
        raise OptionError(f"{spec}: --browser runs packages from the store (NAME or NAME@X.Y.Z), not folders")
    directory = package_dir(spec)
    return f"/models/{directory.parent.name}/{directory.name}/"


def js_pose_options(**opts: Any) -> dict[str, Any]:
    return {_JS_OPTIONS[k]: v for k, v in opts.items()}


def run_in_page(page: Any, pkg_url: str, image_bytes: bytes, task_opts: dict[str, Any],
                runtime_opts: dict[str, Any] | None = None, method: str = "estimate") -> dict[str, Any]:
    """Run a harness method ('estimate' for poses, 'detect') in an open harness page; browser errors
    become BrowserError (or ImageError) carrying the JS error's name."""
    script = """async ([method, url, b64, opts, rt]) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        try { return await window.edgewardHarness[method](url, bytes, opts, rt); }
        catch (e) { return {error: {name: e.name, message: e.message}}; }
    }"""
    result: dict[str, Any] = page.evaluate(
        script, [method, pkg_url, base64.b64encode(image_bytes).decode(), task_opts, runtime_opts or {}])
    if "error" in result:
        err = result["error"]
        cls = ImageError if err["name"] == "ImageError" else BrowserError
        raise cls(f"browser: {err['name']}: {err['message']}")
    return result


def estimate_poses_in_browser(model: str, image: Path, variant: str = "fp32", **opts: Any) -> list[dict[str, Any]]:
    """``edgeward pose IMAGE --browser``: the same estimation on the same package file (``variant``, not the
    one the browser would pick for its backend), computed by the browser runtime."""
    from edgeward.browser.chromium import chromium_context
    from edgeward.server.background import serve_in_thread
    from edgeward.vendor import check_runtime_files

    load_image(image)
    pkg = package_url(model)
    check_runtime_files()  # a clear error, not a harness page that never gets ready
    errors: list[str] = []
    with serve_in_thread() as base, chromium_context() as context:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + HARNESS_PATH)
        try:
            page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        except Exception as e:
            raise BrowserError(f"the harness page did not load ({'; '.join(errors) or e})") from None
        result = run_in_page(page, pkg, Path(image).read_bytes(), js_pose_options(**opts), {"variant": variant})
    poses: list[dict[str, Any]] = result["poses"]
    return poses

