"""Video in the browser runtime: VideoFrame capture, the pipelined track() loop and ROI tracking,
against the Python oracle."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgeward.bench.camera import fit, write_y4m
from edgeward.browser.chromium import fake_camera_args
from edgeward.browser.harness import HARNESS_PATH, js_pose_options, package_url, run_in_page
from edgeward.tasks.handles import TaskHandle
from edgeward.tasks.roi import next_roi
from tests.browser.conftest import OpenedPage
from tests.browser.test_parity import assert_same_poses

pytestmark = pytest.mark.browser

# Starts the camera in a <video> of the harness page; resolves once it plays.
START_CAMERA = """async () => {
    const video = document.createElement('video');
    video.muted = true; video.playsInline = true;
    video.srcObject = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}});
    document.body.append(video);
    await video.play();
    window.video = video;
    return [video.videoWidth, video.videoHeight];
}"""


@pytest.fixture(scope="module")
def still_camera(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """A camera that shows the astronaut, small and off-centre in a 640 x 480 frame, all the time."""
    from skimage import data

    small = fit(data.astronaut(), 240, 240)
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[200:440, 360:600] = small
    path = tmp_path_factory.mktemp("still-camera") / "still.y4m"
    return write_y4m(path, [frame], fps=30, repeat=30), frame


def open_camera_page(browser_page: Callable[..., OpenedPage], camera: Path) -> OpenedPage:
    opened = browser_page(HARNESS_PATH, extra_args=fake_camera_args(camera))
    assert opened.page.evaluate(START_CAMERA) == [640, 480]
    return opened


def test_video_frames_match_the_bitmap_path(browser_page: Callable[..., OpenedPage],
                                            still_camera: tuple[Path, np.ndarray]) -> None:
    """estimatePoses(video) goes through VideoFrame.copyTo (one copy, reused buffer); an ImageBitmap of
    the same paused frame goes through the canvas: the same pixels, so the same poses."""
    opened = open_camera_page(browser_page, still_camera[0])
    both = opened.page.evaluate("""async (url) => {
        const d = await window.edgewardHarness.edgeward.createPoseDetector(url);
        window.video.pause();
        const viaFrame = await d.estimatePoses(window.video, {scoreThreshold: 0.2});
        const viaBitmap = await d.estimatePoses(await createImageBitmap(window.video), {scoreThreshold: 0.2});
        d.dispose();
        return {viaFrame, viaBitmap, isFrame: typeof VideoFrame !== 'undefined'};
    }""", package_url("posenet"))
    assert both["isFrame"]
    assert both["viaFrame"], "no pose on the camera frame"
    assert assert_same_poses(both["viaBitmap"], both["viaFrame"]) >= 5
    assert opened.errors == []


def test_track_pipelines_frames_and_matches_python(browser_page: Callable[..., OpenedPage], posenet: TaskHandle,
                                                   still_camera: tuple[Path, np.ndarray]) -> None:
    camera, frame = still_camera
    opened = open_camera_page(browser_page, camera)
    out = opened.page.evaluate("""async (url) => {
        const d = await window.edgewardHarness.edgeward.createPoseDetector(url, {variant: 'fp32'}); // as Python's
        const results = [];
        const tracker = await new Promise((resolve) => {
            const t = d.track(window.video, (poses, frame) => {
                results.push({poses, frame});
                if (results.length >= 12) resolve(t);
            }, {scoreThreshold: 0.2, roi: true, onError: (e) => { results.push({error: String(e)}); resolve(t); }});
        });
        tracker.stop();
        const stats = {...tracker.stats};
        d.dispose();
        return {results, stats};
    }""", package_url("posenet"))
    results: list[dict[str, Any]] = out["results"]
    assert all("error" not in r for r in results), results
    assert out["stats"]["frames"] >= 12
    # the first frames are estimated whole (two are in flight before the first result), then each
    # on the crop around the previous pose
    assert results[0]["frame"]["roi"] is None and results[1]["frame"]["roi"] is None
    rois = [r["frame"]["roi"] for r in results[2:]]
    assert all(rois), rois
    py_whole = posenet.estimate_poses(frame, score_threshold=0.2)
    expected_roi = next_roi(py_whole, 640, 480, posenet.manifest.preprocess.size)
    assert expected_roi is not None
    # the camera's I420 round trip changes pixels by a level or two: crops agree within a few px
    assert max(abs(a - b) for a, b in zip(rois[0], expected_roi, strict=True)) <= 8, (rois[0], expected_roi)
    last = results[-1]
    py = posenet.estimate_poses(frame, score_threshold=0.2, roi=tuple(last["frame"]["roi"]))
    assert py and last["poses"]
    close = [abs(a["x"] - b["x"]) <= 4 and abs(a["y"] - b["y"]) <= 4
             for a, b in zip(py[0]["keypoints"], last["poses"][0]["keypoints"], strict=True)
             if a["score"] >= 0.5 and b["score"] >= 0.5]
    assert len(close) >= 5 and sum(close) >= len(close) - 1, (py, last["poses"])
    assert opened.errors == []


def test_roi_estimate_and_rule_match_python(browser_page: Callable[..., OpenedPage], posenet: TaskHandle,
                                            tmp_path: Path) -> None:
    """A still image with an explicit roi: the same poses as Python; and nextRoi is the same rule."""
    from PIL import Image
    from skimage import data

    image = np.full((640, 960, 3), 90, np.uint8)
    image[300:556, 560:816] = np.asarray(Image.fromarray(data.astronaut()).resize((256, 256)))
    path = tmp_path / "small_person.png"
    Image.fromarray(image).save(path)
    opened = browser_page(HARNESS_PATH)
    for flip in (False, True):
        opts = {"max_poses": 1, "score_threshold": 0.3, "roi": (468, 250, 854, 636), "flip_horizontal": flip}
        py = posenet.estimate_poses(path, **opts)
        js = run_in_page(opened.page, package_url("posenet"), path.read_bytes(),
                         js_pose_options(**{**opts, "roi": list(opts["roi"])}), {"variant": "fp32"})  # as Python's
        assert py and assert_same_poses(py, js["poses"]) >= 5
        for margin in (0.25, 0.75):
            want = next_roi(py, 960, 640, (385, 385), margin=margin, flipped=flip)
            got = opened.page.evaluate(
                "([p, m, f]) => window.edgewardHarness.edgeward.nextRoi(p, 960, 640, [385, 385], "
                "{margin: m, flipped: f})",
                [js["poses"], margin, flip])
            assert got == (list(want) if want else None)
    bad = run_in_page_error(opened.page, path.read_bytes(), {"roi": [1, 0, 100, 100]})
    assert "must be even" in bad
    assert opened.errors == []


def run_in_page_error(page: Any, image: bytes, opts: dict[str, Any]) -> str:
    from edgeward.errors import BrowserError

    try:
        run_in_page(page, package_url("posenet"), image, opts)
    except BrowserError as err:
        return str(err)
    raise AssertionError("no error")


def test_keep_frame_gives_the_frame_each_result_was_computed_on(browser_page: Callable[..., OpenedPage],
                                                                  fake_camera: Path) -> None:
    """track({keepFrame: true}): frame.image is the picture the poses came from. On a clip that cuts between
    photos every 0.5 s, each result re-estimated on its kept frame gives the same poses, while the live
    video a moment later (150 ms: an overlay's drawing and the next results) is, around the cuts, another
    picture (what an overlay drawn over the live video gets wrong). The loop runs until it has seen such a
    moment (at most 20 s). (At the moment a result arrives the live video has often not moved on: a fast
    backend answers within a frame interval.)"""
    opened = open_camera_page(browser_page, fake_camera)
    out = opened.page.evaluate("""async (url) => {
        const d = await window.edgewardHarness.edgeward.createPoseDetector(url);
        const opts = {maxPoses: 2, scoreThreshold: 0.3};
        const snap = (image, w, h) => { // drawn at once: the kept image is closed after the callback
            const c = new OffscreenCanvas(w, h);
            const ctx = c.getContext('2d', {willReadFrequently: true});
            ctx.drawImage(image, 0, 0, w, h);
            return c;
        };
        const same = (a, b) => { // the clip repeats each photo exactly: any pixel difference is a cut
            const x = a.getContext('2d').getImageData(0, 0, a.width, a.height).data;
            const y = b.getContext('2d').getImageData(0, 0, b.width, b.height).data;
            let diff = 0;
            for (let i = 0; i < x.length; i += 4) diff += Math.abs(x[i] - y[i]) > 40 ? 1 : 0;
            return diff < x.length / 4 / 100; // under 1 % of the pixels changed
        };
        const got = [];
        let liveDiffers = 0;
        await new Promise((resolve) => {
            const started = performance.now();
            const t = d.track(window.video, (poses, frame) => {
                const own = snap(frame.image, frame.width, frame.height);
                setTimeout(() => {
                    if (!same(own, snap(window.video, frame.width, frame.height))) liveDiffers += 1;
                }, 150);
                if (got.length < 20) {  // (a bitmap of its own: transferring it clears the canvas it leaves)
                    got.push({poses, kept: frame.image,
                              own: snap(frame.image, frame.width, frame.height).transferToImageBitmap()});
                }
                const done = (got.length >= 12 && liveDiffers >= 1) || performance.now() - started > 20000;
                if (done) { t.stop(); resolve(); }
            }, {...opts, keepFrame: true});
        });
        const rows = [];
        for (const g of got) rows.push({poses: g.poses, own: await d.estimatePoses(g.own, opts)});
        const closed = got[0].kept instanceof VideoFrame ? got[0].kept.format === null : got[0].kept.width === 0;
        d.dispose();
        return {rows, closed, liveDiffers};
    }""", package_url("posenet"))
    rows = out["rows"]
    assert len(rows) >= 12, len(rows)
    for row in rows:
        assert row["poses"], "a frame of the clip gave no pose"
        assert_same_poses(row["poses"], row["own"])  # the kept frame IS the computed one
    print(f"{len(rows)} results matched their kept frame; the live video had moved on for {out['liveDiffers']}")
    assert out["liveDiffers"] >= 1, "the live video never moved on from a computed frame in 20 s"
    assert out["closed"], "the kept frame must be closed after the callback (no leaked video memory)"
    assert opened.errors == []
