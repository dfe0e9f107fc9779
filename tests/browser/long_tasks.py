"""The main-thread check of the apps' live tests: a page that blocks (work per frame on the main thread)
shows a long task (> 50 ms) on most frames; a page that does not can still show one or two when the 2-core
test machine deschedules its main thread (the worker's WASM threads run on both cores).

So the live tests allow at most ``MAX_STRAY`` long tasks, ``MAX_STRAY_MS`` in all, in their 10 s windows
(each of which sees at least 10 results): any per-frame blocking fails, scheduler noise does not. The bench
(``edgeward bench``) reports the long tasks it sees as they are, with no allowance.
"""

from __future__ import annotations

from typing import Any

MAX_STRAY = 2
MAX_STRAY_MS = 250.0


def check_main_thread(tasks: list[dict[str, Any]], results: int) -> None:
    """Fail when the long tasks seen during ``results`` live results say the page blocks."""
    total = sum(float(t["ms"]) for t in tasks)
    assert len(tasks) <= MAX_STRAY and total <= MAX_STRAY_MS, (
        f"{len(tasks)} main-thread long tasks ({total:.0f} ms) in {results} results: {tasks}")
