"""Training in real headless Chromium, bound to the Python oracle.

- digits: the browser trainer (worker) gives the MLP `edgeward train digits` trains — weights within
  1e-4 (measured: rounding level) and the same held-out accuracy — while the page's main thread sees
  no long task; a cancel stops the run with an AbortError in the epoch it was asked in;
- transfer learning: a package trained in Python on real photos (EfficientNet-Lite0 embedding + MLP)
  gives Python's top-1 on every held-out photo in the browser (`createClassifier`); a browser trainer
  fed the same photos (features from onnxruntime-web) predicts the same held-out classes;
- a `features` package (digits) classifies in the browser as in Python (`createFeatureClassifier`).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import edgeward
from edgeward.train import digits, stratified_split, train_head
from tests.browser.conftest import OpenedPage, harness_page
from tests.train.photo_folder import make_photo_folder

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(playwright_instance: Any, server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    with harness_page(playwright_instance, server_url, tmp_path_factory) as opened:
        yield opened


TRAIN_DIGITS = """async ([x, y, labels, dim, options, epochsBeforeCancel]) => {
  const ew = window.edgewardHarness.edgeward;
  const trainer = await ew.createTrainer(null, {labels});
  const dataset = {format: 'edgeward-dataset/1', labels, dim, x, y};
  await trainer.importDataset(dataset);
  const first = await trainer.addExample(x.slice(0, dim), labels[y[0]]);  // one more through addExample
  await trainer.removeExample(first.exampleId);
  const longTasks = [];
  const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration)));
  observer.observe({type: 'longtask'});
  const epochs = [];
  let ticks = 0;  // the page's own timer keeps firing while the worker trains
  const timer = setInterval(() => { ticks += 1; }, 10);
  let outcome;
  try {
    const report = await trainer.train({...options, onEpochEnd: (r) => {
      epochs.push(r);
      if (epochsBeforeCancel && epochs.length === epochsBeforeCancel) trainer.cancel();
    }});
    outcome = {report, model: await trainer.model()};
  } catch (err) {
    outcome = {error: {name: err.name, message: err.message}, model: await trainer.model()};
  }
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 100));
  observer.disconnect();
  trainer.dispose();
  return {...outcome, epochs, longTasks, ticks, counts: null};
}"""


@pytest.fixture(scope="module")
def digit_rows() -> tuple[list[float], list[int], list[str], int]:
    d = digits()
    return d.x.reshape(-1).tolist(), d.y.tolist(), d.labels, int(d.x.shape[1])


def test_browser_trains_the_python_mlp_on_digits(page: OpenedPage, digit_rows: Any) -> None:
    x, y, labels, dim = digit_rows
    got = page.page.evaluate(TRAIN_DIGITS, [x, y, labels, dim, {"head": "mlp", "epochs": 10, "seed": 0}, 0])
    assert "error" not in got, got.get("error")
    d = digits()
    train_idx, test_idx = stratified_split(d.y, 0.3, 0)
    python = train_head(d, train_idx, test_idx, {"head": "mlp", "epochs": 10, "seed": 0})
    worst = 0.0
    for (w, b), layer in zip(python.layers, got["model"]["layers"], strict=True):
        worst = max(worst, float(np.abs(np.asarray(layer["W"]).reshape(w.shape) - w).max()),
                    float(np.abs(np.asarray(layer["b"]) - b).max()))
    print(f"browser vs Python MLP on digits, 10 epochs: max |Δw| = {worst:.2e}")
    assert worst <= 1e-4
    report = got["report"]
    assert report["testExamples"] == len(test_idx)
    assert [r["testAccuracy"] for r in got["epochs"]] == [r["test_accuracy"] for r in python.history]
    assert report["accuracy"] == python.history[-1]["test_accuracy"] >= 0.97
    assert len(report["confusion"]) == 10 and len(report["perClass"]) == 10


def test_a_long_browser_training_run_never_blocks_the_page_and_cancels(page: OpenedPage, digit_rows: Any) -> None:
    x, y, labels, dim = digit_rows
    options = {"head": "mlp", "epochs": 20, "seed": 1}
    full = page.page.evaluate(TRAIN_DIGITS, [x, y, labels, dim, options, 0])
    assert len(full["epochs"]) == 20
    assert full["longTasks"] == [], f"main-thread long tasks during training: {full['longTasks']}"
    assert full["ticks"] > 20, "the page's timer did not run while the worker trained"

    cancelled = page.page.evaluate(TRAIN_DIGITS, [x, y, labels, dim, options, 2])
    assert cancelled["error"]["name"] == "AbortError", cancelled
    # The cancel was sent when epoch 2 ended: the run stops in epoch 3, never finishing it.
    assert "cancelled in epoch 3" in cancelled["error"]["message"]
    assert len(cancelled["epochs"]) == 2
    assert cancelled["model"] is None  # nothing half-trained replaces the (absent) previous model


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


@pytest.fixture(scope="module")
def transfer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, str], Any]:
    root = tmp_path_factory.mktemp("transfer")
    folder, heldout = make_photo_folder(root)
    result = edgeward.train(folder, "test-browser-transfer", head="mlp", epochs=10, force=True)
    return folder, heldout, result


# Images cross into the page as base64 (a list of byte values is ~10x larger and slow to serialise).
BLOB = "const blob = (b64) => new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]);"

CLASSIFY = """async ([url, images]) => {
  const ew = window.edgewardHarness.edgeward;
  """ + BLOB + """
  const classifier = await ew.createClassifier(url);
  const out = [];
  for (const b64 of images) out.push(await classifier.classify(blob(b64), {topK: 1}));
  await classifier.dispose();
  return out;
}"""

TRAIN_PHOTOS = """async ([base, examples, heldout, labels, options]) => {
  const ew = window.edgewardHarness.edgeward;
  """ + BLOB + """
  const trainer = await ew.createTrainer(base, {labels});
  for (const [b64, label] of examples) await trainer.addExample(blob(b64), label);
  const before = await trainer.predict(blob(heldout[0]), {topK: 1});  // KNN
  const report = await trainer.train(options);
  const after = [];
  for (const b64 of heldout) after.push((await trainer.predict(blob(b64), {topK: 1}))[0].label);
  const counts = await trainer.counts();
  trainer.dispose();
  return {before, report, after, counts};
}"""


def test_a_python_trained_image_classifier_gives_python_top1_in_the_browser(page: OpenedPage, transfer: Any) -> None:
    _, heldout, _ = transfer
    model = edgeward.load("test-browser-transfer")
    paths = sorted(heldout)
    python = [model.classify(p, top_k=1)[0]["label"] for p in paths]
    assert python == [heldout[p] for p in paths]  # every held-out photo right
    got = page.page.evaluate(CLASSIFY, ["/models/test-browser-transfer/latest/", [_b64(p) for p in paths]])
    assert [g[0]["label"] for g in got] == python


def test_the_browser_trainer_learns_the_photos_from_the_base_embedding(page: OpenedPage, transfer: Any) -> None:
    folder, heldout, _ = transfer
    labels = sorted(p.name for p in folder.iterdir())
    examples = [[_b64(f), f.parent.name] for f in sorted(folder.glob("*/*.png"))]
    paths = sorted(heldout)
    got = page.page.evaluate(TRAIN_PHOTOS, ["/models/efficientnet-lite0/latest/", examples,
                                            [_b64(p) for p in paths], labels,
                                            {"head": "mlp", "epochs": 10}])
    assert got["counts"] == {label: 8 for label in labels}
    assert got["before"][0]["label"] == heldout[paths[0]]  # KNN before any training
    assert got["report"]["accuracy"] == 1.0
    assert got["after"] == [heldout[p] for p in paths]


FEATURES = """async ([url, rows]) => {
  const ew = window.edgewardHarness.edgeward;
  const head = await ew.createFeatureClassifier(url);
  const out = [];
  for (const row of rows) out.push((await head.classify(row, {topK: 2})).map((c) => [c.label, c.score]));
  let error = null;
  try { await head.classify([1, 2, 3]); } catch (err) { error = {name: err.name, message: err.message}; }
  await head.dispose();
  return {out, error};
}"""


def test_a_features_package_classifies_in_the_browser_as_in_python(page: OpenedPage, digit_rows: Any) -> None:
    edgeward.train("digits", "test-browser-digits", head="linear", epochs=3, force=True)
    model = edgeward.load("test-browser-digits")
    d = digits()
    rows = d.x[:25]
    got = page.page.evaluate(FEATURES, ["/models/test-browser-digits/latest/", rows.tolist()])
    for row, browser in zip(rows, got["out"], strict=True):
        python = model.classify(row, top_k=2)
        assert [b[0] for b in browser] == [p["label"] for p in python]
        assert np.allclose([b[1] for b in browser], [p["score"] for p in python], atol=1e-5)
    assert got["error"]["name"] == "RangeError" and "length 3; this head takes 64" in got["error"]["message"]


def test_cli_train_browser_reports_both(tmp_path: Path) -> None:
    # A process of its own (the session's Playwright would refuse a second one in this thread).
    env = dict(os.environ) | {"EDGEWARD_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-m", "edgeward.cli", "train", "digits", "--name", "d", "--epochs", "3",
                          "--browser", "--json"], capture_output=True, text=True, timeout=600, env=env, check=True)
    browser = json.loads(out.stdout)["browser"]
    assert browser["accuracy"] == browser["python_accuracy"] > 0.9
    assert browser["max_weight_diff"] <= 1e-4
