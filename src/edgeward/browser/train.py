"""``edgeward train --browser``: the same training, run by the browser trainer in headless Chromium.

The browser gets the very features Python trained on (for an image folder: Python's embeddings, so
the comparison is of the training, not of two runtimes' embeddings) and the same options and seed;
it answers with its report and its weights, compared here with the Python model's.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from edgeward.errors import BrowserError
from edgeward.train.data import Dataset

HARNESS_PATH = "/apps/harness/"
TRAIN = """async ([dataset, options]) => {
  const ew = window.edgewardHarness.edgeward;
  let trainer;
  try {
    trainer = await ew.createTrainer(null, {labels: dataset.labels, k: options.k});
    await trainer.importDataset(dataset);
    const t0 = performance.now();
    const report = await trainer.train(options);
    return {report, model: await trainer.model(), ms: performance.now() - t0};
  } catch (e) {
    return {error: {name: e.name, message: e.message}};
  } finally {
    trainer?.dispose();
  }
}"""


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def train_in_browser(dataset: Dataset, options: dict[str, Any], test_split: float) -> dict[str, Any]:
    """{report, model, ms} of the browser trainer on ``dataset`` with ``options`` (Python names)."""
    from edgeward.browser.chromium import chromium_context
    from edgeward.server.background import serve_in_thread

    js_options = {_camel(k): v for k, v in options.items()} | {"testSplit": test_split}
    data = {"format": "edgeward-dataset/1", "labels": list(dataset.labels), "dim": int(dataset.x.shape[1]),
            "x": dataset.x.reshape(-1).tolist(), "y": [int(c) for c in dataset.y]}
    with serve_in_thread() as base, chromium_context() as context:
        page = context.new_page()
        page.goto(base + HARNESS_PATH)
        page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=60_000)
        result: dict[str, Any] = page.evaluate(TRAIN, [data, js_options])
    if "error" in result:
        raise BrowserError(f"browser training: {result['error']['name']}: {result['error']['message']}")
    return result


def compare(python_model: Any, python_accuracy: float | None, browser: dict[str, Any]) -> dict[str, Any]:
    """What the report shows: both accuracies, the browser's time and the largest weight difference."""
    model = browser["model"]
    diff = None
    if model and model["kind"] != "knn":
        diff = 0.0
        for (w, b), layer in zip(python_model.layers, model["layers"], strict=True):
            diff = max(diff, float(np.abs(np.asarray(layer["W"]).reshape(w.shape) - w).max()),
                       float(np.abs(np.asarray(layer["b"]) - b).max()))
    return {"accuracy": browser["report"].get("accuracy"), "python_accuracy": python_accuracy,
            "max_weight_diff": diff, "ms": round(browser["ms"], 1)}

