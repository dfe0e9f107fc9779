"""Bad TF.js inputs give errors that name the file, node, op or byte count."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgeward.convert.tfjs.converter import convert_tfjs
from edgeward.errors import ConversionError, ModelFormatError
from tests.convert.tfjs_fixtures import small_cnn


@pytest.fixture
def model_json(tmp_path: Path) -> Path:
    return small_cnn(tmp_path / "m", (8, 8))


def test_corrupt_model_json(model_json: Path, tmp_path: Path) -> None:
    model_json.write_text(model_json.read_text()[:200])
    with pytest.raises(ModelFormatError, match=r"model\.json: not a valid TF\.js model\.json"):
        convert_tfjs(model_json, tmp_path / "o.onnx")
    assert not (tmp_path / "o.onnx").exists()


def test_layers_model_is_named(model_json: Path, tmp_path: Path) -> None:
    model_json.write_text(json.dumps({"modelTopology": {"class_name": "Sequential"}, "weightsManifest": []}))
    with pytest.raises(ModelFormatError, match=r"modelTopology\.node"):
        convert_tfjs(model_json, tmp_path / "o.onnx")


def test_missing_shard_names_file_and_bytes(model_json: Path, tmp_path: Path) -> None:
    shard = model_json.parent / "group1-shard1of1.bin"
    size = shard.stat().st_size
    shard.unlink()
    with pytest.raises(ModelFormatError, match=rf"group1-shard1of1\.bin: weight shard .* missing .*needs {size} bytes"):
        convert_tfjs(model_json, tmp_path / "o.onnx")


def test_truncated_shard_names_file_and_bytes(model_json: Path, tmp_path: Path) -> None:
    shard = model_json.parent / "group1-shard1of1.bin"
    data = shard.read_bytes()
    shard.write_bytes(data[:-10])
    with pytest.raises(ModelFormatError,
                       match=rf"group1-shard1of1\.bin: weight shard is truncated: .* need {len(data)} bytes"):
        convert_tfjs(model_json, tmp_path / "o.onnx")


def test_shard_outside_model_folder_is_refused(model_json: Path, tmp_path: Path) -> None:
    data = json.loads(model_json.read_text())
    data["weightsManifest"][0]["paths"] = ["../../etc/passwd"]
    model_json.write_text(json.dumps(data))
    with pytest.raises(ModelFormatError, match="outside the model folder"):
        convert_tfjs(model_json, tmp_path / "o.onnx")


def test_unsupported_op_names_op_and_node(model_json: Path, tmp_path: Path) -> None:
    data = json.loads(model_json.read_text())
    data["modelTopology"]["node"].append({"name": "weird/node", "op": "FancyOp", "input": ["out"], "attr": {}})
    model_json.write_text(json.dumps(data))
    with pytest.raises(ConversionError, match=r"unsupported op\(s\): FancyOp \(node 'weird/node'\)"):
        convert_tfjs(model_json, tmp_path / "o.onnx")


def test_unsupported_fused_activation(model_json: Path, tmp_path: Path) -> None:
    text = model_json.read_text().replace('"UmVsdTY="', '"R2VsdQ=="')  # Relu6 → Gelu
    model_json.write_text(text)
    with pytest.raises(ConversionError, match=r"_FusedConv2D \(node 'c0'\): fused activation 'Gelu'"):
        convert_tfjs(model_json, tmp_path / "o.onnx")


def test_missing_model_json(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match=r"nope\.json: model\.json not found"):
        convert_tfjs(tmp_path / "nope.json", tmp_path / "o.onnx")


def test_cycle_is_reported(model_json: Path, tmp_path: Path) -> None:
    data = json.loads(model_json.read_text())
    for node in data["modelTopology"]["node"]:
        if node["name"] == "c0":
            node["input"][0] = "c1"
    model_json.write_text(json.dumps(data))
    with pytest.raises(ConversionError, match="the graph has a cycle"):
        convert_tfjs(model_json, tmp_path / "o.onnx")
