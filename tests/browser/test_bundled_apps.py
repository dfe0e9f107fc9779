"""The playground on web/tools/build.mjs's bundles, in real headless Chromium: one visit online, then offline.

The page loads one module and its worker one (no runtime module is fetched), a photo gives the right pose,
the service worker keeps the bundles and the chunks the worker imports on first use, and with the server
stopped and the context offline the reloaded page runs the model again from its caches.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from edgeward.browser.chromium import launch_chromium
from edgeward.server.app import create_app
from edgeward.server.background import serve_in_thread
from tests.server.built_web import built_web, settings_for

pytestmark = pytest.mark.browser

READY = "() => document.body.dataset.status && document.body.dataset.status !== 'loading'"
# every script or module the page and its workers fetched (a module worker's fetches are the page's entries)
SCRIPTS = ("performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)"
           ".filter((p) => /\\.m?js$/.test(p))")
IN_CACHES = "(urls) => Promise.all(urls.map(async (u) => Boolean(await caches.match(u))))"


def _pose(page: Any, astronaut: Path) -> list[dict[str, Any]]:
    page.wait_for_function(READY, timeout=60_000)
    assert page.evaluate("document.body.dataset.status") == "ready", page.inner_text("#error")
    page.set_input_files("#file", str(astronaut))
    page.wait_for_function("() => window.playground.framesDone >= 1", timeout=60_000)
    poses: list[dict[str, Any]] = page.evaluate("window.playground.lastPoses")
    return poses


def test_the_bundled_playground_online_then_offline(playwright_instance: Any, posenet_dir: Path, tmp_path: Path,
                                                    astronaut: Path) -> None:
    web = built_web(tmp_path)
    worker = next(b for b in json.loads((web / "dist" / "build.json").read_text())["bundles"]
                  if b["url"] == "/apps/playground/worker.js")
    chunks = ["/apps/playground/" + f.removeprefix("apps/playground/") for f in worker["files"][1:]]
    assert chunks
    server = contextlib.ExitStack()
    base = server.enter_context(serve_in_thread(app=create_app(settings_for(web))))
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(base + "/apps/playground/")
        poses = _pose(page, astronaut)
        nose = poses[0]["keypoints"][0]
        assert len(poses) == 1 and nose["name"] == "nose" and nose["score"] > 0.9, poses
        scripts = page.evaluate(SCRIPTS)
        assert "/apps/playground/app.js" in scripts and "/apps/playground/worker.js" in scripts, scripts
        assert not [s for s in scripts if s.startswith(("/runtime/", "/apps/kit/"))], scripts  # all in the bundles
        page.wait_for_function("() => window.playground.offlineReady || window.playground.offlineError",
                               timeout=60_000)
        assert page.evaluate("window.playground.offlineError") is None
        assert page.evaluate(IN_CACHES, [base + c for c in chunks]) == [True] * len(chunks), "chunks not kept"

        context.set_offline(True)
        server.close()
        page.reload()
        again = _pose(page, astronaut)
        assert page.evaluate("window.playground.cache.from") == "cache"
        assert [k["score"] for k in again[0]["keypoints"]] == pytest.approx([k["score"] for k in poses[0]["keypoints"]],
                                                                           abs=1e-5)
        assert errors == [] and page.evaluate("window.playground.errors") == []
    finally:
        server.close()
        context.close()
