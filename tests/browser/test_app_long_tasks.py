"""The demo apps never block the page: 10 s of webcam video without main-thread long tasks (> 50 ms; see long_tasks.py).

Inference, decoding and the video loop's frame copies run in the runtime's worker; the page only
draws (a CPU profile of the detection page's main thread: about 5 % busy). PerformanceObserver('longtask')
watches the 10 s after the first result. The classifier trainer and the try-on check the same in their
own tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from edgeward.browser.chromium import fake_camera_args
from edgeward.zoo import build
from tests.browser.conftest import OpenedPage
from tests.browser.long_tasks import check_main_thread

pytestmark = pytest.mark.browser

LONG_TASKS = """() => {
  window.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.longTasks.push({start: e.startTime, ms: e.duration});
  }).observe({type: 'longtask'});
}"""


@pytest.mark.parametrize(("path", "hook", "package"), [
    ("/apps/playground/", "playground", "posenet"),
    ("/apps/detect/", "detectPage", "centernet"),
    ("/apps/classify/", "classifyApp", "efficientnet-lite0"),
], ids=["playground", "detect", "classify"])
def test_no_long_task_in_10_s_of_webcam(browser_page: Callable[..., OpenedPage], fake_camera: Path,
                                        path: str, hook: str, package: str) -> None:
    build(package)  # the page's default model, in the store the server reads
    opened = browser_page(path, extra_args=fake_camera_args(fake_camera))
    page = opened.page
    assert page.evaluate("document.body.dataset.status") == "ready", opened.errors
    page.click("#webcam")
    page.wait_for_function(f"() => window.{hook}.source === 'webcam' && window.{hook}.framesDone > 0", timeout=30_000)
    page.evaluate(LONG_TASKS)
    before = page.evaluate(f"window.{hook}.framesDone")
    time.sleep(10)
    frames = page.evaluate(f"window.{hook}.framesDone") - before
    tasks = page.evaluate("window.longTasks")
    print(f"{path}: 10 s of webcam, {frames} results, long tasks: {tasks}")
    assert frames >= 10
    check_main_thread(tasks, frames)
    assert page.evaluate(f"window.{hook}.errors") == [] and opened.errors == []
