"""Fixtures of a trained head's ONNX export for web/test/train/export.test.js (registered with
write_fixtures' ``@writer``): linear, MLP and KNN heads trained on digits, in the browser's plain-number
form (handlers.js headData), with the sha256 and size of the bytes ``onnx_graphs`` writes for each —
the JS writer (web/src/train/onnx-writer.js) must write the same bytes."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from edgeward.train import digits, fit_knn, stratified_split, train_head
from edgeward.train.head import TrainedHead
from edgeward.train.knn import KnnModel
from edgeward.train.onnx_graphs import head_graph, knn_graph
from tests.web.write_fixtures import f32, f64, writer

if TYPE_CHECKING:
    from tests.web.write_fixtures import Context

Fixture = dict[str, Any]


def head_data(model: TrainedHead | KnnModel) -> Fixture:
    """The head as handlers.js headData gives it (float64 weights written exactly; KNN examples float32)."""
    if isinstance(model, KnnModel):
        return {"kind": "knn", "labels": model.labels, "k": model.k, "examples": f32(model.examples),
                "exampleLabels": model.example_labels.tolist(), "dim": int(model.examples.shape[1])}
    return {"kind": model.kind, "labels": model.labels, "mean": f64(model.mean), "std": f64(model.std),
            "layers": [{"rows": int(w.shape[0]), "cols": int(w.shape[1]), "W": f64(w), "b": f64(b)}
                       for w, b in model.layers]}


def graph_bytes(model: TrainedHead | KnnModel) -> bytes:
    return (knn_graph(model) if isinstance(model, KnnModel) else head_graph(model)).SerializeToString()


@writer("train_onnx")
def _onnx(ctx: Context) -> Fixture:
    d = digits()
    train, test = stratified_split(d.y, 0.3, 0)
    models: list[TrainedHead | KnnModel] = [
        train_head(d, train, test, {"head": "linear", "epochs": 2}),
        train_head(d, train, test, {"head": "mlp", "epochs": 2, "hidden": 16}),
        fit_knn(d.x[train[:150]], d.y[train[:150]], d.labels, 3),
        fit_knn(d.x[train[:2]], d.y[train[:2]], d.labels, 5),  # k > examples: the graph votes with 2
    ]
    cases = []
    for model in models:
        data = graph_bytes(model)
        cases.append({"head": head_data(model), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)})
    return {"cases": cases}
