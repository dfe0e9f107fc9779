"""The pose trainer (/apps/pose-trainer/) in real headless Chromium, used as a person would.

The fake webcam plays a clip of two real photos of people in two poses — scikit-image's astronaut
(``portrait``: half-length, facing the camera) and @vladmandic/human's seated woman (``seated``: full length,
on a stool) — each panned across for 2.5 s. The test tells which photo is on screen from the frame's colours (as the
classifier trainer's test does), names the two poses, holds each one's record button while its photo
shows (one from the keyboard, one with the mouse), trains an MLP, and plays: target sequence "portrait,
seated", hold 1 s. Every award must come from a hold during which the clip showed that very pose (the
award carries the capture times of the hold's first and last frames), the live pose must name the photo
on screen, and 10 s of play must have no main-thread long task. Then the trained model is downloaded as
a package and, on still frames of the clip, its class and score equal Python's (Python's PoseNet, pose
features and the package run by onnxruntime); the same with MoveNet Lightning trained on the bundled
example poses. A denied camera, a non-image file and a bad target sequence each show a clear message, and
after that one visit the app (with PoseNet and the example poses) works with the network off.

EDGEWARD_SCREENSHOTS=DIR also writes the app in use to DIR/pose-trainer.png (the README's).
"""

from __future__ import annotations

import json
import os
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import edgeward
from edgeward.bench.camera import fit, write_y4m
from edgeward.browser.chromium import fake_camera_args, launch_chromium
from edgeward.package.pack import validate_package
from edgeward.train.pose_examples import photo
from edgeward.train.pose_features import POSE_ESTIMATE, best_pose_features
from tests.browser.conftest import OpenedPage
from tests.browser.long_tasks import check_main_thread
from tests.browser.test_classifier_trainer import LONG_TASKS, _signature

# The frame on screen as 4×4 block means of RGB (48 numbers; the classifier trainer test's SIGNATURE, with
# one canvas kept: it runs every few tens of ms during the long-task check and should allocate little).
SIGNATURE = """() => {
  const ctx = window.signatureContext ??= (() => {
    const canvas = Object.assign(document.createElement('canvas'), {width: 64, height: 48});
    const c = canvas.getContext('2d', {willReadFrequently: true});
    c.imageSmoothingQuality = 'high';
    return c;
  })();
  ctx.drawImage(document.getElementById('video'), 0, 0, 64, 48);
  const d = ctx.getImageData(0, 0, 64, 48).data;
  const out = new Array(48).fill(0);
  for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) {
    const b = (Math.floor(y / 12) * 4 + Math.floor(x / 16)) * 3;
    for (let c = 0; c < 3; c++) out[b + c] += d[(y * 64 + x) * 4 + c] / 192;
  }
  return out;
}"""

# What ran in each long animation frame (> 50 ms), to say which script a long task came from.
LONG_FRAMES = """() => {
  window.longFrames = [];
  const script = (s) =>
    `${s.invoker} ${s.sourceURL.split('/').pop()}:${s.sourceFunctionName} ${Math.round(s.duration)}`;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.longFrames.push({start: Math.round(e.startTime), ms: Math.round(e.duration),
                              blocking: Math.round(e.blockingDuration), scripts: e.scripts.map(script)});
    }
  }).observe({type: 'long-animation-frame'});
}"""

pytestmark = pytest.mark.browser

APP = "/apps/pose-trainer/"
PHOTOS = {"portrait": "astronaut.png", "seated": "samples-5"}  # (edgeward.train.pose_examples.PHOTOS)
FRAMES_PER_PHOTO = 25  # 2.5 s at 10 fps
STILLS = (0, 12, 24)  # the clip frames of each photo that are also given as image files
READY = "() => document.body.dataset.status && document.body.dataset.status !== 'loading'"
STATE = "window.poseTrainer"
# Measured here (four runs): the app's scores within 2.6e-8 of Python's on these frames with PoseNet, 6.2e-8
# with MoveNet Lightning (the JS head in float64 against the exported float32 graph in onnxruntime). The
# tolerance leaves room for another CPU's rounding, not for a different rule.
SCORE = 1e-4
# What the page draws from the <video> may lag the frame the app captured by a frame or two (here, under
# load, up to ~250 ms): the on-screen checks skip this much around a capture time or at each end of a hold.
SLACK_MS = 300


def _upscaled(rgb: np.ndarray) -> np.ndarray:
    """A small photo scaled up to fill 640 × 480 (``fit`` only ever scales down)."""
    h, w = rgb.shape[:2]
    k = min(640 / w, 480 / h)
    if k <= 1:
        return rgb
    return np.asarray(Image.fromarray(rgb).resize((round(w * k), round(h * k)), Image.Resampling.BILINEAR))


class Clip:
    """The fake webcam's clip of the pose photos and, per frame, its pose and colour signature."""

    def __init__(self, folder: Path) -> None:
        frames, self.labels = [], []
        for label, name in PHOTOS.items():
            rgb = _upscaled(photo(name)[0])
            h, w = rgb.shape[:2]
            ch, cw = round(h * 0.9), round(w * 0.9)
            for i in range(FRAMES_PER_PHOTO):  # a slow pan of a 90 % crop, top-left to bottom-right
                t = i / (FRAMES_PER_PHOTO - 1)
                y0, x0 = round((h - ch) * t), round((w - cw) * t)
                frames.append(fit(np.ascontiguousarray(rgb[y0:y0 + ch, x0:x0 + cw]), 640, 480))
                self.labels.append(label)
        self.path = write_y4m(folder / "poses.y4m", frames, repeat=1)
        self.signatures = np.stack([_signature(f) for f in frames])
        self.stills: dict[Path, str] = {}
        for k, label in enumerate(PHOTOS):
            for i in STILLS:
                path = folder / f"{label}-{i}.png"
                Image.fromarray(frames[k * FRAMES_PER_PHOTO + i]).save(path)
                self.stills[path] = label

    def label_of(self, signature: list[float]) -> str:
        return self.labels[int(np.argmin(np.abs(self.signatures - np.asarray(signature)).mean(axis=1)))]

    def on_screen(self, page: Any) -> str:
        return self.label_of(page.evaluate(SIGNATURE))

    def wait_for_start(self, page: Any, label: str, timeout_s: float = 30.0) -> None:
        """Wait until the clip has just switched to ``label``'s photo (most of its 2.5 s still to come)."""
        previous = self.on_screen(page)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            now = self.on_screen(page)
            if now == label and previous != label:
                return
            previous = now
            time.sleep(0.03)
        raise AssertionError(f"the clip never switched to {label} in {timeout_s} s")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return Clip(tmp_path_factory.mktemp("pose-clip"))


def _state(page: Any, field: str) -> Any:
    return page.evaluate(f"{STATE}.{field}")


def _hold_record(page: Any, clip: Clip, index: int, label: str, seconds: float, keyboard: bool) -> int:
    """Hold pose ``index``'s record button while ``label``'s photo is on screen; the examples it added."""
    before = _state(page, "counts").get(label, 0)
    clip.wait_for_start(page, label)
    button = page.locator(f"#record-{index}")
    if keyboard:
        button.focus()
        page.keyboard.down("Space")
        assert button.get_attribute("aria-pressed") == "true"
        time.sleep(seconds)
        page.keyboard.up("Space")
    else:
        box = button.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        time.sleep(seconds)
        page.mouse.up()
    assert clip.on_screen(page) == label, "the photo changed while recording: the examples would be mislabelled"
    assert button.get_attribute("aria-pressed") == "false"
    page.wait_for_function(f"() => {STATE}.recordsInFlight === 0")  # the frames taken while it was held land
    return int(_state(page, "counts")[label]) - before


class Trained:
    def __init__(self, page: Any, errors: list[str], recorded: dict[str, int]) -> None:
        self.page, self.errors, self.recorded = page, errors, recorded


@pytest.fixture(scope="module")
def trained(playwright_instance: Any, server_url: str, movenet_lightning: Any, clip: Clip,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    """The app on the fake webcam: two poses recorded from the clip, an MLP trained (PoseNet)."""
    context = launch_chromium(playwright_instance, tmp_path_factory.mktemp("profile"), fake_camera_args(clip.path),
                              viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(f"pageerror: {err}"))
        page.on("console", lambda m: errors.append(f"console error: {m.text}") if m.type == "error" else None)
        page.goto(server_url + APP)
        page.wait_for_function(READY, timeout=60_000)
        assert page.evaluate("document.body.dataset.status") == "ready", errors
        page.wait_for_function(f"() => {STATE}.adopted >= 1")
        assert _state(page, "manifest.name") == "posenet"
        for i, label in enumerate(PHOTOS):
            page.fill(f"#pose-name-{i}", label)
            page.press(f"#pose-name-{i}", "Enter")  # 'change' on blur
            page.wait_for_function(f"([i, n]) => {STATE}.poses[i] === n", arg=[i, label])
        page.click("#webcam")
        page.wait_for_function(f"() => {STATE}.source === 'webcam' && document.getElementById('video').readyState >= 2")
        recorded = {label: _hold_record(page, clip, i, label, 1.8, keyboard=(i == 0)) for i, label in enumerate(PHOTOS)}
        page.select_option("#head", "mlp")
        page.fill("#epochs", "30")
        page.click("#train")
        page.wait_for_function(f"() => {STATE}.trained && !{STATE}.training", timeout=60_000)
        yield Trained(page, errors, recorded)
    finally:
        context.close()


def test_records_two_poses_from_the_webcam_and_trains(trained: Trained) -> None:
    page = trained.page
    counts = _state(page, "counts")
    assert list(counts) == list(PHOTOS) and _state(page, "poses") == list(PHOTOS)
    assert all(n >= 2 for n in trained.recorded.values()), trained.recorded  # 1.8 s of holding each
    assert counts == trained.recorded
    for i, label in enumerate(PHOTOS):
        assert page.inner_text(f"#count-{i}") == f"{counts[label]} examples"
    report = _state(page, "report")
    assert report["kind"] == "mlp" and report["examples"] == sum(counts.values())
    assert report.get("accuracy", 1.0) == 1.0, report
    assert page.inner_text("#train-note").startswith("MLP on ")
    assert page.input_value("#sequence") == "portrait, seated"  # the sequence follows the poses
    assert _state(page, "errors") == [] and trained.errors == []


SAMPLE = """() => {
  const r = window.poseTrainer.lastResult;
  return {t: performance.now(), sig: (""" + SIGNATURE + """)(), points: window.poseTrainer.game?.points ?? 0,
          at: r?.at ?? null, best: r?.classes[0] ?? null};
}"""


class Timeline:
    """What the clip showed when: (page time, photo) samples, and the app's readings by capture time."""

    def __init__(self) -> None:
        self.shown: list[tuple[float, str]] = []
        self.points: list[tuple[float, int]] = []
        self.readings: dict[float, dict[str, Any]] = {}

    def sample(self, page: Any, clip: Clip) -> None:
        s = page.evaluate(SAMPLE)
        self.shown.append((s["t"], clip.label_of(s["sig"])))
        self.points.append((s["t"], s["points"]))
        if s["at"] is not None and s["best"] is not None:
            self.readings[s["at"]] = s["best"]

    def photos(self, start: float, end: float) -> list[str]:
        """The photos sampled from ``start`` to ``end``."""
        return [p for t, p in self.shown if start <= t <= end]


def test_plays_recognises_the_poses_and_awards_points_only_while_the_target_is_held(trained: Trained,
                                                                                    clip: Clip) -> None:
    page = trained.page
    page.fill("#hold-seconds", "1")
    page.evaluate(LONG_TASKS)
    page.evaluate(LONG_FRAMES)
    frames = _state(page, "predictions")
    timeline = Timeline()  # from before Play: every hold lies within the samples
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        timeline.sample(page, clip)
        if not _state(page, "playing"):
            page.click("#play")
            assert _state(page, "game.target") == "portrait"
        time.sleep(0.05)
    tasks = page.evaluate("window.longTasks")
    last = timeline.shown[-1][0]
    awards = [a for a in _state(page, "awards") if a["to"] <= last]  # not those made after the last sample
    frames = _state(page, "predictions") - frames
    held = [(a["pose"], round(a["to"] - a["from"])) for a in awards]
    print(f"10 s of play: {frames} frames, {len(timeline.shown)} samples, awards (pose, ms held) {held}, "
          f"long tasks {tasks}")
    if tasks:
        print("long animation frames:", page.evaluate("window.longFrames"))
    check_main_thread(tasks, frames)
    assert frames >= 10

    # each reading names the photo that was on screen when its frame was captured (away from a switch)
    around = [(at, timeline.photos(at - SLACK_MS, at + SLACK_MS), best) for at, best in timeline.readings.items()]
    judged = [(at, shown[0], best) for at, shown, best in around if shown and len(set(shown)) == 1]
    wrong = [(round(at), shown, best) for at, shown, best in judged if best["label"] != shown]
    print(f"live: {len(judged) - len(wrong)} of {len(judged)} readings name the pose on screen; wrong: {wrong}")
    assert len(judged) >= 10 and len(wrong) <= 0.1 * len(judged), wrong

    # points: 10 per hold of 1 s, for the targets in turn, each hold made while the clip showed that pose
    assert len(awards) >= 2, awards
    assert [a["pose"] for a in awards] == [list(PHOTOS)[k % 2] for k in range(len(awards))]
    assert [a["total"] for a in awards] == [10 * (k + 1) for k in range(len(awards))]
    for a in awards:
        assert a["to"] - a["from"] >= 1000, a
        shown = timeline.photos(a["from"] + SLACK_MS, a["to"] - SLACK_MS)
        assert len(shown) >= 2 and set(shown) == {a["pose"]}, (a, shown)
    # and the points shown only ever rose with those awards: never ahead of the frames that made them, and
    # behind them only while their results were coming back (well within 2 s)
    for t, points in timeline.points:
        assert 10 * sum(a["to"] <= t - 2000 for a in awards) <= points <= 10 * sum(a["to"] <= t for a in awards), t
    game = _state(page, "game")
    assert game["points"] == 10 * len(_state(page, "awards")) and page.inner_text("#points") == str(game["points"])
    shots = os.environ.get("EDGEWARD_SCREENSHOTS")
    if shots:  # mid-hold, so that the timer shows
        page.wait_for_function(f"() => {STATE}.game.heldMs >= 400", timeout=10_000)
        page.screenshot(path=str(Path(shots) / "pose-trainer.png"), full_page=True)
    assert _state(page, "errors") == [] and trained.errors == []


def _download_package(page: Any, name: str, folder: Path) -> Any:
    """Download the trained model (#export) and load it in Python (checked: schema, sha256)."""
    page.fill("#model-name", name)
    with page.expect_download() as download:
        page.click("#export")
    archive = folder / download.value.suggested_filename
    download.value.save_as(archive)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "unpacked", filter="data")
    package = folder / "unpacked" / f"{name}-1.0.0"
    manifest = validate_package(package)
    assert manifest.task == "features" and manifest.head is not None and manifest.head.features == "pose"
    return edgeward.load(str(package)), manifest


def _browser_and_python(page: Any, stills: dict[Path, str], model: str, head: Any) -> list[tuple[str, Any, Any]]:
    """For each still: (its pose, the app's classes, Python's classes for the same frame and model)."""
    pose_model = edgeward.load(model)
    out = []
    for path, label in stills.items():
        done = _state(page, "framesDone")
        page.set_input_files("#file", str(path))
        # an image's result has no capture time (`at`); a webcam frame's has one
        page.wait_for_function(f"(n) => {STATE}.framesDone > n && {STATE}.source === 'image'"
                               f" && {STATE}.lastResult.at === null", arg=done, timeout=30_000)
        last = _state(page, "lastResult")
        assert last["at"] is None, f"a webcam frame's result read for {path.name}: {last}"
        browser = last["classes"]
        features = best_pose_features(pose_model.estimate_poses(path, **POSE_ESTIMATE))
        out.append((label, browser, head.classify(features, top_k=len(browser))))
    return out


def _assert_same(results: list[tuple[str, Any, Any]]) -> float:
    worst = 0.0
    for label, browser, python in results:
        assert browser[0]["label"] == python[0]["label"] == label, (label, browser, python)
        assert [c["label"] for c in browser] == [c["label"] for c in python]
        worst = max(worst, max(abs(b["score"] - p["score"]) for b, p in zip(browser, python, strict=True)))
    assert worst <= SCORE, worst
    return worst


def test_predictions_on_the_clip_frames_equal_pythons(trained: Trained, clip: Clip, tmp_path: Path) -> None:
    page = trained.page
    head, manifest = _download_package(page, "clip-poses", tmp_path)
    assert manifest.base == "posenet@1.0.0" and manifest.labels == list(PHOTOS)
    worst = _assert_same(_browser_and_python(page, clip.stills, "posenet", head))
    print(f"PoseNet: browser vs Python on {len(clip.stills)} clip frames: classes equal, max |Δscore| {worst:.1e}")
    assert _state(page, "errors") == [] and trained.errors == []


def test_movenet_learns_the_bundled_example_poses_as_python(trained: Trained, clip: Clip, tmp_path: Path) -> None:
    page = trained.page
    adopted = _state(page, "adopted")
    page.select_option("#model", "/models/movenet-lightning/latest/")
    page.wait_for_function(f"(n) => {STATE}.adopted > n && document.body.dataset.status === 'ready'", arg=adopted,
                           timeout=60_000)
    assert _state(page, "manifest.name") == "movenet-lightning"
    assert _state(page, "counts") == dict.fromkeys(PHOTOS, 0)  # the names stay, the examples start over
    page.click("#load-examples")
    page.wait_for_function(f"() => {STATE}.examples !== null")
    bundled = json.loads((Path(__file__).parents[2] / "web/apps/pose-trainer/example-poses.json").read_text())
    examples = bundled["models"]["movenet-lightning"]["examples"]
    expected = {label: sum(e["pose"] == label for e in examples) for label in bundled["photos"]}
    assert _state(page, "counts") == expected and _state(page, "poses") == list(bundled["photos"])
    page.click("#train")
    page.wait_for_function(f"() => {STATE}.trained && !{STATE}.training", timeout=60_000)
    head, manifest = _download_package(page, "example-poses", tmp_path)
    assert manifest.base == "movenet-lightning@1.0.0" and manifest.labels == list(bundled["photos"])
    stills = {p: label for p, label in clip.stills.items() if p.stem.endswith(f"-{STILLS[1]}")}
    worst = _assert_same(_browser_and_python(page, stills, "movenet-lightning", head))
    print(f"MoveNet Lightning on the bundled examples: browser vs Python, classes equal, max |Δscore| {worst:.1e}")
    assert _state(page, "errors") == [] and trained.errors == []


def test_a_denied_camera_a_bad_file_and_a_bad_sequence_show_clear_messages(
        browser_page: Callable[..., OpenedPage], tmp_path: Path) -> None:
    opened = browser_page(APP, extra_args=["--use-fake-device-for-media-stream", "--deny-permission-prompts"])
    page = opened.page
    page.wait_for_function(f"() => {STATE}.adopted >= 1", timeout=30_000)
    page.click("#webcam")
    page.wait_for_selector("#error", state="visible", timeout=10_000)
    text = page.inner_text("#error")
    assert text.startswith("NotAllowedError: camera access was denied. Allow the camera for this site"), text
    assert _state(page, "source") is None
    page.click("#record-0")  # recording without a webcam says what to do
    assert "start the webcam first to record examples of 'Pose 1'" in page.inner_text("#error")
    bogus = tmp_path / "notes.png"
    bogus.write_text("this is not an image")
    page.set_input_files("#file", str(bogus))
    page.wait_for_function("() => document.getElementById('error').textContent.includes('notes.png')")
    assert "'notes.png' is not a readable image" in page.inner_text("#error")
    page.fill("#sequence", "Pose 1, lotus")
    page.click("#play")
    assert page.inner_text("#error") == ("RangeError: Target sequence: 'lotus' is not one of your poses "
                                         "('Pose 1', 'Pose 2')")
    assert _state(page, "playing") is False
    page.click("#train")
    assert "has no examples yet" in page.inner_text("#error")

    # and after this one visit it works offline: the app, the runtime, PoseNet and the example poses
    page.wait_for_function(f"() => {STATE}.offlineReady || {STATE}.offlineError", timeout=60_000)
    assert _state(page, "offlineError") is None
    opened.context.set_offline(True)
    page.reload()
    page.wait_for_function(READY, timeout=60_000)
    assert page.evaluate("document.body.dataset.status") == "ready" and _state(page, "cache")["from"] == "cache"
    page.wait_for_function(f"() => {STATE}.adopted >= 1")
    page.click("#load-examples")
    page.wait_for_function(f"() => {STATE}.examples !== null || {STATE}.errors.length")
    assert _state(page, "errors") == [] and _state(page, "examples") == {"model": "posenet", "count": 32}
    assert [e for e in opened.errors if "pageerror" in e] == []
