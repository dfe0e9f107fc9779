"""Cold and warm time to first pose in headless Chromium, on the offline-first playground.

    .venv/bin/python bench/first_pose.py [--runs 3] [--image PATH] [--backend kernels]

cold: a fresh browser profile (no HTTP cache, no service worker, no model cache), network on.
warm: the same profile after that visit, with the context offline and the server stopped, page
      reloaded: app and runtime from the service worker, model from the verified cache.
For each: ready_ms (navigation start → detector ready: scripts, WASM, model, session),
first_estimate_ms (one photo in → poses out) and their sum, time_to_first_pose_ms. Where the time goes:
page_ms (navigation start → the worker took the load request: the page's and the worker's scripts) and,
after that, when each of the worker's overlapping steps ended (worker_at_ms: manifest, runtime =
onnxruntime-web imported and its WASM compiled and started, model = the file's bytes in hand, session).
--backend kernels: the playground on Edgeward's own kernels (?backend=kernels; onnxruntime-web is not loaded).
Prints JSON; timings on a shared 2-core machine are noisy, so the median of --runs fresh profiles is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from edgeward.browser.chromium import launch_chromium
from edgeward.runtime.samples import sample_path
from edgeward.server.background import serve_in_thread

READY = "() => document.body.dataset.status && document.body.dataset.status !== 'loading'"
STATS = """() => ({ready_ms: window.playground.readyMs, first_estimate_ms: window.playground.firstEstimateMs,
  worker: window.playground.loadTimings, cache: window.playground.cache, backend: window.playground.backend,
  errors: window.playground.errors})"""


def _first_pose(page: Any, image: Path) -> dict[str, Any]:
    page.wait_for_function(READY, timeout=120_000)
    page.set_input_files("#file", str(image))
    page.wait_for_function("() => window.playground.framesDone >= 1", timeout=60_000)
    stats: dict[str, Any] = page.evaluate(STATS)
    if stats["errors"]:
        raise RuntimeError(f"the playground reported errors: {stats['errors']}")
    stats["time_to_first_pose_ms"] = stats["ready_ms"] + stats["first_estimate_ms"]
    return stats


def one_run(playwright: Any, image: Path, backend: str | None = None) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="edgeward-bench-") as profile, contextlib.ExitStack() as server:
        base = server.enter_context(serve_in_thread())
        context = launch_chromium(playwright, Path(profile))
        try:
            page = context.new_page()
            page.goto(base + "/apps/playground/" + (f"?backend={backend}" if backend else ""))
            cold = _first_pose(page, image)
            page.wait_for_function("() => window.playground.offlineReady || window.playground.offlineError")
            context.set_offline(True)
            server.close()
            page.reload()
            warm = _first_pose(page, image)
        finally:
            context.close()
    assert cold["cache"]["from"] == "network" and warm["cache"]["from"] == "cache", (cold, warm)
    return {"cold": cold, "warm": warm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--image", type=Path, default=None, help="default: the bundled astronaut photo")
    parser.add_argument("--backend", choices=["kernels"], default=None,
                        help="the runtime's backend option (default: the runtime's own choice)")
    args = parser.parse_args()
    image = args.image or sample_path("astronaut.png")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        runs = [one_run(p, image, args.backend) for _ in range(args.runs)]
    keys = ("ready_ms", "first_estimate_ms", "time_to_first_pose_ms")
    for r in runs:
        for phase in ("cold", "warm"):
            r[phase]["page_ms"] = r[phase]["ready_ms"] - r[phase]["worker"]["loadMs"]
    report: dict[str, Any] = {
        phase: {**{k: round(statistics.median(r[phase][k] for r in runs), 1) for k in keys},
                "page_ms": round(statistics.median(r[phase]["page_ms"] for r in runs), 1),
                "worker_at_ms": {step: round(statistics.median(r[phase]["worker"]["at"][step] for r in runs), 1)
                                 for step in ("manifest", "runtime", "model", "session")
                                 if all(step in r[phase]["worker"]["at"] for r in runs)},
                "all_time_to_first_pose_ms": [round(r[phase]["time_to_first_pose_ms"], 1) for r in runs],
                "worker_load_ms": round(statistics.median(r[phase]["worker"]["loadMs"] for r in runs), 1),
                "worker_warmup_ms": round(statistics.median(r[phase]["worker"]["warmupMs"] for r in runs), 1),
                "backend": runs[0][phase]["backend"], "model_from": runs[0][phase]["cache"]["from"]}
        for phase in ("cold", "warm")
    }
    report["runs"] = args.runs
    report["image"] = str(image)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
