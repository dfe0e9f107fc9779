"""EfficientNet-Lite0 in real Chromium: the same top-5 and probabilities as Python, and the classification page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgeward.browser.harness import package_url, run_in_page
from edgeward.errors import BrowserError
from edgeward.runtime.samples import sample_path
from edgeward.tasks.handles import TaskHandle
from tests.browser.conftest import OpenedPage, harness_page

pytestmark = pytest.mark.browser

PHOTOS = ["coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg", "camera.png", "motorcycle_left.png"]
MAX_PROB_DIFF = 1e-3


@pytest.fixture(scope="module")
def harness(playwright_instance: Any, server_url: str, efficientnet: TaskHandle,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    """One page for the module: the classifier (and its worker) is created once and reused."""
    with harness_page(playwright_instance, server_url, tmp_path_factory) as opened:
        yield opened


def classify_in_browser(page: Any, image: Path, opts: dict[str, Any]) -> dict[str, Any]:
    return run_in_page(page, package_url("efficientnet-lite0"), image.read_bytes(), opts, method="classify")


@pytest.mark.parametrize("image", PHOTOS)
def test_browser_top5_matches_python(harness: OpenedPage, efficientnet: TaskHandle, image: str) -> None:
    path = sample_path(image)
    py = efficientnet.classify(path, top_k=5)
    js = classify_in_browser(harness.page, path, {"topK": 5})
    assert [c["class_id"] for c in js["classes"]] == [c["class_id"] for c in py], (py, js["classes"])
    assert [c["label"] for c in js["classes"]] == [c["label"] for c in py]
    for a, b in zip(py, js["classes"], strict=True):
        assert abs(a["score"] - b["score"]) <= MAX_PROB_DIFF, (a, b)
    assert js["backend"]["name"] == "wasm" and js["timings"]["inferenceMs"] > 0
    assert not harness.errors


def test_browser_embedding_matches_python(harness: OpenedPage, efficientnet: TaskHandle) -> None:
    path = sample_path("chelsea.png")
    js = classify_in_browser(harness.page, path, {"topK": 1, "embedding": True})
    emb = np.asarray(js["embedding"], np.float32)
    py = efficientnet.embed(path)
    assert emb.shape == (1280,) and float(np.abs(emb - py).max()) <= 1e-2 * max(1.0, float(py.max()))


@pytest.mark.parametrize(("opts", "message"), [
    ({"topK": 0}, "topK must be an integer >= 1, got 0"),
    ({"topK": 2.5}, "topK must be an integer >= 1"),
])
def test_bad_top_k_is_a_clear_error(harness: OpenedPage, opts: dict[str, Any], message: str) -> None:
    with pytest.raises(BrowserError, match=message):
        classify_in_browser(harness.page, sample_path("coffee.png"), opts)


def test_classifier_refuses_a_pose_package(harness: OpenedPage) -> None:
    with pytest.raises(BrowserError, match=r"TaskError: .*task 'pose', not classify"):
        run_in_page(harness.page, package_url("posenet"), sample_path("coffee.png").read_bytes(), {},
                    method="classify")


def test_classify_page_shows_the_top5_of_an_image(browser_page: Any, efficientnet: TaskHandle,
                                                  tmp_path: Path) -> None:
    opened = browser_page("/apps/classify/")
    page = opened.page
    assert page.evaluate("() => document.body.dataset.status") == "ready", opened.errors
    coffee = sample_path("coffee.png")
    page.set_input_files("#file", str(coffee))
    page.wait_for_function("() => document.body.dataset.status === 'classified'", timeout=30_000)
    items = page.locator("#classes li .name").all_inner_texts()
    py = efficientnet.classify(coffee, top_k=5)
    assert items == [c["label"] for c in py]
    assert items[0] == "espresso"
    state = page.evaluate("() => ({ids: window.classifyApp.lastClasses.map((c) => c.class_id),"
                          " backend: window.classifyApp.backend.name})")
    assert state["ids"] == [c["class_id"] for c in py] and state["backend"] == "wasm"
    page.fill("#top-k", "3")
    page.set_input_files("#file", str(sample_path("chelsea.png")))
    page.wait_for_function("() => window.classifyApp.results === 2", timeout=30_000)
    labels = page.locator("#classes li .name").all_inner_texts()
    assert len(labels) == 3 and "cat" in labels[0]
    not_image = tmp_path / "notes.png"
    not_image.write_bytes(b"this is not an image")
    page.set_input_files("#file", str(not_image))
    page.wait_for_function("() => window.classifyApp.errors.length > 0", timeout=30_000)
    assert "ImageError" in page.locator("#error").inner_text()
    page.screenshot(path=str(tmp_path / "classify.png"))
    assert not [e for e in opened.errors if "ImageError" not in e], opened.errors


def test_classify_page_on_the_webcam(browser_page: Any, efficientnet: TaskHandle, fake_camera: Path) -> None:
    from edgeward.browser.chromium import fake_camera_args

    opened = browser_page("/apps/classify/", extra_args=fake_camera_args(fake_camera))
    page = opened.page
    page.click("#webcam")
    page.wait_for_function("() => window.classifyApp.results >= 3", timeout=60_000)
    state = page.evaluate("() => ({source: window.classifyApp.source, n: window.classifyApp.lastClasses.length})")
    assert state == {"source": "webcam", "n": 5}
    assert page.locator("#classes li").count() == 5
    page.click("#stop")
    assert page.evaluate("() => window.classifyApp.source") is None
    assert not opened.errors, opened.errors


def test_classifier_track_delivers_classes_on_the_webcam(browser_page: Any, efficientnet: TaskHandle,
                                                         fake_camera: Path) -> None:
    """classifier.track(): the same pipelined, frame-dropping loop as the pose and detect handles."""
    from edgeward.browser.chromium import fake_camera_args
    from edgeward.browser.harness import HARNESS_PATH
    from tests.browser.test_track import START_CAMERA

    opened = browser_page(HARNESS_PATH, extra_args=fake_camera_args(fake_camera))
    page = opened.page
    assert page.evaluate(START_CAMERA) == [640, 480]
    out = page.evaluate("""async (url) => {
        const c = await window.edgewardHarness.edgeward.createClassifier(url);
        const results = [];
        const tracker = await new Promise((resolve) => {
            const t = c.track(window.video, (classes, frame) => {
                results.push({classes, frame});
                if (results.length >= 5) resolve(t);
            }, {topK: 3, onError: (e) => { results.push({error: String(e)}); resolve(t); }});
        });
        tracker.stop();
        const stats = {...tracker.stats};
        await c.dispose();
        return {results, stats};
    }""", package_url("efficientnet-lite0"))
    results = out["results"]
    assert all("error" not in r for r in results), results
    assert out["stats"]["frames"] >= 5
    for r in results:
        assert len(r["classes"]) == 3 and {"label", "class_id", "score"} <= r["classes"][0].keys()
        assert r["classes"][0]["score"] >= r["classes"][1]["score"] >= r["classes"][2]["score"]
        assert (r["frame"]["width"], r["frame"]["height"]) == (640, 480) and r["frame"]["roi"] is None
        assert r["frame"]["timings"]["inferenceMs"] > 0
    assert opened.errors == []
