"""Trained heads as ONNX and as packages: the graphs against the Python models, the packages through
``edgeward.load``, and nothing half-written in the store when a check fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import edgeward
from edgeward.errors import OptionError, VerificationError
from edgeward.package.manifest import read_manifest
from edgeward.runtime.session import build_session, runner
from edgeward.train import export, onnx_graphs
from edgeward.train.data import Dataset
from edgeward.train.head import train_head
from edgeward.train.knn import fit_knn
from edgeward.train.options import HeadOptions
from edgeward.train.pipeline import TrainResult
from tests.train.store import isolated_store, trained


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Path]:
    with isolated_store(tmp_path) as packages:
        yield packages


def _run(graph: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    return runner(build_session(graph))({"features": x.astype(np.float32)})["probabilities"]


@pytest.mark.parametrize("kind", ["linear", "mlp"])
def test_head_graph_matches_the_python_head(kind: str, digits_data: Dataset,
                                            digits_split: tuple[np.ndarray, np.ndarray]) -> None:
    train_idx, test_idx = digits_split
    head = train_head(digits_data, train_idx, test_idx, {"head": kind, "epochs": 3})
    graph = onnx_graphs.head_graph(head)
    assert [o.name for o in graph.graph.output] == ["probabilities"]
    x = digits_data.x[test_idx]
    assert np.abs(_run(graph, x) - head.predict_proba(x)).max() <= 1e-5
    assert export.verify_head(graph, head, x) <= 1e-5


def test_knn_graph_votes_like_the_python_knn(digits_data: Dataset, digits_split: tuple[np.ndarray, np.ndarray]) -> None:
    train_idx, test_idx = digits_split
    knn = fit_knn(digits_data.x[train_idx], digits_data.y[train_idx], digits_data.labels, k=3)
    x = digits_data.x[test_idx]
    classes, votes = knn.predict_many(x)
    got = _run(onnx_graphs.knn_graph(knn), x)
    assert np.array_equal(np.argmax(got, axis=1), classes)
    assert np.abs(got - votes).max() < 1e-6
    # a zero vector stays zero: every similarity ties at 0 and the lowest example indices vote, in both
    zero = np.zeros((1, x.shape[1]))
    assert np.array_equal(_run(onnx_graphs.knn_graph(knn), zero), knn.predict_many(zero)[1].astype(np.float32))


def test_knn_with_fewer_examples_than_k_lets_all_vote() -> None:
    knn = fit_knn(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1]), ["a", "b"], k=5)
    got = _run(onnx_graphs.knn_graph(knn), np.array([[1.0, 0.1]]))
    assert np.allclose(got, [[0.5, 0.5]]) and np.allclose(knn.predict_many(np.array([[1.0, 0.1]]))[1], got)


def test_a_head_graph_that_disagrees_is_refused(digits_data: Dataset,
                                               digits_split: tuple[np.ndarray, np.ndarray]) -> None:
    train_idx, test_idx = digits_split
    head = train_head(digits_data, train_idx, test_idx, {"head": "linear", "epochs": 1})
    graph = onnx_graphs.head_graph(head)
    w = next(t for t in graph.graph.initializer if t.name == "W0")
    w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w) * 1.01, "W0"))
    with pytest.raises(VerificationError, match=r"head graph: max \|Δp\|"):
        export.verify_head(graph, head, digits_data.x[test_idx])


def test_digits_mlp_package_predicts_as_the_python_model(store: Path) -> None:
    result: TrainResult = edgeward.train("digits", "digits-mlp", epochs=5)
    assert result.path == store / "digits-mlp" / "1.0.0"
    assert result.report.test_accuracy is not None and result.report.test_accuracy >= 0.97
    m = read_manifest(result.path / "manifest.json")
    assert m.task == "features" and m.base is None and m.preprocess is None
    assert m.head is not None and (m.head.kind, m.head.features, m.head.dim) == ("mlp", "raw", 64)
    assert m.head.hidden == HeadOptions().hidden == 128  # pipeline and CLI take the defaults from HeadOptions
    assert m.training == result.report and len(m.training.history) == 5
    assert m.provenance.parity_max_abs_diff["probabilities"] <= 1e-5
    handle = edgeward.load("digits-mlp")
    x = result.dataset.x[result.test_idx]
    expected = result.model.predict_proba(x)
    for row, p in zip(x, expected, strict=True):
        top = handle.classify(row, top_k=1)[0]
        assert top["class_id"] == int(np.argmax(p)) and abs(top["score"] - p.max()) <= 1e-5
    with pytest.raises(OptionError, match="length 64"):
        handle.classify(x[0][:10])


def test_knn_package_gives_identical_predictions(store: Path) -> None:
    result = edgeward.train("digits", "digits-knn", head="knn", k=3)
    m = read_manifest(result.path / "manifest.json")
    assert m.head is not None and m.head.kind == "knn" and m.head.k == 3 and m.training is not None
    assert m.training.history == [] and m.training.options == {"head": "knn", "k": 3}
    assert [f.name for f in result.path.iterdir()] and set(m.files) == {"fp32"}  # the examples are in the graph
    handle = edgeward.load(str(result.path))
    x = result.dataset.x[result.test_idx]
    classes, _ = result.model.predict_many(x)
    got = [handle.classify(row, top_k=1)[0]["class_id"] for row in x]
    assert got == classes.tolist()


def test_a_failed_check_leaves_nothing_in_the_store(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disagree(*_: object) -> float:
        raise VerificationError("head graph: max |Δp| 1 against the Python head (tolerance 1e-05)")

    monkeypatch.setattr(export, "verify_head", disagree)
    with pytest.raises(VerificationError):
        edgeward.train("digits", "digits-bad", head="linear", epochs=1)
    assert trained(store) == []


def test_an_existing_package_is_refused_unless_forced(store: Path) -> None:
    first = edgeward.train("digits", "digits-twice", head="linear", epochs=1)
    before = (first.path / "manifest.json").read_text()
    with pytest.raises(OptionError, match=r"digits-twice@1\.0\.0 already exists.*--force"):
        edgeward.train("digits", "digits-twice", head="linear", epochs=2)
    assert (first.path / "manifest.json").read_text() == before
    again = edgeward.train("digits", "digits-twice", head="linear", epochs=2, force=True)
    assert len(json.loads((again.path / "manifest.json").read_text())["training"]["history"]) == 2
    assert trained(store) == ["digits-twice/1.0.0"]


def _tiny_base() -> onnx.ModelProto:
    """image [1, 4] → embedding [1, 3] (MatMul) → probabilities [1, 2] (MatMul, Softmax): a classifier shape."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(size=(4, 3)).astype(np.float32), "w_embed"),
             numpy_helper.from_array(rng.normal(size=(3, 2)).astype(np.float32), "w_cls")]
    nodes = [helper.make_node("MatMul", ["image", "w_embed"], ["embedding"]),
             helper.make_node("MatMul", ["embedding", "w_cls"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1)]
    graph = helper.make_graph(nodes, "base", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 2]),
                               helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_join_feeds_the_embedding_to_the_head_and_prunes_the_base_classifier() -> None:
    base = _tiny_base()
    x = np.random.default_rng(1).normal(size=(30, 3))
    y = np.arange(30) % 3
    head = train_head((x, y, ["a", "b", "c"]), np.arange(30), np.arange(0), {"head": "mlp", "hidden": 4, "epochs": 2})
    joined = onnx_graphs.join(base, onnx_graphs.head_graph(head, *onnx_graphs.base_format(base)), "embedding")
    assert [o.name for o in joined.graph.output] == ["head_probabilities", "embedding"]
    assert "w_cls" not in {t.name for t in joined.graph.initializer}  # the base's own classifier is gone
    image = np.random.default_rng(2).normal(size=(1, 4)).astype(np.float32)
    out = runner(build_session(joined))({"image": image})
    embedding = runner(build_session(base))({"image": image})["embedding"]
    assert np.array_equal(out["embedding"], embedding)
    assert np.abs(out["head_probabilities"] - head.predict_proba(embedding.astype(np.float64))).max() <= 1e-5
