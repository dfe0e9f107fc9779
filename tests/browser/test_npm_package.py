"""The browser runtime loads a model installed from an npm tarball (``edgeward pack --npm`` →
``npm install ./file.tgz`` in a fresh frontend project), served from ``node_modules`` with COOP/COEP,
in real Chromium, and gives Python's poses: the same ones when it runs fp32, as the accuracy gate promised
when it runs the variant made for WASM (the tarball carries it where the package does)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.staticfiles import StaticFiles

import edgeward
from edgeward.browser.chromium import launch_chromium
from edgeward.browser.harness import HARNESS_PATH, js_pose_options, run_in_page
from edgeward.server.app import create_app
from edgeward.server.background import serve_in_thread
from tests.browser.test_parity import assert_gate_agreement, assert_same_poses
from tests.package.test_npm_install import frontend

pytestmark = pytest.mark.browser
__all__ = ["frontend"]


@contextmanager
def serve_frontend(project: Path) -> Iterator[str]:
    """The Edgeward runtime plus the project's folder under /project/, all cross-origin isolated."""
    app = create_app()
    app.mount("/project", StaticFiles(directory=project), name="project")
    with serve_in_thread(app=app) as base:
        yield base

def test_browser_runtime_loads_the_model_from_node_modules(frontend: Path, astronaut: Path, playwright_instance: Any,
                                                           tmp_path: Path) -> None:
    opts = {"max_poses": 1, "score_threshold": 0.3}
    url = "/project/node_modules/@edgeward-models/posenet/"
    errors: list[str] = []
    with serve_frontend(frontend) as base:
        context = launch_chromium(playwright_instance, tmp_path / "profile")
        try:
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(base + HARNESS_PATH)
            page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)  # CSP: no eval
            assert page.evaluate("() => crossOriginIsolated")
            js = run_in_page(page, url, astronaut.read_bytes(), js_pose_options(**opts))
        finally:
            context.close()
    py = edgeward.load(str(frontend / "node_modules" / "@edgeward-models" / "posenet")).estimate_poses(
        astronaut, **opts)
    assert not errors
    assert len(js["poses"]) == len(py) == 1
    if js["backend"]["variant"] == "fp32":  # Python's file: the same poses
        assert assert_same_poses(py, js["poses"]) >= 5
    else:  # the variant made for WASM (from the machine that quantized it): as its accuracy gate promised
        assert_gate_agreement(py[0], js["poses"][0], js["backend"]["variant"])
