"""The detection playground (web/apps/detect/) in real headless Chromium: photos and webcam frames in,
labelled boxes out, errors visible."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from edgeward.browser.chromium import fake_camera_args
from edgeward.zoo import build
from tests.browser.conftest import OpenedPage

pytestmark = pytest.mark.browser

PAGE = "/apps/detect/"


@pytest.fixture(scope="module", autouse=True)
def centernet_dir() -> Path:
    return build("centernet")  # the page's default detector must be in the store the server reads


def _ready(opened: OpenedPage) -> None:
    page = opened.page
    assert page.evaluate("document.body.dataset.status") == "ready", (opened.errors, page.inner_text("#error"))
    assert page.evaluate("window.detectPage.manifest.task") == "detect"
    assert page.evaluate("window.detectPage.backend.name") == "wasm"
    assert "wasm" in page.inner_text("#backend") and "thread" in page.inner_text("#backend")
    assert page.evaluate("new URL(location.href).searchParams.get('model')") is None
    assert page.eval_on_selector("#model", "el => el.value") == "/models/centernet/latest/"


def test_coffee_photo_finds_a_cup(browser_page: Callable[..., OpenedPage], coffee: Path) -> None:
    opened = browser_page(PAGE)
    _ready(opened)
    page = opened.page
    page.set_input_files("#file", str(coffee))
    page.wait_for_function("() => window.detectPage.framesDone >= 1", timeout=30_000)
    found = page.evaluate("window.detectPage.lastDetections")
    assert "cup" in {d["label"] for d in found}, found
    cup = next(d for d in found if d["label"] == "cup")
    x1, y1, x2, y2 = cup["box"]
    assert 0 <= x1 < x2 <= 600 and 0 <= y1 < y2 <= 400 and cup["score"] >= 0.3
    assert all(d["score"] >= 0.3 for d in found)  # the page's default score threshold
    assert page.evaluate("document.querySelectorAll('#detections li').length") == len(found)
    assert "cup" in page.inner_text("#detections")
    assert page.eval_on_selector("#overlay", "c => [c.width, c.height]") == [600, 400]
    # Something was drawn: the overlay is not blank where the cup is.
    drawn = page.evaluate(f"""() => {{
        const ctx = document.getElementById('overlay').getContext('2d');
        return ctx.getImageData({int(x1)}, {int(y1)}, {max(1, int(x2 - x1))}, {max(1, int(y2 - y1))})
          .data.some((v, i) => i % 4 === 3 && v > 0);
    }}""")
    assert drawn
    # Raising the score threshold re-runs the still image and drops the weaker boxes.
    before = page.evaluate("window.detectPage.framesDone")
    page.eval_on_selector("#score-threshold",
                          "el => { el.value = '0.95'; el.dispatchEvent(new Event('input')); }")
    page.wait_for_function(f"() => window.detectPage.framesDone > {before}", timeout=10_000)
    assert all(d["score"] >= 0.95 for d in page.evaluate("window.detectPage.lastDetections"))
    assert page.evaluate("window.detectPage.errors") == []
    assert page.is_hidden("#error")
    assert opened.errors == []


def test_webcam_gives_detections_continuously(browser_page: Callable[..., OpenedPage], fake_camera: Path) -> None:
    opened = browser_page(PAGE, extra_args=fake_camera_args(fake_camera))
    _ready(opened)
    page = opened.page
    page.click("#webcam")
    page.wait_for_function("() => window.detectPage.framesDone >= 1", timeout=30_000)
    labels: set[str] = set()
    for _ in range(4):  # four more results, each waited for on the page's own counter (a stall times out)
        done = page.evaluate("window.detectPage.framesDone")
        page.wait_for_function("(n) => window.detectPage.framesDone > n", arg=done, timeout=30_000)
        labels |= {d["label"] for d in page.evaluate("window.detectPage.lastDetections")}
    assert "person" in labels, labels  # the fake camera shows scikit-image's astronaut
    fps = page.inner_text("#fps")
    assert fps.isdigit() and int(fps) >= 1
    assert page.inner_text("#inference").endswith(")")
    assert page.evaluate("window.detectPage.errors") == []
    assert page.is_hidden("#error")
    assert opened.errors == []


def test_non_image_file_shows_error(browser_page: Callable[..., OpenedPage], tmp_path: Path) -> None:
    opened = browser_page(PAGE)
    bogus = tmp_path / "notes.png"
    bogus.write_text("this is not an image")
    opened.page.set_input_files("#file", str(bogus))
    opened.page.wait_for_selector("#error", state="visible", timeout=10_000)
    text = opened.page.inner_text("#error")
    assert "notes.png" in text and "not a readable image" in text
    assert opened.page.evaluate("window.detectPage.framesDone") == 0
    assert [e for e in opened.errors if "pageerror" in e] == []
