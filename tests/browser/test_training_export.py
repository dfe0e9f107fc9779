"""A model trained in the browser leaves it as a model package, and stays in it — in real headless Chromium,
with Python (onnxruntime) as the judge.

- export: an MLP trained on digits in the browser → `trainer.export()` → the .tar it offers, unpacked →
  `validate_package` (schema, sizes, sha256) and `edgeward.load(folder)`: onnxruntime's probabilities on
  the held-out split within 1e-5 of the browser head's own; the ONNX bytes are those `onnx_graphs` writes
  for the same weights; the report's data hash is Python's. KNN likewise (identical top-1, votes equal).
  A trainer on EfficientNet-Lite0's embedding exports a 'features' package on `base` efficientnet-lite0.
- save: `trainer.save(name)` → reload the page → `openTrainedModel(name)` predicts as before; listed,
  deleted; a tampered saved file is an IntegrityError. And offline: on the playground (the PWA), the
  page reloaded with the network off and the server stopped still reopens and predicts.
- publish: to a registry with a token (PUT blobs, then the manifest); a wrong token and a second
  publish of the same version are RegistryErrors.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import tarfile
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import edgeward
from edgeward.browser.chromium import launch_chromium
from edgeward.browser.harness import HARNESS_PATH
from edgeward.package.pack import validate_package
from edgeward.server.background import serve_in_thread
from edgeward.settings import get_settings
from edgeward.train import data_hash, digits, stratified_split
from edgeward.train.head import TrainedHead
from edgeward.train.onnx_graphs import head_graph
from tests.browser.conftest import OpenedPage, harness_page
from tests.train.photo_folder import make_photo_folder

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(playwright_instance: Any, server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    with harness_page(playwright_instance, server_url, tmp_path_factory) as opened:
        yield opened


@pytest.fixture(scope="module")
def digit_rows() -> dict[str, Any]:
    d = digits()
    _, test_idx = stratified_split(d.y, 0.3, 0)
    return {"x": d.x.reshape(-1).tolist(), "y": d.y.tolist(), "labels": d.labels, "dim": int(d.x.shape[1]),
            "test_idx": test_idx, "test": d.x[test_idx]}


# Shared by the page scripts: the runtime (harness page, or imported on another page), base64 both ways,
# and a trainer's probabilities for each row (every class, in class order).
HELPERS = """
  const ew = window.edgewardHarness?.edgeward ?? await import('/runtime/edgeward.js');
  const b64 = (u8) => {
    let s = '';
    for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const error = async (fn) => {
    try { await fn(); return null; } catch (err) {
      return {name: err.name, status: err.status, message: err.message, isEdgeward: err instanceof ew.EdgewardError};
    }
  };
  const blob = (s) => new Blob([Uint8Array.from(atob(s), (c) => c.charCodeAt(0))]);
  const probabilities = (trainer, rows, n) => Promise.all(rows.map(async (row) => {
    const p = new Array(n);
    for (const c of await trainer.predict(row, {topK: n})) p[c.class_id] = c.score;
    return p;
  }));
"""

EXPORT = """async ([x, y, labels, dim, options, rows, name]) => {""" + HELPERS + """
  const trainer = await ew.createTrainer(null, {labels});
  await trainer.importDataset({format: 'edgeward-dataset/1', labels, dim, x, y});
  const report = await trainer.train(options);
  const pkg = await trainer.export({name, version: '1.0.0'});
  const proba = await probabilities(trainer, rows, labels.length);
  const model = await trainer.model();
  trainer.dispose();
  return {report, proba, model, manifest: pkg.manifest, archiveName: pkg.archiveName, archiveType: pkg.archive.type,
          files: Object.fromEntries(Object.entries(pkg.files).map(([k, v]) => [k, b64(v)])),
          archive: b64(new Uint8Array(await pkg.archive.arrayBuffer()))};
}"""


def _unpack(got: dict[str, Any], tmp: Path) -> Path:
    """The archive's folder, extracted; its files are the ones export() returned."""
    assert got["archiveType"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(got["archive"]))) as tar:
        assert all(m.isfile() or m.isdir() for m in tar.getmembers())
        tar.extractall(tmp, filter="data")
    folder = tmp / got["archiveName"].removesuffix(".tar")
    for name, data in got["files"].items():
        assert (folder / name).read_bytes() == base64.b64decode(data)
    return folder


def test_a_browser_trained_mlp_exports_a_package_python_runs(page: OpenedPage, digit_rows: Any, tmp_path: Path) -> None:
    r = digit_rows
    got = page.page.evaluate(EXPORT, [r["x"], r["y"], r["labels"], r["dim"], {"head": "mlp", "epochs": 5, "seed": 0},
                                      r["test"].tolist(), "browser-digits"])
    folder = _unpack(got, tmp_path)
    manifest = validate_package(folder)  # what `edgeward pack` checks: schema, sizes, sha256
    assert manifest.task == "features" and manifest.base is None and manifest.labels == r["labels"]
    assert manifest.head is not None and (manifest.head.kind, manifest.head.features, manifest.head.dim,
                                          manifest.head.hidden) == ("mlp", "raw", 64, 128)
    t = manifest.training
    assert t is not None and t.data_sha256 == data_hash(digits())
    assert (t.examples, t.train, t.test, t.test_accuracy) == (1797, 1258, 539, got["report"]["accuracy"])
    assert t.trainer == f"edgeward {edgeward.__version__} (browser)" and len(t.history) == 5
    assert t.options["batch_size"] == 32 and t.best_epoch == 5

    model = edgeward.load(folder)  # verifies every file's sha256 first
    ort = model.run({"features": r["test"].astype(np.float32)})["probabilities"]
    browser = np.asarray(got["proba"])
    diff = float(np.abs(ort - browser).max())
    print(f"exported MLP head: onnxruntime vs the browser head on {len(browser)} held-out digits, "
          f"max |Δp| = {diff:.2e}")
    assert diff <= 1e-5
    assert (ort.argmax(1) == browser.argmax(1)).all()
    assert float((ort.argmax(1) == digits().y[r["test_idx"]]).mean()) == got["report"]["accuracy"] >= 0.95

    m = got["model"]  # the same weights through Python's own graph writer give the same bytes
    layers = [(np.array(la["W"]).reshape(la["rows"], la["cols"]), np.array(la["b"])) for la in m["layers"]]
    head = TrainedHead(kind="mlp", labels=m["labels"], mean=np.array(m["mean"]), std=np.array(m["std"]), layers=layers)
    assert head_graph(head).SerializeToString() == (folder / "model.fp32.onnx").read_bytes()


def test_a_browser_knn_exports_a_package_with_the_same_top1(page: OpenedPage, digit_rows: Any, tmp_path: Path) -> None:
    r = digit_rows
    got = page.page.evaluate(EXPORT, [r["x"], r["y"], r["labels"], r["dim"], {"head": "knn", "k": 3},
                                      r["test"].tolist(), "browser-digits-knn"])
    folder = _unpack(got, tmp_path)
    manifest = validate_package(folder)
    assert manifest.head is not None and (manifest.head.kind, manifest.head.k) == ("knn", 3)
    assert manifest.training is not None and manifest.training.options == {"head": "knn", "k": 3}
    ort = edgeward.load(folder).run({"features": r["test"].astype(np.float32)})["probabilities"]
    browser = np.asarray(got["proba"])
    assert (ort.argmax(1) == browser.argmax(1)).all()
    diff = float(np.abs(ort - browser).max())
    print(f"exported KNN: identical top-1 on {len(browser)} held-out digits, max |Δ votes/k| = {diff:.2e}")
    assert diff <= 1e-6


EXPORT_PHOTOS = """async ([base, examples, heldout, labels]) => {""" + HELPERS + """
  const trainer = await ew.createTrainer(base, {labels});
  for (const [s, label] of examples) await trainer.addExample(blob(s), label);
  await trainer.train({head: 'mlp', epochs: 10});
  const pkg = await trainer.export({name: 'browser-photos'});
  const top1 = [];
  for (const s of heldout) top1.push((await trainer.predict(blob(s), {topK: 1}))[0].label);
  await trainer.save('browser-photos');
  trainer.dispose();
  const again = await ew.openTrainedModel('browser-photos');  // the base in its worker, the saved head
  const reopened = [];
  for (const s of heldout) reopened.push((await again.predict(blob(s), {topK: 1}))[0].label);
  again.dispose();
  await ew.deleteTrainedModel('browser-photos');
  return {manifest: pkg.manifest, files: Object.fromEntries(Object.entries(pkg.files).map(([k, v]) => [k, b64(v)])),
          archive: b64(new Uint8Array(await pkg.archive.arrayBuffer())), archiveName: pkg.archiveName,
          archiveType: pkg.archive.type, top1, reopened};
}"""


def test_a_trainer_on_an_image_base_exports_a_features_package_on_that_base(page: OpenedPage, tmp_path: Path) -> None:
    folder, heldout = make_photo_folder(tmp_path / "photos")
    labels = sorted(p.name for p in folder.iterdir())
    examples = [[base64.b64encode(f.read_bytes()).decode(), f.parent.name] for f in sorted(folder.glob("*/*.png"))]
    paths = sorted(heldout)
    got = page.page.evaluate(EXPORT_PHOTOS, ["/models/efficientnet-lite0/latest/", examples,
                                             [base64.b64encode(p.read_bytes()).decode() for p in paths], labels])
    base = edgeward.load("efficientnet-lite0")
    package = _unpack(got, tmp_path / "out")
    manifest = validate_package(package)
    assert manifest.base == f"efficientnet-lite0@{base.manifest.version}"
    assert manifest.head is not None and (manifest.head.features, manifest.head.dim) == ("embedding", 1280)
    head = edgeward.load(package)  # Python: the base's embedding, then the browser's head
    python = [head.classify(base.embed(p), top_k=1)[0]["label"] for p in paths]
    assert got["top1"] == python == [heldout[p] for p in paths]
    assert got["reopened"] == got["top1"]


SAVE = """async ([x, y, labels, dim, rows, name, workerUrl]) => {""" + HELPERS + """
  const trainer = await ew.createTrainer(null, {labels, ...(workerUrl ? {workerUrl} : {})});
  await trainer.importDataset({format: 'edgeward-dataset/1', labels, dim, x, y});
  const report = await trainer.train({head: 'mlp', epochs: 2});
  const before = await probabilities(trainer, rows, labels.length);
  const summary = await trainer.save(name);
  trainer.dispose();
  return {before, report, summary, list: await ew.listTrainedModels()};
}"""

REOPEN = """async ([rows, name, workerUrl]) => {""" + HELPERS + """
  const trainer = await ew.openTrainedModel(name, workerUrl ? {workerUrl} : {});
  const after = await probabilities(trainer, rows, 10);
  const out = {after, report: await trainer.evaluate(), counts: await trainer.counts(),
               kind: (await trainer.model()).kind};
  trainer.dispose();
  return out;
}"""

TAMPER_AND_DELETE = """async (name) => {""" + HELPERS + """
  const db = await new Promise((ok, fail) => {
    const r = indexedDB.open('edgeward-trained-models');
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  const tx = db.transaction('packages', 'readwrite');
  const store = tx.objectStore('packages');
  const record = await new Promise((ok) => { store.get(name).onsuccess = (e) => ok(e.target.result); });
  record.files['model.fp32.onnx'][100] ^= 1;  // one bit of one weight
  store.put(record);
  await new Promise((ok) => { tx.oncomplete = ok; });
  db.close();
  const tampered = await error(() => ew.openTrainedModel(name));
  const deleted = await ew.deleteTrainedModel(name);
  return {tampered, deleted, again: await ew.deleteTrainedModel(name), list: await ew.listTrainedModels(),
          missing: await error(() => ew.openTrainedModel(name))};
}"""


def _check_reopened(saved: dict[str, Any], reopened: dict[str, Any]) -> float:
    before, after = np.asarray(saved["before"]), np.asarray(reopened["after"])
    assert (before.argmax(1) == after.argmax(1)).all()
    diff = float(np.abs(before - after).max())
    assert diff <= 1e-5  # the saved weights are float32; the head before saving held float64
    assert reopened["report"] == saved["report"] and reopened["kind"] == "mlp"
    return diff


def test_a_saved_model_survives_a_reload_and_is_listed_and_deleted(page: OpenedPage, digit_rows: Any) -> None:
    r = digit_rows
    rows = r["test"][:40].tolist()
    saved = page.page.evaluate(SAVE, [r["x"], r["y"], r["labels"], r["dim"], rows, "saved-digits", None])
    summary = saved["summary"]
    assert (summary["name"], summary["kind"], summary["features"]) == ("saved-digits", "mlp", "raw")
    assert summary["examples"] == 1797
    assert summary["testAccuracy"] == saved["report"]["accuracy"] and summary["bytes"] > 1797 * 64 * 8
    assert [s["name"] for s in saved["list"]] == ["saved-digits"]

    page.page.reload()
    page.page.wait_for_function("() => document.body.dataset.status === 'ready'")
    reopened = page.page.evaluate(REOPEN, [rows, "saved-digits", None])
    diff = _check_reopened(saved, reopened)
    print(f"reopened after a reload: same top-1 on {len(rows)} digits, max |Δp| = {diff:.2e}")
    assert reopened["counts"] == {label: int(n) for label, n in zip(r["labels"], np.bincount(r["y"]), strict=True)}

    out = page.page.evaluate(TAMPER_AND_DELETE, "saved-digits")
    assert out["tampered"]["name"] == "IntegrityError"
    assert "saved model 'saved-digits': model.fp32.onnx: sha256" in out["tampered"]["message"]
    assert (out["deleted"], out["again"], out["list"]) == (True, False, [])
    assert out["missing"]["name"] == "PackageNotFoundError"
    assert "no trained model 'saved-digits'" in out["missing"]["message"]


READY = "() => document.body.dataset.status && document.body.dataset.status !== 'loading'"
PLAYGROUND_WORKER = "/apps/playground/worker.js"  # a client of the playground's service worker, offline too


def test_a_saved_model_predicts_offline_after_a_reload(playwright_instance: Any, posenet_dir: Path, tmp_path: Path,
                                                       digit_rows: Any) -> None:
    r = digit_rows
    rows = r["test"][:20].tolist()
    server = contextlib.ExitStack()
    url = server.enter_context(serve_in_thread())
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    try:
        page = context.new_page()
        page.goto(url + "/apps/playground/")
        page.wait_for_function(READY, timeout=60_000)
        page.wait_for_function("() => window.playground.offlineReady || window.playground.offlineError", timeout=60_000)
        assert page.evaluate("window.playground.offlineError") is None
        saved = page.evaluate(SAVE, [r["x"], r["y"], r["labels"], r["dim"], rows, "offline-digits", PLAYGROUND_WORKER])

        context.set_offline(True)
        server.close()  # nothing can come from the network from here on
        page.reload()
        page.wait_for_function(READY, timeout=60_000)
        reopened = page.evaluate(REOPEN, [rows, "offline-digits", PLAYGROUND_WORKER])
        diff = _check_reopened(saved, reopened)
        print(f"reopened offline (network off, server stopped): same top-1 on {len(rows)} digits, "
              f"max |Δp| = {diff:.2e}")
    finally:
        context.close()
        server.close()


PUBLISH = """async ([token, name]) => {""" + HELPERS + """
  const labels = ['a', 'b', 'c'];
  const trainer = await ew.createTrainer(null, {labels});
  for (let i = 0; i < 12; i++) await trainer.addExample([i % 3, 1 + (i % 2), 2 - (i % 3)], labels[i % 3]);
  await trainer.train({head: 'knn', k: 1, testSplit: 0});
  const pkg = await trainer.export({name, version: '1.0.0'});
  const badName = await error(() => trainer.export({name: 'Bad Name'}));
  trainer.dispose();
  const wrong = await error(() => pkg.publish(location.origin, 'not-the-token'));
  const published = await pkg.publish(location.origin, token);
  const again = await error(() => pkg.publish(location.origin, token));
  return {badName, wrong, published, again, manifest: pkg.manifest, bytes: b64(pkg.files['model.fp32.onnx'])};
}"""


def test_a_browser_package_publishes_to_the_registry(playwright_instance: Any, tmp_path: Path) -> None:
    token = "s3cret-browser"
    settings = replace(get_settings(), home=tmp_path / "server-home", registry_token=token, registry_url=None,
                       database_url=None, blob_dir=None)
    with serve_in_thread(settings) as url:
        context = launch_chromium(playwright_instance, tmp_path / "profile")
        try:
            page = context.new_page()
            page.goto(url + HARNESS_PATH)
            page.wait_for_function("() => document.body.dataset.status === 'ready'")
            got = page.evaluate(PUBLISH, [token, "browser-knn"])
        finally:
            context.close()
        assert got["badName"]["name"] == "ManifestError" and "field 'name'" in got["badName"]["message"]
        assert got["wrong"]["name"] == "RegistryError" and got["wrong"]["status"] == 403 and got["wrong"]["isEdgeward"]
        assert "/api/v1/blobs/" in got["wrong"]["message"]
        assert got["again"]["status"] == 409
        assert "/api/v1/packages/browser-knn/versions/1.0.0" in got["again"]["message"]
        with urllib.request.urlopen(f"{url}/api/v1/packages/browser-knn/versions/1.0.0") as response:
            resolved = json.load(response)
        assert resolved["manifest"] == got["manifest"]
        entry = resolved["manifest"]["files"]["fp32"]
        with urllib.request.urlopen(f"{url}/api/v1/blobs/{entry['sha256']}") as response:
            data = response.read()
        assert data == base64.b64decode(got["bytes"]) and hashlib.sha256(data).hexdigest() == entry["sha256"]
