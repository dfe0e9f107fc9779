"""Python (the oracle) and the browser runtime in real Chromium give the same poses."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from edgeward.browser.harness import js_pose_options, package_url, run_in_page
from edgeward.errors import ImageError
from edgeward.package.manifest import pick_variant
from edgeward.runtime.samples import sample_path
from edgeward.tasks.handles import TaskHandle
from tests.browser.conftest import OpenedPage, harness_page

pytestmark = pytest.mark.browser

MAX_PX, MAX_SCORE = 1.5, 0.02
# Python's `posenet` handle runs fp32; so does the browser here (unasked it runs the variant made for its
# backend, int8-wasm where the package has it: test_the_variant_made_for_wasm_matches_python_on_that_file)
FP32 = {"variant": "fp32"}
GATE_PX = 8.0  # edgeward.optimize.gate's default: a keypoint agrees within 8 px
CASES = [
    ("astronaut.png", {"max_poses": 1, "score_threshold": 0.3}),
    ("camera.png", {"max_poses": 1, "score_threshold": 0.3}),
    ("astronaut.png", {"max_poses": 5, "score_threshold": 0.3, "nms_radius": 20.0}),
    ("camera.png", {"max_poses": 5, "score_threshold": 0.2, "nms_radius": 20.0}),
    ("camera.png", {"max_poses": 1, "score_threshold": 0.3, "flip_horizontal": True}),
    # @tensorflow-models/posenet's pre-processing (the pose option resize; runtime/tfjs_resize.py)
    ("camera.png", {"max_poses": 1, "score_threshold": 0.3, "resize": "tfjs-posenet"}),
    ("astronaut.png", {"max_poses": 5, "score_threshold": 0.3, "flip_horizontal": True, "resize": "tfjs-posenet"}),
]


@pytest.fixture(scope="module")
def harness(playwright_instance: Any, server_url: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    """One page for the module: the detector (and its worker) is created once and reused."""
    with harness_page(playwright_instance, server_url, tmp_path_factory) as opened:
        yield opened


def assert_same_poses(py: list[dict[str, Any]], js: list[dict[str, Any]]) -> int:
    assert len(js) == len(py), (len(py), len(js))
    compared = 0
    for p, j in zip(py, js, strict=True):
        assert abs(p["score"] - j["score"]) <= MAX_SCORE
        for a, b in zip(p["keypoints"], j["keypoints"], strict=True):
            assert a["name"] == b["name"]
            if a["score"] >= 0.5 or b["score"] >= 0.5:
                assert abs(a["x"] - b["x"]) <= MAX_PX and abs(a["y"] - b["y"]) <= MAX_PX, (a, b)
                assert abs(a["score"] - b["score"]) <= MAX_SCORE, (a, b)
                compared += 1
    return compared


def assert_gate_agreement(py: dict[str, Any], js: dict[str, Any], what: Any = None) -> None:
    """An accuracy-gated variant's pose against fp32's by the gate's rule: the keypoints fp32 is confident of
    (score ≥ 0.5; at least 5) within GATE_PX, all but one."""
    near = [abs(a["x"] - b["x"]) <= GATE_PX and abs(a["y"] - b["y"]) <= GATE_PX
            for a, b in zip(py["keypoints"], js["keypoints"], strict=True) if a["score"] >= 0.5]
    assert len(near) >= 5 and sum(near) >= len(near) - 1, (what, near)


@pytest.mark.parametrize(("image", "opts"), CASES, ids=[f"{i}-{o}" for i, o in CASES])
def test_browser_matches_python(harness: OpenedPage, posenet: TaskHandle, image: str, opts: dict[str, Any],
                                request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(image.split(".")[0])
    py = posenet.estimate_poses(path, **opts)
    js = run_in_page(harness.page, package_url("posenet"), path.read_bytes(), js_pose_options(**opts), FP32)
    assert py, "the oracle found no pose: the case compares nothing"
    assert assert_same_poses(py, js["poses"]) >= 5
    assert js["backend"]["name"] == "wasm" and js["backend"]["threads"] >= 1 and js["backend"]["variant"] == "fp32"
    assert not harness.errors


def test_the_variant_made_for_wasm_agrees_with_fp32_as_its_gate_promised(harness: OpenedPage, posenet: TaskHandle,
                                                                       astronaut: Path, camera: Path) -> None:
    """On WASM, unasked for a variant, the browser runs the one the package made for WASM (int8-wasm, from
    `edgeward quantize --target wasm`, whose accuracy gate judged onnxruntime-web's own outputs; fp32 where there
    is none). Its poses agree with Python's fp32 by that gate's rule: confident keypoints within 8 px, all but
    one. (With no backend asked, the kernels run where the package has them: tests/browser/test_kernels.py.)"""
    made = pick_variant(posenet.manifest, "wasm")
    for photo in (astronaut, camera):
        opts = {"max_poses": 1, "score_threshold": 0.3}
        js = run_in_page(harness.page, package_url("posenet"), photo.read_bytes(), js_pose_options(**opts),
                         {"backend": "wasm"})
        assert js["backend"]["variant"] == made
        py = posenet.estimate_poses(photo, **opts)
        assert py and len(js["poses"]) == 1
        assert_gate_agreement(py[0], js["poses"][0], (photo.name, made))


@pytest.mark.parametrize("variant", ["movenet_lightning", "movenet_thunder", "movenet_multipose"])
@pytest.mark.parametrize("image", ["astronaut", "camera"])
def test_movenet_browser_matches_python(harness: OpenedPage, variant: str, image: str,
                                        request: pytest.FixtureRequest) -> None:
    model: TaskHandle = request.getfixturevalue(variant)
    path: Path = request.getfixturevalue(image)
    opts = {"max_poses": 1, "score_threshold": 0.2, "flip_horizontal": image == "camera"}
    py = model.estimate_poses(path, **opts)
    js = run_in_page(harness.page, package_url(model.name), path.read_bytes(), js_pose_options(**opts))
    assert py and assert_same_poses(py, js["poses"]) >= 5


def test_multipose_browser_matches_python_on_a_group_photo(harness: OpenedPage, movenet_multipose: TaskHandle,
                                                           party_photo: np.ndarray) -> None:
    buf = io.BytesIO()
    Image.fromarray(party_photo).save(buf, format="PNG")
    opts = {"max_poses": 6, "score_threshold": 0.2}
    py = movenet_multipose.estimate_poses(buf.getvalue(), **opts)
    js = run_in_page(harness.page, package_url("movenet-multipose"), buf.getvalue(), js_pose_options(**opts))
    assert len(py) >= 2 and assert_same_poses(py, js["poses"]) >= 10


def test_single_and_one_thread_backends_agree(harness: OpenedPage, posenet: TaskHandle, camera: Path) -> None:
    opts = {"max_poses": 1, "score_threshold": 0.3}
    one = run_in_page(harness.page, package_url("posenet"), camera.read_bytes(), js_pose_options(**opts),
                      {"numThreads": 1, **FP32})
    assert one["backend"]["threads"] == 1
    assert_same_poses(posenet.estimate_poses(camera, **opts), one["poses"])


@pytest.mark.parametrize("orientation", range(1, 9))
def test_phone_photos_with_exif_orientation_give_pythons_poses(harness: OpenedPage, posenet: TaskHandle,
                                                                orientation: int) -> None:
    """A JPEG as a phone writes it (pixels stored turned, an EXIF tag saying how to view them): both
    runtimes turn it upright first, so the poses agree — and lie where the upright photo has them."""
    from skimage import data

    from tests.runtime.orientations import oriented_jpeg

    upright = data.astronaut()[:, 64:448]  # 512 × 384: a wrong turn changes the frame's shape
    jpeg = oriented_jpeg(upright, orientation)
    opts = {"max_poses": 1, "score_threshold": 0.3}
    py = posenet.estimate_poses(jpeg, **opts)
    js = run_in_page(harness.page, package_url("posenet"), jpeg, js_pose_options(**opts), FP32)["poses"]
    assert py, "the oracle found no pose: the case compares nothing"
    assert assert_same_poses(py, js) >= 5
    reference = posenet.estimate_poses(upright, **opts)[0]["keypoints"]
    nose = next(k for k in py[0]["keypoints"] if k["name"] == "nose")
    ref = next(k for k in reference if k["name"] == "nose")
    assert abs(nose["x"] - ref["x"]) < 6 and abs(nose["y"] - ref["y"]) < 6, (orientation, nose, ref)


def test_non_image_bytes_give_an_image_error(harness: OpenedPage) -> None:
    with pytest.raises(ImageError, match="ImageError"):
        run_in_page(harness.page, package_url("posenet"), b"this is not an image", {})


def test_a_decompression_bomb_is_refused_on_its_header_as_in_python(harness: OpenedPage) -> None:
    from tests.runtime.bombs import bomb_png

    with pytest.raises(ImageError, match=r"the PNG header declares 20000 × 20000 pixels \(400 MP\), over the 67 MP "
                                         r"limit; it was not decoded"):
        run_in_page(harness.page, package_url("posenet"), bomb_png(), {})


@pytest.mark.parametrize("image", ["coffee.png", "chelsea.png", "motorcycle_left.png", "astronaut.png"])
def test_detector_browser_matches_python(harness: OpenedPage, centernet: TaskHandle, image: str) -> None:
    path = sample_path(image)
    py = centernet.detect(path, score_threshold=0.2)
    js = run_in_page(harness.page, package_url("centernet"), path.read_bytes(),
                     {"scoreThreshold": 0.2}, method="detect")["detections"]
    assert py, "the oracle found nothing: the case compares nothing"
    assert [d["label"] for d in js] == [d["label"] for d in py]
    for a, b in zip(py, js, strict=True):
        assert abs(a["score"] - b["score"]) <= 1e-3
        assert max(abs(u - v) for u, v in zip(a["box"], b["box"], strict=True)) <= 1.5, (a, b)
