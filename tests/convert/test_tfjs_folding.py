"""Shape ops (StridedSlice masks, Tile, Split, Range, Fill, Shape, Size) and constant folding,
each checked against TF.js itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from edgeward.convert.tfjs.converter import convert_tfjs
from edgeward.convert.verify import compare, run_onnx, run_tfjs_reference
from edgeward.errors import ConversionError
from tests.convert.tfjs_fixtures import const, op, placeholder, write_model

I32 = {"type": "DT_INT32"}
FLOAT = {"type": "DT_FLOAT"}


def _op_types(path: Path) -> set[str]:
    return {n.op_type for n in onnx.load(str(path)).graph.node}


def test_shape_ops_on_a_dynamic_input_match_tfjs(tmp_path: Path) -> None:
    """With an unknown batch size nothing folds: every op runs as emitted ONNX."""
    w = {
        "zero": np.array(0, np.int32), "one": np.array(1, np.int32), "fillv": np.array(2.5, np.float32),
        "reps": np.array([2, 3], np.int32), "split_dim": np.array(1, np.int32),
        "b1": np.array([0, 0, 1], np.int32), "e1": np.array([0, 0, 2], np.int32), "s1": np.array([1, 1, 1], np.int32),
        "b2": np.array([0, 0, 1], np.int32), "e2": np.array([0, 0, 3], np.int32), "s2": np.array([1, -2, 1], np.int32),
    }
    nodes = [
        placeholder("x", [-1, 4]),
        *[const(k, "DT_FLOAT" if w[k].dtype == np.float32 else "DT_INT32") for k in w],
        op("n", "Size", ["x"], out_type=I32),
        op("r", "Range", ["zero", "n", "one"], Tidx=I32),
        op("rf", "Cast", ["r"], SrcT=I32, DstT=FLOAT),
        op("sh", "Shape", ["x"], out_type=I32),
        op("f", "Fill", ["sh", "fillv"]),
        op("t", "Tile", ["x", "reps"]),
        op("t2", "Tile", ["x", "sh"]),  # multiples computed at run time
        op("sp", "Split", ["split_dim", "x"], num_split={"i": "2"}),
        op("sp1", "Identity", ["sp:1"]),
        # x[..., None, 1] and x[None, ::-2, 1:3]
        op("ss1", "StridedSlice", ["x", "b1", "e1", "s1"], ellipsis_mask={"i": "1"}, new_axis_mask={"i": "2"},
           shrink_axis_mask={"i": "4"}, begin_mask={"i": "0"}, end_mask={"i": "0"}),
        op("ss2", "StridedSlice", ["x", "b2", "e2", "s2"], new_axis_mask={"i": "1"}, begin_mask={"i": "2"},
           end_mask={"i": "2"}, ellipsis_mask={"i": "0"}, shrink_axis_mask={"i": "0"}),
    ]
    model_json = write_model(tmp_path / "m", nodes, w, ["rf", "f", "t", "t2", "sp", "sp1", "ss1", "ss2"])
    convert_tfjs(model_json, tmp_path / "m.onnx")
    assert {"Size", "Range", "Shape", "Expand", "Tile", "Split", "Unsqueeze"} <= _op_types(tmp_path / "m.onnx")
    x = np.random.default_rng(7).normal(size=(5, 4)).astype(np.float32)
    expected = run_tfjs_reference(model_json, {"x": x})
    actual = run_onnx(tmp_path / "m.onnx", {"x": x})
    assert actual["ss1"].shape == (5, 1) and actual["ss2"].shape == (1, 3, 2)
    diffs = compare(expected, actual, str(model_json))
    assert max(diffs.values()) == 0.0, diffs


def _shape_arithmetic_model(folder: Path) -> Path:
    """y = (x + row index) · size(x), with the row index built from x's shape (Shape → Range → Reshape)."""
    w = {
        "zero": np.array(0, np.int32), "one": np.array(1, np.int32), "b": np.array([1], np.int32),
        "e": np.array([2], np.int32), "s": np.array([1], np.int32), "pack_axis": np.array(0, np.int32),
    }
    nodes = [
        placeholder("x", [1, 6, 4]),
        *[const(k, "DT_INT32") for k in w],
        op("sh", "Shape", ["x"], out_type=I32),
        op("h", "StridedSlice", ["sh", "b", "e", "s"], shrink_axis_mask={"i": "1"}, begin_mask={"i": "0"},
           end_mask={"i": "0"}, ellipsis_mask={"i": "0"}, new_axis_mask={"i": "0"}),
        op("r", "Range", ["zero", "h", "one"], Tidx=I32),
        op("rf", "Cast", ["r"], SrcT=I32, DstT=FLOAT),
        op("col_shape", "Pack", ["h", "one"], N={"i": "2"}, axis={"i": "0"}),
        op("col", "Reshape", ["rf", "col_shape"]),
        op("shifted", "AddV2", ["x", "col"]),
        op("n", "Size", ["x"], out_type=I32),
        op("nf", "Cast", ["n"], SrcT=I32, DstT=FLOAT),
        op("y", "Mul", ["shifted", "nf"]),
    ]
    return write_model(folder, nodes, w, ["y"])


def test_shape_arithmetic_folds_to_constants(tmp_path: Path) -> None:
    model_json = _shape_arithmetic_model(tmp_path / "m")
    convert_tfjs(model_json, tmp_path / "m.onnx")
    assert _op_types(tmp_path / "m.onnx") == {"Add", "Mul"}  # only the ops on data remain
    x = np.random.default_rng(8).normal(size=(1, 6, 4)).astype(np.float32)
    diffs = compare(run_tfjs_reference(model_json, {"x": x}), run_onnx(tmp_path / "m.onnx", {"x": x}),
                    str(model_json))
    assert max(diffs.values()) < 1e-5, diffs


def test_shape_that_is_not_known_at_conversion_time_names_op_and_node(tmp_path: Path) -> None:
    model_json = _shape_arithmetic_model(tmp_path / "m")
    with pytest.raises(ConversionError, match=r"op Reshape \(node 'col'\): input 1 \('col_shape'\) must be known "
                                              r"at conversion time .*fix the input shape"):
        convert_tfjs(model_json, tmp_path / "m.onnx", input_shapes={"x": [1, -1, 4]})


def test_big_constant_results_are_computed_at_run_time(tmp_path: Path) -> None:
    w = {"dims": np.array([1, 600, 600], np.int32), "v": np.array(0.5, np.float32)}
    nodes = [placeholder("x", [1, 600, 600]), const("dims", "DT_INT32"), const("v"),
             op("big", "Fill", ["dims", "v"]), op("y", "AddV2", ["x", "big"])]
    model_json = write_model(tmp_path / "m", nodes, w, ["y"])
    convert_tfjs(model_json, tmp_path / "m.onnx")
    assert "Expand" in _op_types(tmp_path / "m.onnx")  # not a 1.4 MB initializer
    x = np.zeros((1, 600, 600), np.float32)
    assert np.all(run_onnx(tmp_path / "m.onnx", {"x": x})["y"] == 0.5)


def test_unsupported_op_on_constants_is_still_named(tmp_path: Path) -> None:
    w = {"c": np.array([1.0, 2.0], np.float32)}
    nodes = [placeholder("x", [2]), const("c"), op("odd", "Erfinv", ["c"]), op("y", "AddV2", ["x", "odd"])]
    model_json = write_model(tmp_path / "m", nodes, w, ["y"])
    with pytest.raises(ConversionError, match=r"unsupported op\(s\): Erfinv \(node 'odd'\)"):
        convert_tfjs(model_json, tmp_path / "m.onnx")
