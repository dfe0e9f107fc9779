"""Measure EfficientNet-Lite0 build time and ms per inference in Python and in headless Chromium.

    .venv/bin/python bench/classify_latency.py [--runs 30] [--no-build]

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
from edgeward.runtime.model import load_model
from edgeward.runtime.samples import sample_path
from edgeward.server.background import serve_in_thread
from edgeward.zoo import efficientnet as recipe

IMAGE = "coffee.png"


def build_seconds() -> float:
    """Load the weights, export, verify (ONNX vs PyTorch on 6 photos + random inputs), package."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        from edgeward.convert.torch import from_torch

        from_torch(recipe.classifier(), recipe.photo_input(IMAGE), Path(tmp) / "m.onnx", input_names=["image"],
                   output_names=["probabilities", "embedding"])
        return time.perf_counter() - start


def python_ms(runs: int, threads: int) -> dict[str, float]:
    model = load_model(recipe.NAME, threads=threads)
    image = sample_path(IMAGE)
    feeds = {"image": recipe.photo_input(IMAGE)}
    for _ in range(3):
        model.run(feeds)
    inference, total = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        model.run(feeds)
        inference.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        model.classify(image)
        total.append((time.perf_counter() - t0) * 1000)
    return {"inference_ms_p50": statistics.median(inference), "classify_ms_p50": statistics.median(total)}


def browser_ms(runs: int) -> dict[str, object]:
    image = list(sample_path(IMAGE).read_bytes())
    out: dict[str, object] = {}
    with serve_in_thread() as base, chromium_context() as context:
        page = context.new_page()
        page.goto(base + HARNESS_PATH)
        page.wait_for_function("() => document.body.dataset.status === 'ready'")
        for threads in (1, 2):
            out[f"wasm_{threads}_thread"] = page.evaluate(
                "async ([u, b, n, t]) => window.edgewardHarness.timeClassify(u, new Uint8Array(b), n, 5, "
                "{numThreads: t})", [package_url(recipe.NAME), image, runs, threads])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-build", action="store_true", help="skip timing the export + verification")
    args = parser.parse_args()
    report: dict[str, object] = {}
    if not args.no_build:
        report["export_and_verify_s"] = build_seconds()
    report["python"] = {f"{t}_thread": python_ms(args.runs, t) for t in (1, 2)}
    report["chromium"] = browser_ms(args.runs)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
