"""The browser runtime runs the variant a package made for its backend, in real headless Chromium.

This test's own server answers PoseNet's manifest with an extra 'int8-wasm' entry whose report says it
was made for onnxruntime-web WASM (it names the fp32 file, so it verifies and runs; which file the worker
picked is what the runtime reports). The shared zoo package is not touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from edgeward.browser.chromium import launch_chromium
from edgeward.server.app import create_app
from edgeward.server.background import serve_in_thread

pytestmark = pytest.mark.browser

PACKAGE = "/models/posenet/1.0.0/"


def _app(manifest: dict[str, Any]) -> FastAPI:
    app = create_app()
    body = json.dumps(manifest).encode()

    @app.middleware("http")
    async def tuned(request: Request, call_next: Any) -> Response:
        if request.url.path == PACKAGE + "manifest.json":
            return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})
        return await call_next(request)  # type: ignore[no-any-return]

    return app


@pytest.fixture(scope="module")
def page(posenet_dir: Path, playwright_instance: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    manifest = json.loads((posenet_dir / "manifest.json").read_text())
    report = {"method": "test", "bytes_ratio": 1.0, "gate_passed": True, "target": "wasm",
              "wasm_ms": {"fp32_1thread": 100.0, "int8-wasm_1thread": 70.0}}
    manifest["files"]["int8-wasm"] = {**manifest["files"]["fp32"], "report": report}
    with serve_in_thread(app=_app(manifest)) as base:
        context = launch_chromium(playwright_instance, tmp_path_factory.mktemp("profile"))
        try:
            p = context.new_page()
            p.goto(base + "/apps/harness/")
            p.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
            yield p
        finally:
            context.close()


LOAD = """async ([pkg, options]) => {
  const d = await window.edgewardHarness.edgeward.createPoseDetector(pkg, options);
  const backend = d.backend;
  await d.dispose();
  return backend;
}"""


def test_wasm_runs_the_variant_made_for_wasm_unless_told_otherwise(page: Any) -> None:
    made = page.evaluate(LOAD, [PACKAGE, {"backend": "wasm", "numThreads": 1}])
    assert made["name"] == "wasm" and made["variant"] == "int8-wasm", made
    asked = page.evaluate(LOAD, [PACKAGE, {"backend": "wasm", "numThreads": 1, "variant": "fp32"}])
    assert asked["name"] == "wasm" and asked["variant"] == "fp32", asked
