"""Keras 3 importer (torch backend): a small CNN, .keras files, and the errors it gives."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgeward.cli import app
from edgeward.convert import from_keras
from edgeward.convert.verify import run_onnx
from edgeward.errors import ConversionError, MissingExtraError
from tests.convert.import_models import keras_cnn  # sets KERAS_BACKEND=torch first

keras = pytest.importorskip("keras")


def test_keras_cnn_converts_and_matches_keras(tmp_path: Path) -> None:
    model, x = keras_cnn()
    result = from_keras(model, x, tmp_path / "k.onnx")
    assert result.input_names == ["image"] and result.output_names == ["probs"]
    assert result.max_rel_diff["probs"] <= 1e-5
    fresh = np.random.default_rng(5).random((3, 28, 28, 1), dtype=np.float32)  # another batch size
    got = run_onnx(result.path, {"image": fresh})["probs"]
    np.testing.assert_allclose(got, np.asarray(model.predict(fresh, verbose=0)), rtol=1e-5, atol=1e-6)


def test_cli_converts_a_keras_file(tmp_path: Path) -> None:
    model, x = keras_cnn()
    model(x)
    model.save(tmp_path / "m.keras")
    res = CliRunner().invoke(app, ["convert", str(tmp_path / "m.keras"), "-o", str(tmp_path / "m.onnx")])
    assert res.exit_code == 0, res.output
    assert "probs" in res.output


def test_unknown_custom_layer_in_a_file_is_named(tmp_path: Path) -> None:
    @keras.saving.register_keras_serializable(package="edgeward_test")
    class Doubler(keras.layers.Layer):
        def call(self, x: object) -> object:
            return x * 2

    model = keras.Sequential([keras.Input((4,)), Doubler()])
    model.save(tmp_path / "custom.keras")
    keras.saving.get_custom_objects().pop("edgeward_test>Doubler")  # a fresh process would not know it
    res = CliRunner().invoke(app, ["convert", str(tmp_path / "custom.keras"), "-o", str(tmp_path / "c.onnx")])
    assert res.exit_code == 1
    assert "unsupported layer" in res.output and "Doubler" in res.output and "Traceback" not in res.output


def test_unsupported_op_is_named(tmp_path: Path) -> None:
    class Erfinv(keras.layers.Layer):
        def call(self, x: object) -> object:
            return keras.ops.erfinv(keras.ops.tanh(x))

    model = keras.Sequential([keras.Input((8,)), Erfinv()])
    with pytest.raises(ConversionError, match=r"unsupported op 'aten::erfinv'"):
        from_keras(model, np.zeros((1, 8), np.float32), tmp_path / "e.onnx")


def test_wrong_example_shape_is_a_clear_error(tmp_path: Path) -> None:
    model, _ = keras_cnn()
    with pytest.raises(ConversionError, match=r"rejects the example input of shape \[1, 28, 28, 3\].*incompatible"):
        from_keras(model, np.zeros((1, 28, 28, 3), np.float32), tmp_path / "k.onnx")


def test_missing_keras_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keras", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'edgeward\[keras\]'"):
        from_keras(object(), np.zeros((1, 3)), tmp_path / "m.onnx")
