"""The playground as an offline-first PWA, in real headless Chromium.

One visit online; then the browser context is set offline *and* the server is shut down (so nothing
can come from the network, whatever Chromium's offline emulation covers), the page is reloaded and
a pose is estimated on a photo: the app, the runtime, onnxruntime-web and the package manifest come
from the service worker's cache, the model bytes from the runtime's verified cache.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edgeward.browser.chromium import launch_chromium
from edgeward.package.manifest import MANIFEST_FILE, read_manifest
from edgeward.server.background import serve_in_thread
from tests.browser.conftest import browser_backend, browser_variant

pytestmark = pytest.mark.browser

READY = "() => document.body.dataset.status && document.body.dataset.status !== 'loading'"


@contextlib.contextmanager
def _collect(page: Any) -> Iterator[list[str]]:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(f"pageerror: {err}"))

    def on_console(m: Any) -> None:
        # Chromium fetches the favicon itself, never through a service worker: offline it fails.
        if m.type == "error" and "favicon" not in (m.location or {}).get("url", ""):
            errors.append(f"console {m.type}: {m.text} ({m.location})")

    page.on("console", on_console)
    yield errors


def test_playground_works_offline_after_one_visit(playwright_instance: Any, posenet_dir: Path,
                                                  tmp_path: Path, astronaut: Path) -> None:
    server = contextlib.ExitStack()
    base = server.enter_context(serve_in_thread())
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    try:
        page = context.new_page()
        with _collect(page) as errors:
            page.goto(base + "/apps/playground/")
            page.wait_for_function(READY, timeout=60_000)
            assert page.evaluate("document.body.dataset.status") == "ready", errors
            page.wait_for_function("() => window.playground.offlineReady || window.playground.offlineError",
                                   timeout=60_000)
            assert page.evaluate("window.playground.offlineError") is None
            first = page.evaluate("window.playground.cache")
            assert first["from"] == "network" and first["stored"] == "cache", first
            progress = page.evaluate("window.playground.progress")
            assert progress and progress[-1]["loaded"] == progress[-1]["total"] > 1_000_000
            manifest = read_manifest(posenet_dir / MANIFEST_FILE)
            model_file = manifest.files[browser_variant(manifest)].path  # unasked: the kernels' file where there is one
            assert all(p["file"].endswith(model_file) for p in progress), (progress[-1], model_file)
            assert page.evaluate("navigator.serviceWorker.controller !== null")

            context.set_offline(True)
            server.close()  # and stop the server: from here on nothing can come from the network
            page.reload()
            page.wait_for_function(READY, timeout=60_000)
            assert page.evaluate("document.body.dataset.status") == "ready", errors
            assert page.evaluate("crossOriginIsolated") is True  # headers came back from the SW cache
            warm = page.evaluate("window.playground.cache")
            assert warm["from"] == "cache", warm
            assert page.evaluate("window.playground.backend.name") == browser_backend(manifest)
            page.set_input_files("#file", str(astronaut))
            page.wait_for_function("() => window.playground.framesDone >= 1", timeout=30_000)
            poses = page.evaluate("window.playground.lastPoses")
            assert len(poses) == 1 and poses[0]["keypoints"][0]["score"] > 0.9
            assert page.evaluate("window.playground.errors") == []
            page.screenshot(path=str(tmp_path / "offline.png"))
        assert errors == [], errors
    finally:
        context.close()
        server.close()
