"""Raw-tensor packages (task 'tensor') built from an imported ONNX model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, save

from edgeward.errors import ManifestError
from edgeward.package.build import package_tensor_model, tensor_specs
from edgeward.package.manifest import parse_manifest, read_manifest
from edgeward.runtime.model import load_model


def _model(path: Path) -> Path:
    graph = helper.make_graph(
        [helper.make_node("ArgMax", ["x"], ["label"], axis=1, keepdims=0), helper.make_node("Relu", ["x"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
        [helper.make_tensor_value_info("label", TensorProto.INT64, ["n"]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4])])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_specs_come_from_the_graph(tmp_path: Path) -> None:
    inputs, outputs = tensor_specs(_model(tmp_path / "m.onnx"))
    assert [(s.name, s.dtype, s.shape) for s in inputs] == [("x", "float32", [None, 4])]
    assert [(s.name, s.dtype, s.shape) for s in outputs] == [("label", "int64", [None]), ("y", "float32", [None, 4])]


def test_package_runs_in_python(tmp_path: Path) -> None:
    folder = package_tensor_model(_model(tmp_path / "m.onnx"), "raw", "1.2.3", root=tmp_path / "store")
    manifest = read_manifest(folder / "manifest.json")
    assert manifest.task == "tensor" and manifest.preprocess is None and manifest.postprocess is None
    x = np.array([[1, -2, 3, 0]], np.float32)
    out = load_model(folder).run({"x": x})
    assert out["label"].tolist() == [2] and out["y"].tolist() == [[1, 0, 3, 0]]


def test_only_tensor_tasks_may_omit_processing(tmp_path: Path) -> None:
    folder = package_tensor_model(_model(tmp_path / "m.onnx"), "raw", "1.0.0", root=tmp_path / "store")
    data = json.loads((folder / "manifest.json").read_text())
    data["task"] = "pose"
    with pytest.raises(ManifestError, match=r"task 'pose' needs field\(s\) 'preprocess', 'postprocess'"):
        parse_manifest(data)
