"""Importer round trips in real Chromium: a PyTorch CNN, a Keras CNN and a scikit-learn pipeline are
converted, verified, packaged as task 'tensor', loaded with ``loadModel`` and run in the browser
runtime (onnxruntime-web in the worker); outputs must equal the source framework's and onnxruntime's."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgeward.convert import ImportResult, from_keras, from_sklearn, from_torch
from edgeward.convert.verify import run_onnx
from edgeward.package.build import package_tensor_model
from tests.browser.conftest import OpenedPage, harness_page
from tests.convert.import_models import digits_pipeline, keras_cnn, torch_cnn

pytestmark = pytest.mark.browser

VERSION = f"0.0.1-test.{os.getpid()}"  # unique: concurrent test runs may share one store
REL = 1e-5

RUN_IN_PAGE = """async ([url, feeds]) => {
  const { loadModel } = window.edgewardHarness.edgeward;
  let model;
  try {
    model = await loadModel(url, {});
    const f = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = { data: Float32Array.from(v.data), dims: v.dims };
    const out = await model.run(f);
    const res = {};
    for (const [k, t] of Object.entries(out)) res[k] = { data: Array.from(t.data, Number), dims: t.dims, type: t.type };
    return { outputs: res, backend: model.backend, task: model.manifest.task };
  } catch (e) {
    return { error: { name: e.name, message: e.message } };
  } finally {
    await model?.dispose();
  }
}"""


@pytest.fixture(scope="module")
def page(playwright_instance: Any, server_url: str, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[OpenedPage]:
    with harness_page(playwright_instance, server_url, tmp_path_factory) as opened:
        yield opened


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, ImportResult], str]]:
    """Write an import to the local store (the server serves it); removed after the module."""
    made: list[Path] = []

    def make(name: str, result: ImportResult) -> str:
        folder = package_tensor_model(result.path, name, VERSION, result=result)
        made.append(folder)
        return f"/models/{name}/{VERSION}/"

    yield make
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # only when no other version is left
            folder.parent.rmdir()


def run_in_browser(page: OpenedPage, url: str, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    js = {k: {"data": v.ravel().tolist(), "dims": list(v.shape)} for k, v in feeds.items()}
    res = page.page.evaluate(RUN_IN_PAGE, [url, js])
    assert "error" not in res, res["error"]
    assert res["task"] == "tensor" and res["backend"]["name"] == "wasm"
    return {k: np.asarray(v["data"]).reshape(v["dims"]) for k, v in res["outputs"].items()}


def rel_diff(got: np.ndarray, ref: np.ndarray) -> float:
    ref64 = np.asarray(ref, dtype=np.float64)
    scale = max(float(np.max(np.abs(ref64))), 1.0)
    return float(np.max(np.abs(np.asarray(got, dtype=np.float64) - ref64))) / scale


def check_round_trip(page: OpenedPage, url: str, result: ImportResult, feeds: dict[str, np.ndarray],
                     source: dict[str, np.ndarray]) -> dict[str, float]:
    browser = run_in_browser(page, url, feeds)
    native = run_onnx(result.path, feeds)
    assert set(browser) == set(native) == set(source)
    diffs = {}
    for name, ref in source.items():
        assert browser[name].shape == ref.shape, (name, browser[name].shape, ref.shape)
        diffs[name] = rel_diff(browser[name], ref)
        assert diffs[name] <= REL, (name, diffs[name])
        assert rel_diff(browser[name], native[name]) <= REL
    print(f"browser vs source, max rel diff: {diffs}")  # shown with -s
    assert not page.errors
    return diffs


def test_torch_cnn_round_trip(page: OpenedPage, packaged: Callable[[str, ImportResult], str],
                              tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxscript")
    model, x = torch_cnn()
    result = from_torch(model, x, tmp_path / "cnn.onnx", input_names=["image"], output_names=["logits"])
    assert result.max_rel_diff["logits"] <= REL
    batch = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    check_round_trip(page, packaged("test-import-torch", result), result, {"image": batch.numpy()},
                     {"logits": model(batch).detach().numpy()})


def test_keras_cnn_round_trip(page: OpenedPage, packaged: Callable[[str, ImportResult], str],
                              tmp_path: Path) -> None:
    pytest.importorskip("keras")
    model, x = keras_cnn()
    result = from_keras(model, x, tmp_path / "k.onnx")
    assert result.max_rel_diff["probs"] <= REL
    batch = np.random.default_rng(4).random((4, 28, 28, 1), dtype=np.float32)  # batch 4: the batch is dynamic
    check_round_trip(page, packaged("test-import-keras", result), result, {"image": batch},
                     {"probs": np.asarray(model.predict(batch, verbose=0))})


def test_sklearn_digits_round_trip(page: OpenedPage, packaged: Callable[[str, ImportResult], str],
                                   tmp_path: Path) -> None:
    pytest.importorskip("skl2onnx")
    pipe, x = digits_pipeline()
    result = from_sklearn(pipe, x, tmp_path / "digits.onnx")
    url = packaged("test-import-sklearn", result)
    check_round_trip(page, url, result, {"X": x},
                     {"label": pipe.predict(x), "probabilities": pipe.predict_proba(x)})
    labels = run_in_browser(page, url, {"X": x})["label"]
    assert np.array_equal(labels, pipe.predict(x))  # every one of the 297 held-out digits


def test_run_errors_cross_to_the_page(page: OpenedPage, packaged: Callable[[str, ImportResult], str],
                                      tmp_path: Path) -> None:
    pytest.importorskip("skl2onnx")
    pipe, x = digits_pipeline()
    url = packaged("test-import-errors", from_sklearn(pipe, x[:4], tmp_path / "d.onnx"))
    res = page.page.evaluate(RUN_IN_PAGE, [url, {"X": {"data": [0.0] * 10, "dims": [1, 10]}}])
    assert res["error"]["name"] == "RangeError"
    assert "dims [1,10] do not fit the model's shape [?,64]" in res["error"]["message"]
    res = page.page.evaluate(RUN_IN_PAGE, [url, {"x": {"data": [0.0] * 64, "dims": [1, 64]}}])
    assert "unknown input(s) 'x'" in res["error"]["message"]
    res = page.page.evaluate(RUN_IN_PAGE, ["/models/posenet/latest/", {}])
    assert res["error"]["name"] == "TaskError" and "task 'pose'" in res["error"]["message"]
