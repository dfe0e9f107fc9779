"""The op table beyond convolutions (what MoveNet uses), each checked against TF.js itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgeward.convert.tfjs.converter import convert_tfjs
from edgeward.convert.tfjs.pipeline import convert_and_verify
from edgeward.convert.verify import compare, run_onnx, run_tfjs_reference
from edgeward.runtime.samples import sample_path
from edgeward.zoo.movenet import RECIPES
from tests.convert.tfjs_fixtures import const, ints, op, placeholder, write_model

I32 = {"type": "DT_INT32"}


def test_shape_and_index_ops_match_tfjs(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    w = {
        "size": np.array([6, 8], np.int32), "shape": np.array([1, -1], np.int32), "axis": np.array(1, np.int32),
        "three": np.array(3, np.int32), "idx": np.array([[0, 1, 2], [0, 2, 3]], np.int32),
        "scale": rng.normal(size=(4,)).astype(np.float32), "cat_axis": np.array(-1, np.int32),
        "neg": np.array([-7, -3, 0, 5, 9, 11], np.int32), "dim": np.array(-1, np.int32),
    }
    nodes = [
        placeholder("x", [1, 3, 4, 4]),
        const("size", "DT_INT32"), const("shape", "DT_INT32"), const("axis", "DT_INT32"),
        const("three", "DT_INT32"), const("idx", "DT_INT32"), const("scale"), const("cat_axis", "DT_INT32"),
        const("neg", "DT_INT32"), const("dim", "DT_INT32"),
        op("up", "ResizeBilinear", ["x", "size"], half_pixel_centers={"b": True}, align_corners={"b": False}),
        op("sig", "Sigmoid", ["up"]),
        op("sq", "SquaredDifference", ["sig", "scale"]),
        op("root", "Sqrt", ["sq"]),
        op("flat", "Reshape", ["root", "shape"]),
        op("best", "ArgMax", ["flat", "axis"], output_type=I32),
        op("row", "FloorDiv", ["best", "three"], T=I32),
        op("negdiv", "FloorDiv", ["neg", "three"], T=I32),
        op("negdiv_f", "Cast", ["negdiv"], DstT={"type": "DT_FLOAT"}, SrcT=I32),
        op("row_f", "Cast", ["row"], DstT={"type": "DT_FLOAT"}, SrcT=I32),
        op("picked", "GatherNd", ["x", "idx"]),
        op("parts", "Unpack", ["picked"], num={"i": "2"}, axis={"i": "0"}),
        op("packed", "Pack", ["parts:1", "parts"], N={"i": "2"}, axis={"i": "1"}),
        op("wide", "ExpandDims", ["packed", "dim"]),
        op("narrow", "Squeeze", ["wide"], squeeze_dims=ints([-1])),
        op("joined", "ConcatV2", ["narrow", "narrow", "cat_axis"], N={"i": "2"}),
        op("out", "Identity", ["joined"]),
    ]
    model_json = write_model(tmp_path / "m", nodes, w, ["out", "row_f", "negdiv_f", "root"])
    convert_tfjs(model_json, tmp_path / "m.onnx")
    x = rng.normal(size=(1, 3, 4, 4)).astype(np.float32)
    expected = run_tfjs_reference(model_json, {"x": x})
    actual = run_onnx(tmp_path / "m.onnx", {"x": x})
    assert actual["negdiv_f"].tolist() == [-3, -1, 0, 1, 3, 3]  # floor, not truncation
    diffs = compare(expected, actual, str(model_json))
    assert max(diffs.values()) < 1e-5, diffs


@pytest.mark.parametrize("variant", ["lightning", "thunder", "multipose"])
def test_movenet_converts_within_tolerance(tmp_path: Path, variant: str) -> None:
    recipe = RECIPES[variant]
    result = convert_and_verify(recipe.model_json(), tmp_path / "m.onnx", input_shapes=recipe.input_shapes,
                                tolerance=2e-3)
    assert result.report.worst <= 2e-3
    inp = result.model.graph.input[0]
    assert inp.type.tensor_type.elem_type == 6  # int32 pixels, as the original takes them


def test_movenet_multipose_keeps_only_data_dependent_ops(tmp_path: Path) -> None:
    """Its graph computes shapes at run time; at a fixed 256×256 all of that folds away."""
    recipe = RECIPES["multipose"]
    model = convert_tfjs(recipe.model_json(), tmp_path / "m.onnx", recipe.input_shapes)
    ops = {n.op_type for n in model.graph.node}
    assert not ops & {"Shape", "Size", "Range", "Expand"}, ops
    (out,) = model.graph.output
    assert [d.dim_value for d in out.type.tensor_type.shape.dim] == [1, 6, 56]


def test_reduce_pool_topk_gather_slice_match_tfjs(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    w = {
        "axes": np.array([1, 2], np.int32), "flat": np.array([1, -1], np.int32), "k": np.array(7, np.int32),
        "five": np.array(5, np.int32), "gaxis": np.array(1, np.int32), "rows": np.array([2, 0, 2], np.int32),
        "b": np.array([0, 1], np.int32), "e": np.array([0, 4], np.int32), "s": np.array([1, 2], np.int32),
        "sum_axes": np.array([-1], np.int32),
    }
    nodes = [
        placeholder("x", [1, 6, 5, 4]),
        *[const(k, "DT_INT32") for k in w],
        op("mean", "Mean", ["x", "axes"], keep_dims={"b": True}),
        op("pool", "MaxPool", ["x"], ksize=ints([1, 3, 3, 1]), strides=ints([1, 2, 2, 1]),
           padding={"s": "U0FNRQ=="}, data_format={"s": "TkhXQw=="}),
        op("peak", "Equal", ["x", "x"]),
        op("flatx", "Reshape", ["x", "flat"]),
        op("top", "TopKV2", ["flatx", "k"], sorted={"b": True}),
        op("mod", "FloorMod", ["top:1", "five"], T=I32),
        op("mod_f", "Cast", ["mod"], DstT={"type": "DT_FLOAT"}, SrcT=I32),
        op("picked", "GatherV2", ["flatx", "rows", "gaxis"], batch_dims={"i": "0"}),
        op("sliced", "StridedSlice", ["top", "b", "e", "s"], begin_mask={"i": "1"}, end_mask={"i": "1"},
           shrink_axis_mask={"i": "0"}, new_axis_mask={"i": "0"}, ellipsis_mask={"i": "0"}),
        op("total", "Sum", ["sliced", "sum_axes"], keep_dims={"b": False}),
    ]
    model_json = write_model(tmp_path / "m", nodes, w, ["mean", "pool", "mod_f", "total", "top"])
    convert_tfjs(model_json, tmp_path / "m.onnx")
    x = rng.normal(size=(1, 6, 5, 4)).astype(np.float32)
    expected = run_tfjs_reference(model_json, {"x": x})
    diffs = compare(expected, run_onnx(tmp_path / "m.onnx", {"x": x}), str(model_json))
    assert max(diffs.values()) < 1e-5, diffs


def test_centernet_converts_within_tolerance(tmp_path: Path) -> None:
    from edgeward.zoo.centernet import RECIPE

    # One photo keeps this affordable (TF.js's exact CPU kernels are slow on 512×512); the zoo build
    # verifies on two.
    result = convert_and_verify(RECIPE.model_json(), tmp_path / "c.onnx", scale=1.0, offset=0.0,
                                tolerance=RECIPE.tolerance, images=[sample_path("coffee.png")])
    assert set(result.report.max_abs_diff) == {"tower_0/wh", "tower_0/keypoints", "tower_0/detections"}
    assert result.report.max_abs_diff["tower_0/keypoints"] < 1e-4
