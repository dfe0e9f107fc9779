"""Training speed in headless Chromium: the Edgeward trainer (our JS in the worker) beside TF.js
`model.fit()` on tfjs-backend-wasm, the same head on the same features in one page; KNN predict
latency; and digits in Python beside the browser.

    .venv/bin/python bench/train_speed.py [--examples 500] [--epochs 10] [--out docs/bench/training]

Features: EfficientNet-Lite0 embeddings (1280-d) of seeded random crops and mirror images of five
real photos (scikit-image: chelsea, coffee, rocket, motorcycle_left, astronaut), one class each.
Both runtimes train the same head (linear: dense softmax; mlp: dense 128 ReLU + dense softmax), Adam
at 0.01, batch 32, 70/30 split, and score the held-out part after every epoch (TF.js: validationData).
TF.js gets as many WASM threads as it grants on this machine (it caps at hardwareConcurrency / 2);
ours trains on one worker thread. Timings on a shared machine are noisy: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import edgeward
from edgeward.browser.chromium import launch_chromium
from edgeward.runtime.image import load_image
from edgeward.runtime.samples import sample_path
from edgeward.server.background import serve_in_thread
from edgeward.train import digits, stratified_split, train_head

PHOTOS = {"cat": "chelsea.png", "coffee": "coffee.png", "rocket": "rocket.jpg", "motorcycle": "motorcycle_left.png",
          "astronaut": "astronaut.png"}
PAGE = "/apps/bench/train.html"


def embeddings(n: int, seed: int = 0) -> dict[str, Any]:
    """``n`` examples spread over the photos: random crops of 50–90 % at random places, half mirrored."""
    model = edgeward.load("efficientnet-lite0")
    rng = np.random.default_rng(seed)
    labels = list(PHOTOS)
    x, y = [], []
    for i in range(n):
        c = i % len(labels)
        rgb = load_image(sample_path(PHOTOS[labels[c]]))
        h, w = rgb.shape[:2]
        f = rng.uniform(0.5, 0.9)
        ch, cw = int(h * f), int(w * f)
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        view = rgb[y0:y0 + ch, x0:x0 + cw]
        if rng.random() < 0.5:
            view = view[:, ::-1]
        x.append(model.embed(np.ascontiguousarray(view)))
        y.append(c)
    feats = np.stack(x).astype(np.float64)
    return {"format": "edgeward-dataset/1", "labels": labels, "dim": int(feats.shape[1]),
            "x": feats.reshape(-1).tolist(), "y": y}


def _split(y: list[int]) -> dict[str, list[int]]:
    train, test = stratified_split(np.asarray(y), 0.3, 0)
    return {"train": train.tolist(), "test": test.tolist()}


def run(examples: int, epochs: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    photos = embeddings(examples)
    embed_s = time.perf_counter() - t0
    d = digits()
    digit_set = {"format": "edgeward-dataset/1", "labels": d.labels, "dim": int(d.x.shape[1]),
                 "x": d.x.reshape(-1).tolist(), "y": d.y.tolist()}
    t0 = time.perf_counter()
    train_idx, test_idx = stratified_split(d.y, 0.3, 0)
    train_head(d, train_idx, test_idx, {"head": "mlp", "epochs": 10})
    python_digits_ms = (time.perf_counter() - t0) * 1000
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {"examples": examples, "epochs": epochs, "embedding_s": round(embed_s, 1),
                               "python_digits_mlp_10_epochs_ms": round(python_digits_ms, 1), "heads": {}}
    with tempfile.TemporaryDirectory(prefix="edgeward-bench-") as profile, serve_in_thread() as base, \
            sync_playwright() as pw:
        context = launch_chromium(pw, Path(profile))
        try:
            page = context.new_page()
            page.goto(base + PAGE)
            page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=60_000)
            threads = page.evaluate("() => navigator.hardwareConcurrency")
            results["browser"] = page.evaluate("() => navigator.userAgent")
            split = _split(photos["y"])
            for head in ("linear", "mlp"):
                options = {"head": head, "epochs": epochs, "batchSize": 32, "learningRate": 0.01, "hidden": 128}
                ours = page.evaluate("([d, o]) => window.edgewardTrainBench.edgewardFit(d, o)", [photos, options])
                theirs = page.evaluate("([d, s, o, t]) => window.edgewardTrainBench.tfjsFit(d, s, o, t)",
                                       [photos, split, options, threads])
                results["heads"][head] = {"edgeward": ours, "tfjs": theirs}
            queries = photos["x"][:20 * photos["dim"]]
            results["knn_predict"] = page.evaluate(
                "([d, q]) => window.edgewardTrainBench.knnPredict(d, q, 50)", [photos, queries])
            results["browser_digits"] = page.evaluate(
                "([d, o]) => window.edgewardTrainBench.edgewardFit(d, o)", [digit_set, {"head": "mlp", "epochs": 10}])
        finally:
            context.close()
    return results


def markdown(r: dict[str, Any]) -> str:
    lines = [f"# Training speed in Chromium ({platform.processor() or platform.machine()}, "
             f"{r['examples']} examples, 1280-d EfficientNet-Lite0 embeddings, 5 classes, {r['epochs']} epochs)", "",
             "| head | Edgeward ms/epoch (p50) | TF.js fit() ms/epoch (p50) | TF.js threads | Edgeward / TF.js time "
             "| held-out acc. Edgeward | held-out acc. TF.js |", "|---|---:|---:|---:|---:|---:|---:|"]
    for head, pair in r["heads"].items():
        ours, theirs = pair["edgeward"], pair["tfjs"]
        if ours.get("status") != "ok" or theirs.get("status") != "ok":
            lines.append(f"| {head} | {ours.get('reason', '')} | {theirs.get('reason', '')} | | | | |")
            continue
        lines.append(f"| {head} | {ours['epochMsMedian']:.1f} | {theirs['epochMsMedian']:.1f} | {theirs['threads']} "
                     f"| {ours['epochMsMedian'] / theirs['epochMsMedian']:.2f}× | {ours['accuracy']:.3f} "
                     f"| {theirs['accuracy']:.3f} |")
    knn, digits_browser = r["knn_predict"], r["browser_digits"]
    lines += ["", f"KNN predict (k = 3 over {r['examples']} stored examples, page → worker → page): "
              f"p50 {knn.get('msMedian', float('nan')):.2f} ms.",
              f"Digits, MLP (128), 10 epochs: Python {r['python_digits_mlp_10_epochs_ms']:.0f} ms, "
              f"browser {digits_browser.get('totalMs', float('nan')):.0f} ms.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None, help="folder for train_speed.json and .md")
    args = parser.parse_args()
    result = run(args.examples, args.epochs)
    text = markdown(result)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "train_speed.json").write_text(json.dumps(result, indent=1) + "\n")
        (args.out / "train_speed.md").write_text(text)


if __name__ == "__main__":
    main()
