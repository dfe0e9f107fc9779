"""The pose playground in real headless Chromium: webcam frames in, poses out, errors visible."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from edgeward.browser.chromium import fake_camera_args
from edgeward.package.manifest import MANIFEST_FILE, read_manifest
from edgeward.zoo import build
from tests.browser.conftest import OpenedPage, browser_backend, browser_variant

pytestmark = pytest.mark.browser


CENTRE_ALPHA = """() => { const c = document.getElementById('overlay');
    return c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data[3]; }"""


def test_webcam_produces_poses_continuously(browser_page: Callable[..., OpenedPage], fake_camera: Path,
                                            posenet_dir: Path) -> None:
    opened = browser_page(extra_args=fake_camera_args(fake_camera))
    page = opened.page
    assert page.evaluate("document.body.dataset.status") == "ready", opened.errors
    assert page.evaluate("crossOriginIsolated") is True
    backend = page.evaluate("window.playground.backend")
    manifest = read_manifest(posenet_dir / MANIFEST_FILE)
    assert (backend["name"], backend["variant"]) == (browser_backend(manifest), browser_variant(manifest))
    if backend["name"] == "wasm":  # onnxruntime-web: every core; Edgeward's kernels: one thread
        assert backend["threads"] >= 2 or page.evaluate("navigator.hardwareConcurrency") < 2
    else:
        assert backend["threads"] == 1 and backend["reason"] is None
    assert page.inner_text("#backend").startswith(backend["name"])

    page.click("#webcam")
    page.wait_for_function("() => window.playground.framesDone >= 1", timeout=30_000)
    for _ in range(5):  # five more results, each waited for on the page's own counter (a stall times out)
        done = page.evaluate("window.playground.framesDone")
        page.wait_for_function("(n) => window.playground.framesDone > n", arg=done, timeout=30_000)
        poses = page.evaluate("window.playground.lastPoses")
        assert poses, "no pose in the last frame"
        assert len(poses[0]["keypoints"]) == 17
        assert all({"name", "x", "y", "score"} <= kp.keys() for kp in poses[0]["keypoints"])
    # by default each skeleton is drawn over the frame it was computed on (track's keepFrame), which the
    # overlay then shows: its centre pixel is the camera's picture, not transparent
    assert page.evaluate("window.playground.drawnOnOwnFrame") is True
    assert page.evaluate(CENTRE_ALPHA) == 255
    page.uncheck("#own-frame")  # the live video shows through again; the overlay only has the skeleton
    # the loop restarts once the option rests (results already in flight still carry their frame)
    page.wait_for_function("() => window.playground.drawnOnOwnFrame === false", timeout=30_000)
    done = page.evaluate("window.playground.framesDone")
    page.wait_for_function("(n) => window.playground.framesDone > n + 1", arg=done, timeout=30_000)
    assert page.evaluate("window.playground.drawnOnOwnFrame") is False  # and stays so
    assert page.evaluate("window.playground.errors") == []
    assert opened.errors == []
    assert page.is_hidden("#error")


def test_non_image_file_shows_error(browser_page: Callable[..., OpenedPage], tmp_path: Path) -> None:
    opened = browser_page()
    bogus = tmp_path / "notes.png"
    bogus.write_text("this is not an image")
    opened.page.set_input_files("#file", str(bogus))
    opened.page.wait_for_selector("#error", state="visible", timeout=10_000)
    text = opened.page.inner_text("#error")
    assert "notes.png" in text and "not a readable image" in text
    assert [e for e in opened.errors if "pageerror" in e] == []


def test_a_decompression_bomb_file_is_refused_before_decoding(browser_page: Callable[..., OpenedPage],
                                                             tmp_path: Path) -> None:
    from tests.runtime.bombs import bomb_png

    opened = browser_page()
    bomb = tmp_path / "huge.png"
    bomb.write_bytes(bomb_png())  # ~50 KB on disk, 1.6 GB as RGBA
    opened.page.set_input_files("#file", str(bomb))
    opened.page.wait_for_selector("#error", state="visible", timeout=10_000)
    text = opened.page.inner_text("#error")
    assert "'huge.png': the PNG header declares 20000 × 20000 pixels (400 MP), over the 67 MP limit" in text, text
    assert [e for e in opened.errors if "pageerror" in e] == []


def test_image_file_gives_a_pose(browser_page: Callable[..., OpenedPage], astronaut: Path) -> None:
    opened = browser_page()
    opened.page.set_input_files("#file", str(astronaut))
    opened.page.wait_for_function("() => window.playground.framesDone >= 1", timeout=30_000)
    poses = opened.page.evaluate("window.playground.lastPoses")
    assert len(poses) == 1
    nose = poses[0]["keypoints"][0]
    assert nose["name"] == "nose" and nose["score"] > 0.9
    assert opened.errors == []
    # where the load's time went (bench/first_pose.py reports it): each step's end, in ms after the request
    timings = opened.page.evaluate("window.playground.loadTimings")
    at = timings["at"]
    assert set(at) == {"manifest", "runtime", "model", "session"}, timings
    assert 0 < at["manifest"] <= at["model"] <= at["session"] <= timings["loadMs"], timings
    assert 0 < at["runtime"] <= at["session"], timings  # the session needs onnxruntime-web started


def test_model_picker_switches_to_movenet(browser_page: Callable[..., OpenedPage], fake_camera: Path) -> None:
    build("movenet-lightning")  # the picker lists what the server's store holds
    opened = browser_page(extra_args=fake_camera_args(fake_camera))
    page = opened.page
    assert page.evaluate("document.body.dataset.status") == "ready", opened.errors
    page.wait_for_function("() => !document.getElementById('model').disabled", timeout=10_000)
    choices = page.eval_on_selector_all("#model option", "os => os.map(o => [o.value, o.textContent])")
    assert ["/models/posenet/latest/", "PoseNet"] in choices
    assert ["/models/movenet-lightning/latest/", "MoveNet Lightning"] in choices
    assert page.eval_on_selector("#model", "el => el.value") == "/models/posenet/latest/"
    assert page.is_enabled("#multi")
    page.wait_for_function("() => !document.getElementById('roi-small').disabled")  # posenet carries 257x257 too

    page.click("#webcam")
    page.wait_for_function("() => window.playground.framesDone >= 1", timeout=30_000)
    page.select_option("#model", "/models/movenet-lightning/latest/")
    page.wait_for_function("() => document.body.dataset.status === 'ready'"
                           " && window.playground.manifest.name === 'movenet-lightning'", timeout=30_000)
    assert page.evaluate("new URL(location.href).searchParams.get('model')") == "/models/movenet-lightning/latest/"
    assert "movenet-lightning@" in page.inner_text("#model-info")
    assert page.is_disabled("#multi") and page.is_disabled("#max-poses")
    assert page.is_visible("#multi-note") and "one pose" in page.inner_text("#multi-note")
    assert page.is_disabled("#roi-small")  # MoveNet Lightning carries one input size

    after = page.evaluate("window.playground.framesDone")
    # Single-pose MoveNet: at most one pose a frame (none when its mean keypoint score is under the
    # threshold, as on some frames of the side-by-side clip); wait for frames that have one.
    poses = page.wait_for_function(f"() => window.playground.framesDone >= {after + 5}"
                                   " && window.playground.lastPoses.length === 1 && window.playground.lastPoses",
                                   timeout=30_000).json_value()
    assert len(poses) == 1 and len(poses[0]["keypoints"]) == 17
    assert page.evaluate("window.playground.errors") == []
    assert page.is_hidden("#error")
    assert opened.errors == []

    # The query parameter selects the model on load too.
    page.reload()
    page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=60_000)
    assert page.evaluate("window.playground.manifest.name") == "movenet-lightning"
    page.wait_for_function("() => document.getElementById('model').value === '/models/movenet-lightning/latest/'",
                           timeout=10_000)


def test_model_picker_offers_multipose_with_multi_pose_controls(browser_page: Callable[..., OpenedPage],
                                                                party_photo: np.ndarray, tmp_path: Path) -> None:
    build("movenet-multipose")
    opened = browser_page("/apps/playground/?model=/models/movenet-multipose/latest/")
    page = opened.page
    page.wait_for_function("() => document.body.dataset.status === 'ready'"
                           " && window.playground.manifest?.name === 'movenet-multipose'", timeout=60_000)
    choices = page.eval_on_selector_all("#model option", "os => os.map(o => [o.value, o.textContent])")
    assert ["/models/movenet-multipose/latest/", "MoveNet MultiPose"] in choices
    assert page.is_enabled("#multi") and page.is_enabled("#max-poses")
    assert page.is_disabled("#nms-radius") and "finds the people itself" in page.inner_text("#multi-note")

    photo = tmp_path / "party.png"
    Image.fromarray(party_photo).save(photo)
    page.check("#multi")
    page.fill("#score-threshold", "0.2")
    page.set_input_files("#file", str(photo))
    poses = page.wait_for_function("() => window.playground.framesDone >= 1 && window.playground.lastPoses",
                                   timeout=30_000).json_value()
    assert len(poses) >= 2 and all(len(p["keypoints"]) == 17 for p in poses)
    assert opened.errors == []


def test_smaller_input_on_the_tracked_crop(browser_page: Callable[..., OpenedPage], fake_camera: Path) -> None:
    """'Smaller input on the tracked crop' (enabled: the posenet package carries 257x257 too) runs the ROI crops
    at the smallest size: a result at 257x257 arrives (track's roiInputSize 'smallest')."""
    opened = browser_page(extra_args=fake_camera_args(fake_camera))
    page = opened.page
    assert page.is_enabled("#roi-small")
    page.check("#roi")
    page.check("#roi-small")
    page.click("#webcam")
    page.wait_for_function("() => JSON.stringify(window.playground.lastInputSize) === '[257,257]'", timeout=30_000)
    page.uncheck("#roi-small")  # the loop restarts: crops at the package's own size again
    page.wait_for_function("() => JSON.stringify(window.playground.lastInputSize) === '[385,385]'", timeout=30_000)
    assert page.evaluate("window.playground.errors") == []
    assert opened.errors == []
