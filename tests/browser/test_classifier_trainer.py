"""The classifier trainer (/apps/classifier-trainer/) in real headless Chromium, used as a person would.

The fake webcam plays a clip of real photos (scikit-image's chelsea, coffee and rocket, each panned
across for 2.5 s). The test tells which photo is on screen from the frame's colours (4×4 block means,
compared with every frame of the clip), holds a class's record button while its photo shows — from
the keyboard (Space) for one class, the mouse for the others — adds image files (crops of the photo)
to one class, trains an MLP with the live chart, and checks the held-out evaluation, the live
predictions against the photo on screen, and that 10 s of live prediction has no main-thread long
task. Then: the package it exports (.tar) and the dataset (.json) import back; a saved model is listed,
reopens after a reload and is deleted. On a second server (with a registry token): a model trained
from image files is published, saved, and reopens after a reload with the network off and the server
stopped (service worker + the runtime's model cache + IndexedDB). A denied camera and a non-image file
each show a clear message.

EDGEWARD_SCREENSHOTS=DIR also writes the app in use to DIR/classifier-trainer.png (the README's).
"""

from __future__ import annotations

import contextlib
import json
import os
import tarfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from edgeward.bench.camera import fit, write_y4m
from edgeward.browser.chromium import fake_camera_args, launch_chromium
from edgeward.runtime.image import load_image
from edgeward.runtime.samples import sample_path
from edgeward.server.background import serve_in_thread
from edgeward.settings import get_settings
from tests.browser.conftest import OpenedPage
from tests.browser.long_tasks import check_main_thread

pytestmark = pytest.mark.browser

APP = "/apps/classifier-trainer/"
PHOTOS = {"cat": "chelsea.png", "coffee": "coffee.png", "rocket": "rocket.jpg"}
FRAMES_PER_PHOTO = 25  # 2.5 s at 10 fps
READY = "() => document.body.dataset.status && document.body.dataset.status !== 'loading'"
STATE = "window.classifierTrainer"

# The frame on screen as 4×4 block means of RGB (48 numbers), from the <video> drawn at 64×48.
SIGNATURE = """() => {
  const video = document.getElementById('video');
  const canvas = Object.assign(document.createElement('canvas'), {width: 64, height: 48});
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(video, 0, 0, 64, 48);
  const d = ctx.getImageData(0, 0, 64, 48).data;
  const out = new Array(48).fill(0);
  for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) {
    const b = (Math.floor(y / 12) * 4 + Math.floor(x / 16)) * 3;
    for (let c = 0; c < 3; c++) out[b + c] += d[(y * 64 + x) * 4 + c] / 192;
  }
  return out;
}"""


def _signature(frame: np.ndarray) -> np.ndarray:
    """4×4 block means of RGB of a 640×480 frame (what SIGNATURE computes on the page)."""
    return frame.astype(np.float64).reshape(4, 120, 4, 160, 3).mean(axis=(1, 3)).reshape(-1)


def _crop(rgb: np.ndarray, t: float) -> np.ndarray:
    """An 80 % crop of the photo, slid from its top-left (t = 0) to its bottom-right (t = 1): a slow pan."""
    h, w = rgb.shape[:2]
    ch, cw = round(h * 0.8), round(w * 0.8)
    y0, x0 = round((h - ch) * t), round((w - cw) * t)
    return rgb[y0:y0 + ch, x0:x0 + cw]


def _write_views(folder: Path, label: str, n: int, heldout: bool = False) -> list[Path]:
    """``n`` crops of the class's photo as PNG files (70 % views, not the clip's 80 % pans; ``heldout``: others)."""
    rgb = load_image(sample_path(PHOTOS[label]))
    h, w = rgb.shape[:2]
    ch, cw = round(h * 0.7), round(w * 0.7)
    spots = [(0.5, 0.5), (0.5, 0.0)] if heldout else [(0, 0), (1, 0), (0, 1), (1, 1), (0.5, 1.0), (1.0, 0.5)]
    paths = []
    for k, (fx, fy) in enumerate(spots[:n]):
        y0, x0 = round((h - ch) * fy), round((w - cw) * fx)
        path = folder / f"{label}-{'heldout-' if heldout else ''}{k}.png"
        Image.fromarray(np.ascontiguousarray(rgb[y0:y0 + ch, x0:x0 + cw])).save(path)
        paths.append(path)
    return paths


class Clip:
    """The fake webcam's clip and, per frame, its photo's class and colour signature."""

    def __init__(self, folder: Path) -> None:
        frames, self.labels = [], []
        for label, name in PHOTOS.items():
            rgb = load_image(sample_path(name))
            for i in range(FRAMES_PER_PHOTO):
                frames.append(fit(_crop(rgb, i / (FRAMES_PER_PHOTO - 1)), 640, 480))
                self.labels.append(label)
        self.path = write_y4m(folder / "photos.y4m", frames, repeat=1)
        self.signatures = np.stack([_signature(f) for f in frames])

    def on_screen(self, page: Any) -> str:
        """The class of the photo the <video> shows now (nearest frame of the clip by colour)."""
        sig = np.asarray(page.evaluate(SIGNATURE))
        return self.labels[int(np.argmin(np.abs(self.signatures - sig).mean(axis=1)))]

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
    return Clip(tmp_path_factory.mktemp("clip"))


def _state(page: Any, field: str) -> Any:
    return page.evaluate(f"{STATE}.{field}")


def _wait_adopted(page: Any, before: int, timeout_ms: int = 60_000) -> None:
    page.wait_for_function(f"(n) => {STATE}.adopted > n", arg=before, timeout=timeout_ms)


def _rename(page: Any, index: int, name: str) -> None:
    page.fill(f"#class-name-{index}", name)
    page.press(f"#class-name-{index}", "Enter")  # 'change' on blur
    page.wait_for_function(f"([i, n]) => {STATE}.classes[i] === n", arg=[index, name])


def _hold_record(page: Any, clip: Clip, index: int, label: str, seconds: float, keyboard: bool) -> int:
    """Hold class ``index``'s record button while ``label``'s photo is on screen; the examples it added."""
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
    page.wait_for_timeout(500)  # the frames in flight at release land
    return int(_state(page, "counts")[label]) - before


class Trained:
    def __init__(self, page: Any, errors: list[str], recorded: dict[str, int], report: dict[str, Any]) -> None:
        self.page, self.errors, self.recorded, self.report = page, errors, recorded, report


@pytest.fixture(scope="module")
def trained(playwright_instance: Any, server_url: str, efficientnet: Any, clip: Clip,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    """The app on the fake webcam: 3 classes recorded (and images for one), an MLP trained."""
    context = launch_chromium(playwright_instance, tmp_path_factory.mktemp("profile"), fake_camera_args(clip.path),
                              viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(f"pageerror: {err}"))
        page.on("console", lambda m: errors.append(f"console error: {m.text}") if m.type == "error" else None)
        page.goto(server_url + APP)
        page.wait_for_function(READY, timeout=60_000)
        assert page.evaluate("document.body.dataset.status") == "ready", errors
        _wait_adopted(page, 0)
        page.click("#add-class")
        for i, label in enumerate(PHOTOS):
            _rename(page, i, label)
        page.click("#webcam")
        page.wait_for_function(f"() => {STATE}.source === 'webcam' && document.getElementById('video').readyState >= 2")
        recorded = {label: _hold_record(page, clip, i, label, 1.2, keyboard=(i == 0)) for i, label in enumerate(PHOTOS)}
        files = _write_views(tmp_path_factory.mktemp("views"), "rocket", 3)
        before = _state(page, "counts")["rocket"]
        page.set_input_files("#files-2", [str(f) for f in files])
        page.wait_for_function(f"(n) => {STATE}.counts.rocket === n", arg=before + 3, timeout=30_000)
        page.select_option("#head", "mlp")
        page.fill("#epochs", "20")
        page.click("#train")
        page.wait_for_function(f"() => {STATE}.trained && !{STATE}.training", timeout=180_000)
        yield Trained(page, errors, recorded, _state(page, "report"))
    finally:
        context.close()


def test_records_three_classes_from_the_webcam_and_trains(trained: Trained) -> None:
    page, report = trained.page, trained.report
    counts = _state(page, "counts")
    assert list(counts) == list(PHOTOS)
    assert all(n >= 2 for n in trained.recorded.values()), trained.recorded  # 1.2 s of holding each
    assert counts["rocket"] == trained.recorded["rocket"] + 3  # and the 3 image files
    for i, label in enumerate(PHOTOS):
        assert page.inner_text(f"#count-{i}") == f"{counts[label]} examples"
    history = _state(page, "history")
    assert len(history) == 20 and report["kind"] == "mlp" and report["testExamples"] >= 6
    assert report["accuracy"] >= 0.9, report
    assert "epoch 20" in page.get_attribute("#accuracy-chart", "aria-label")
    assert page.is_visible("#evaluation")
    rows = page.locator("#confusion tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == list(PHOTOS)
    assert page.locator("#per-class tbody tr").count() == 3
    assert _state(page, "errors") == [] and trained.errors == []


def test_predicts_the_photo_on_the_webcam_live(trained: Trained, clip: Clip) -> None:
    page = trained.page
    agree = total = 0
    right: set[str] = set()
    previous = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        done = _state(page, "predictions")
        page.wait_for_function(f"(n) => {STATE}.predictions > n", arg=done, timeout=10_000)
        photo, predicted = clip.on_screen(page), _state(page, "lastClasses[0].label")
        if photo == previous:  # not at a switch of photos, where the answer may be for the frame before
            total += 1
            agree += predicted == photo
            if predicted == photo:
                right.add(photo)
        previous = photo
    print(f"live: {agree} of {total} predictions name the photo on screen")
    assert total >= 10 and agree >= 0.8 * total and right == set(PHOTOS), (agree, total, right)
    assert page.locator("#predictions li").count() == 3
    shots = os.environ.get("EDGEWARD_SCREENSHOTS")
    page.screenshot(path=str(Path(shots) / "classifier-trainer.png") if shots else None, full_page=True)


LONG_TASKS = """() => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push({start: e.startTime, ms: e.duration, name: e.name});
  }).observe({type: 'longtask'});
}"""


def test_no_main_thread_long_task_during_10_s_of_live_prediction(trained: Trained) -> None:
    page = trained.page
    page.evaluate(LONG_TASKS)
    before = _state(page, "predictions")
    time.sleep(10)
    done = _state(page, "predictions") - before
    tasks = page.evaluate("window.longTasks")
    print(f"10 s of live prediction: {done} predictions, long tasks: {tasks}")
    assert done >= 10
    check_main_thread(tasks, done)


def test_a_saved_model_is_listed_reopens_after_a_reload_and_is_deleted(trained: Trained, clip: Clip) -> None:
    page = trained.page
    counts, report = _state(page, "counts"), _state(page, "report")
    page.fill("#model-name", "webcam-photos")
    page.click("#save")
    page.wait_for_function(f"() => {STATE}.saved.includes('webcam-photos')")
    assert page.locator("#saved li[data-name='webcam-photos']").count() == 1

    page.reload()
    page.wait_for_function(READY, timeout=60_000)
    _wait_adopted(page, 0)
    assert _state(page, "trained") is False and _state(page, "saved") == ["webcam-photos"]
    adopted = _state(page, "adopted")
    page.click("#saved li[data-name='webcam-photos'] button.open")
    _wait_adopted(page, adopted)
    assert _state(page, "origin") == {"kind": "saved", "name": "webcam-photos"}
    assert _state(page, "trained") is True
    assert _state(page, "counts") == counts  # the examples came back too (their features)
    assert _state(page, "classes") == list(PHOTOS)
    assert _state(page, "report")["confusion"] == report["confusion"]
    assert page.is_visible("#evaluation")
    page.click("#webcam")
    clip.wait_for_start(page, "coffee")  # it predicts as before: the photo on screen
    done = _state(page, "predictions")
    page.wait_for_timeout(400)
    page.wait_for_function(f"(n) => {STATE}.predictions > n + 1", arg=done, timeout=10_000)
    assert _state(page, "lastClasses[0].label") == clip.on_screen(page) == "coffee"

    page.click("#saved li[data-name='webcam-photos'] button.delete")
    page.wait_for_function(f"() => !{STATE}.saved.includes('webcam-photos')")
    assert page.locator("#saved li[data-name]").count() == 0
    assert _state(page, "errors") == [] and trained.errors == []


def test_the_exported_package_and_dataset_import_back(trained: Trained, clip: Clip, tmp_path: Path) -> None:
    from edgeward.package.pack import validate_package

    page = trained.page
    page.fill("#model-name", "webcam-photos")
    with page.expect_download() as download:
        page.click("#export")
    archive = tmp_path / download.value.suggested_filename
    download.value.save_as(archive)
    assert archive.name == "webcam-photos-1.0.0.tar"
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    manifest = validate_package(tmp_path / "unpacked" / "webcam-photos-1.0.0")  # Python checks schema + sha256
    assert manifest.labels == list(PHOTOS) and manifest.task == "features"
    assert manifest.base is not None and manifest.base.startswith("efficientnet-lite0@")

    with page.expect_download() as download:
        page.click("#export-dataset")
    dataset_path = tmp_path / download.value.suggested_filename
    download.value.save_as(dataset_path)
    dataset = json.loads(dataset_path.read_text())
    assert dataset["format"] == "edgeward-dataset/1" and dataset["dim"] == 1280
    assert dataset["labels"] == list(PHOTOS) and len(dataset["y"]) == sum(_state(page, "counts").values())

    adopted = _state(page, "adopted")
    page.set_input_files("#import", str(archive))
    _wait_adopted(page, adopted)
    assert _state(page, "origin") == {"kind": "package"} and _state(page, "trained") is True
    assert _state(page, "classes") == list(PHOTOS) and sum(_state(page, "counts").values()) == 0
    clip.wait_for_start(page, "cat")
    done = _state(page, "predictions")
    page.wait_for_timeout(400)
    page.wait_for_function(f"(n) => {STATE}.predictions > n + 1", arg=done, timeout=10_000)
    assert _state(page, "lastClasses[0].label") == clip.on_screen(page) == "cat"

    page.set_input_files("#import", str(dataset_path))
    page.wait_for_function(f"(n) => Object.values({STATE}.counts).reduce((a, b) => a + b, 0) === n",
                           arg=len(dataset["y"]), timeout=30_000)
    assert _state(page, "errors") == [] and trained.errors == []


def test_a_model_from_image_files_publishes_and_reopens_offline(playwright_instance: Any, efficientnet: Any,
                                                                tmp_path: Path) -> None:
    token = "s3cret-trainer"
    settings = replace(get_settings(), registry_token=token, database_url=f"sqlite:///{tmp_path / 'registry.db'}",
                       blob_dir=tmp_path / "blobs")
    views = {label: _write_views(tmp_path, label, 6) for label in ("cat", "coffee")}
    heldout = _write_views(tmp_path, "cat", 1, heldout=True)[0]
    server = contextlib.ExitStack()
    url = server.enter_context(serve_in_thread(settings))
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    errors: list[str] = []
    try:
        page = context.new_page()
        # Chromium fetches the favicon itself, never through a service worker: offline it fails. Publishing
        # asks the registry whether it has each blob first (HEAD: a 404 is the expected "not yet").
        expected = ("favicon", "/api/v1/blobs/")
        page.on("console", lambda m: errors.append(f"{m.text} ({m.location})") if m.type == "error" and not any(
            e in m.location.get("url", "") for e in expected) else None)
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(url + APP)
        page.wait_for_function(READY, timeout=60_000)
        page.wait_for_function(f"() => {STATE}.offlineReady || {STATE}.offlineError", timeout=60_000)
        assert _state(page, "offlineError") is None
        _wait_adopted(page, 0)
        for i, (label, files) in enumerate(views.items()):
            _rename(page, i, label)
            page.set_input_files(f"#files-{i}", [str(f) for f in files])
            page.wait_for_function(f"(l) => {STATE}.counts[l] === 6", arg=label, timeout=30_000)
        page.select_option("#head", "linear")
        page.click("#train")
        page.wait_for_function(f"() => {STATE}.trained && !{STATE}.training", timeout=60_000)

        page.fill("#model-name", "photo-classes")
        page.click("details summary")  # open "Publish to a registry"
        page.fill("#token", token)
        page.click("#publish")
        page.wait_for_function(f"() => {STATE}.published || {STATE}.errors.length", timeout=30_000)
        assert _state(page, "errors") == []
        with urllib.request.urlopen(f"{url}/api/v1/packages/photo-classes/versions/1.0.0") as response:
            assert json.load(response)["manifest"]["labels"] == ["cat", "coffee"]
        page.click("#save")
        page.wait_for_function(f"() => {STATE}.saved.includes('photo-classes')")
        page.set_input_files("#file", str(heldout))
        page.wait_for_function(f"() => {STATE}.predictions >= 1", timeout=30_000)
        online = _state(page, "lastClasses")

        context.set_offline(True)
        server.close()  # nothing can come from the network from here on
        page.reload()
        page.wait_for_function(READY, timeout=60_000)
        assert page.evaluate("document.body.dataset.status") == "ready", errors
        assert _state(page, "cache")["from"] == "cache"
        _wait_adopted(page, 0)
        adopted = _state(page, "adopted")
        page.click("#saved li[data-name='photo-classes'] button.open")
        _wait_adopted(page, adopted)
        page.set_input_files("#file", str(heldout))
        page.wait_for_function(f"() => {STATE}.predictions >= 1", timeout=30_000)
        offline = _state(page, "lastClasses")
        assert offline[0]["label"] == online[0]["label"] == "cat"
        assert max(abs(a["score"] - b["score"]) for a, b in zip(online, offline, strict=True)) < 1e-6
        assert _state(page, "errors") == [] and errors == []
    finally:
        context.close()
        server.close()


def test_a_denied_camera_shows_a_clear_message(browser_page: Callable[..., OpenedPage]) -> None:
    opened = browser_page(APP, extra_args=["--use-fake-device-for-media-stream", "--deny-permission-prompts"])
    page = opened.page
    page.wait_for_function(f"() => {STATE}.adopted >= 1", timeout=30_000)
    page.click("#webcam")
    page.wait_for_selector("#error", state="visible", timeout=10_000)
    text = page.inner_text("#error")
    assert text.startswith("NotAllowedError: camera access was denied. Allow the camera for this site"), text
    assert _state(page, "source") is None
    page.click("#record-0")  # and recording without a webcam says what to do
    assert "start the webcam first" in page.inner_text("#error")
    assert [e for e in opened.errors if "pageerror" in e] == []


def test_a_non_image_file_shows_a_clear_message(browser_page: Callable[..., OpenedPage], tmp_path: Path) -> None:
    opened = browser_page(APP)
    page = opened.page
    page.wait_for_function(f"() => {STATE}.adopted >= 1", timeout=30_000)
    bogus = tmp_path / "notes.png"
    bogus.write_text("this is not an image")
    page.set_input_files("#files-0", str(bogus))
    page.wait_for_selector("#error", state="visible", timeout=10_000)
    text = page.inner_text("#error")
    assert "notes.png" in text and "not a readable image" in text, text
    assert page.inner_text("#count-0") == "0 examples"
    page.set_input_files("#import", str(bogus))
    page.wait_for_function("() => document.getElementById('error').textContent.includes('neither an Edgeward package')")
    page.click("#add-class")  # classes come and go
    page.wait_for_function(f"() => {STATE}.classes.join() === 'Class 1,Class 2,Class 3'")
    page.click("#remove-0")
    page.wait_for_function(f"() => {STATE}.classes.join() === 'Class 2,Class 3'")
    assert page.input_value("#class-name-0") == "Class 2"
    assert [e for e in opened.errors if "pageerror" in e] == []
