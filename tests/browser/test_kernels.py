"""Edgeward's WASM kernels in real Chromium: their outputs are the oracle's (edgeward.kernels.oracle) bit for
bit, and the runtime's backend 'kernels' gives Python's poses from the same file."""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from skimage import data

from edgeward.browser.harness import js_pose_options, package_url, run_in_page
from edgeward.kernels import oracle
from edgeward.kernels.plan import read_plan, write_plan
from edgeward.package.manifest import read_manifest
from edgeward.runtime.preprocess import letterbox
from edgeward.tasks.handles import TaskHandle
from tests.browser.conftest import OpenedPage, harness_page
from tests.browser.test_parity import assert_same_poses
from tests.web.kernels_fixtures import small_plan

pytestmark = pytest.mark.browser

RUN = """async ([planUrl, planB64, b64, dims]) => {
  const { KernelNet, kernelsModule } = await import('/runtime/kernels/net.js');
  const bytes = planUrl ? await (await fetch(planUrl)).arrayBuffer()
    : Uint8Array.from(atob(planB64), (c) => c.charCodeAt(0));
  const net = await KernelNet.create(await kernelsModule(), bytes, planUrl || 'plan');
  const input = new Float32Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
  const out = await net.run({ [net.inputNames[0]]: { data: input, dims } });
  const enc = (a) => btoa(Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
    (b) => String.fromCharCode(b)).join(''));
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: v.dims, b64: enc(v.data) }]));
}"""


@pytest.fixture(scope="module")
def harness(playwright_instance: Any, server_url: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    with harness_page(playwright_instance, server_url, tmp_path_factory) as opened:
        yield opened


def run_kernels(page: Any, image: np.ndarray, plan_url: str | None = None,
                plan_bytes: bytes | None = None) -> dict[str, np.ndarray]:
    x = np.ascontiguousarray(image, np.float32)
    out = page.evaluate(RUN, [plan_url, base64.b64encode(plan_bytes or b"").decode(),
                              base64.b64encode(x.tobytes()).decode(), list(x.shape)])
    return {k: np.frombuffer(base64.b64decode(v["b64"]), np.float32).reshape(v["dims"]) for k, v in out.items()}


@pytest.mark.parametrize("size", [(385, 385), (257, 257), (193, 257)])
def test_posenet_on_the_kernels_gives_the_oracles_outputs_bit_for_bit(harness: OpenedPage, posenet_dir: Path,
                                                                       size: tuple[int, int]) -> None:
    manifest = read_manifest(posenet_dir / "manifest.json")
    entry = manifest.files["int8-kernels"]
    plan = read_plan(posenet_dir / entry.path)
    x, _ = letterbox(data.astronaut(), manifest.preprocess.model_copy(update={"size": list(size)}))
    got = run_kernels(harness.page, x, package_url("posenet") + entry.path)
    want = oracle.run(plan, x)
    assert list(got) == list(want)
    for name in want:
        assert got[name].shape == want[name].shape
        assert np.array_equal(got[name], want[name]), (name, int((got[name] != want[name]).sum()))
    assert not harness.errors


@pytest.mark.parametrize("hw", [(11, 9), (8, 8), (1, 1), (2, 7)])
def test_a_small_net_reaching_every_edge_of_the_kernels_gives_the_oracles_outputs(harness: OpenedPage,
                                                                                  hw: tuple[int, int]) -> None:
    plan = small_plan()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "small.ewk"
        write_plan(plan, path)
        plan_bytes = path.read_bytes()
    x = np.random.default_rng(hw[0] * 31 + hw[1]).uniform(-1, 1, (1, *hw, 3)).astype(np.float32)
    got = run_kernels(harness.page, x, plan_bytes=plan_bytes)
    want = oracle.run(plan, x)
    for name in want:
        assert np.array_equal(got[name], want[name]), name


@pytest.mark.parametrize("asked", [{"backend": "kernels"}, {}], ids=["asked", "unasked"])
def test_the_kernels_backend_gives_pythons_poses_from_the_same_file(harness: OpenedPage, posenet_dir: Path,
                                                                     astronaut: Path, camera: Path,
                                                                     asked: dict[str, str]) -> None:
    """Asked for, or unasked (the package has int8-kernels, the browser no WebGPU adapter): the kernels run."""
    import edgeward

    py_model: TaskHandle = edgeward.load(str(posenet_dir), variant="int8-kernels")
    for photo, opts in ((astronaut, {"max_poses": 5, "score_threshold": 0.3}),
                        (camera, {"max_poses": 1, "score_threshold": 0.3, "flip_horizontal": True})):
        py = py_model.estimate_poses(photo, **opts)
        js = run_in_page(harness.page, package_url("posenet"), photo.read_bytes(), js_pose_options(**opts), asked)
        assert js["backend"] == {"name": "kernels", "threads": 1, "reason": None, "variant": "int8-kernels"}
        assert py and assert_same_poses(py, js["poses"]) >= 5
    assert not harness.errors


def test_asked_for_another_variant_the_kernels_backend_falls_back_and_says_why(harness: OpenedPage,
                                                                                camera: Path) -> None:
    js = run_in_page(harness.page, package_url("posenet"), camera.read_bytes(), js_pose_options(max_poses=1),
                     {"backend": "kernels", "variant": "fp32"})
    assert js["backend"]["name"] in ("wasm", "webgpu") and js["backend"]["variant"] == "fp32"
    assert "backend 'kernels': variant 'fp32' was asked for" in js["backend"]["reason"]
    # unasked for a backend, a variant asked for runs on onnxruntime-web with nothing to explain about the kernels
    js = run_in_page(harness.page, package_url("posenet"), camera.read_bytes(), js_pose_options(max_poses=1),
                     {"variant": "fp32"})
    assert js["backend"]["name"] == "wasm" and "kernels" not in (js["backend"]["reason"] or "")
