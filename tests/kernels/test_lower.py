"""Lowering an ONNX net to the kernels (edgeward.kernels.lower): PoseNet's fp32 graph lowers to the layers it
is, computes what onnxruntime computes, and quantizes with bias correction; graphs the kernels cannot run are
refused, naming the node."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from skimage import data

from edgeward.errors import ConversionError
from edgeward.kernels import oracle
from edgeward.kernels.lower import InputStats, input_stats, lower_onnx, quantize
from edgeward.kernels.plan import Conv3x3, Depthwise, KernelPlan, Pointwise
from edgeward.package.manifest import read_manifest
from edgeward.runtime.preprocess import letterbox


@pytest.fixture(scope="module")
def lowered(posenet_dir: Path) -> KernelPlan:
    return lower_onnx(posenet_dir / "model.fp32.onnx")


@pytest.fixture(scope="module")
def photo(posenet_dir: Path) -> np.ndarray:
    return letterbox(data.astronaut(), read_manifest(posenet_dir / "manifest.json").preprocess)[0]


def test_posenet_lowers_to_mobilenet_v1_and_its_heads(lowered: KernelPlan) -> None:
    kinds = [type(layer).__name__ for layer in lowered.layers]
    assert kinds == ["Conv3x3"] + ["Depthwise", "Pointwise"] * 13 + ["Pointwise"]
    modes = [layer.mode for layer in lowered.layers if isinstance(layer, Pointwise)]
    assert modes == ["f32-padded"] * 12 + ["u7", "f32"]
    last = lowered.layers[-1]
    assert isinstance(last, Pointwise)
    assert sorted((s.name.split("/")[1], s.count) for s in last.outputs) == [
        ("displacement_bwd_2", 32), ("displacement_fwd_2", 32), ("heatmap_2", 17), ("offset_2", 34)]
    assert [layer.stride for layer in lowered.layers if not isinstance(layer, Pointwise)].count(2) == 4


def test_the_float_plan_computes_what_onnxruntime_computes(posenet_dir: Path, lowered: KernelPlan,
                                                           photo: np.ndarray) -> None:
    session = ort.InferenceSession(str(posenet_dir / "model.fp32.onnx"))
    want = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"image": photo}), strict=True))
    got = oracle.run_float(lowered, photo)
    assert list(got) == list(want)
    for name in want:
        assert got[name].shape == want[name].shape
        assert np.abs(got[name] - want[name]).max() <= 1e-4 * np.abs(want[name]).max(), name


def _pointwise_inputs(plan: KernelPlan, image: np.ndarray) -> list[np.ndarray]:
    """The float net's input to each 1×1 convolution, [pixels, k]."""
    seen: list[np.ndarray] = []
    x = image[0]
    for layer in plan.layers:
        if isinstance(layer, Conv3x3):
            x = oracle._conv3x3(x, layer)
        elif isinstance(layer, Depthwise):
            x = oracle._depthwise_f32(x, layer)
        else:
            seen.append(x.reshape(-1, x.shape[2]))
            y = seen[-1] @ layer.weight + layer.bias
            x = (y if layer.mode == "f32" else np.clip(y, 0, 6)).reshape(*x.shape[:2], -1)
    return seen


def test_bias_correction_from_one_photo_takes_out_most_of_the_shift_on_another(lowered: KernelPlan, photo: np.ndarray,
                                                                                posenet_dir: Path) -> None:
    """Each 1×1 convolution's mean output error per channel (int8 weights × 7-bit inputs against fp32, on the
    same float inputs) is a shift every pixel shares; corrected with the input means of one photo, it is
    smaller on another photo than uncorrected."""
    other = letterbox(data.coffee(), read_manifest(posenet_dir / "manifest.json").preprocess)[0]
    stats = input_stats(lowered, [photo])
    corrected = quantize(lowered, stats)
    plain = quantize(lowered, InputStats(stats.maxima, [np.zeros_like(m) for m in stats.means]))
    points = [i for i, layer in enumerate(lowered.layers) if isinstance(layer, Pointwise)]
    before, after = [], []
    for i, x in zip(points, _pointwise_inputs(lowered, other), strict=True):
        inv = np.float32(127 / min(stats.maxima[points.index(i)], 6.0))
        x_u7 = np.minimum(np.rint(x * inv), 127)
        want = x @ lowered.layers[i].weight + lowered.layers[i].bias
        for plan, out in ((plain, before), (corrected, after)):
            q = plan.layers[i]
            assert isinstance(q, Pointwise) and q.scale is not None
            y = (x_u7 @ q.weight.astype(np.float64)) * q.scale + q.bias
            out.append(float(np.abs((y - want).mean(axis=0)).mean()))
    assert np.mean(after) < 0.7 * np.mean(before), (before, after)
    assert sum(a < b for a, b in zip(after, before, strict=True)) >= 10, (before, after)
    assert all(m <= 6.0 for m in stats.maxima) and len(stats.maxima) == 14


def _graph(nodes: list[onnx.NodeProto], inits: dict[str, np.ndarray], out: str,
           out_shape: list[int]) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 8, 8, 3])],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, out_shape)],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def _relu6(x: str, y: str) -> list[onnx.NodeProto]:
    return [helper.make_node("Clip", [x, "zero", "six"], [y], name=f"clip_{y}")]


def _inits(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"w0": rng.normal(size=(8, 3, 3, 3)).astype(np.float32), "zero": np.float32(0), "six": np.float32(6),
            "wd": rng.normal(size=(8, 1, 3, 3)).astype(np.float32),
            "wh": rng.normal(size=(5, 8, 1, 1)).astype(np.float32)}


@pytest.mark.parametrize(("middle", "message"), [
    (lambda: [helper.make_node("MaxPool", ["a"], ["b"], name="pool", kernel_shape=[2, 2])],
     r"node 'pool' \(op MaxPool\) has no Edgeward kernel: only Conv"),
    (lambda: [helper.make_node("Conv", ["a", "wd"], ["b0"], name="dw", group=8, kernel_shape=[3, 3],
                               pads=[1, 1, 1, 1], dilations=[2, 2]), *_relu6("b0", "b")],
     r"node 'dw' \(op Conv\) has no Edgeward kernel: strides \[1, 1\], dilations \[2, 2\]"),
    (lambda: [helper.make_node("Conv", ["a", "wd"], ["b"], name="dw", group=8, kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
     r"node 'dw' \(op Conv\) has no Edgeward kernel: no ReLU6"),
])
def test_a_graph_the_kernels_cannot_run_is_refused_naming_the_node(tmp_path: Path, middle, message: str) -> None:  # type: ignore[no-untyped-def]
    nodes = [helper.make_node("Transpose", ["image"], ["t"], name="in", perm=[0, 3, 1, 2]),
             helper.make_node("Conv", ["t", "w0"], ["c0"], name="conv0", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                              strides=[2, 2]), *_relu6("c0", "a"), *middle(),
             helper.make_node("Conv", ["b", "wh"], ["h"], name="head", kernel_shape=[1, 1]),
             helper.make_node("Transpose", ["h"], ["out"], name="out", perm=[0, 2, 3, 1])]
    path = tmp_path / "m.onnx"
    onnx.save(_graph(nodes, _inits(np.random.default_rng(0)), "out", [1, 4, 4, 5]), str(path))
    with pytest.raises(ConversionError, match=message) as info:
        lower_onnx(path)
    assert str(path) in str(info.value)


def test_a_small_graph_lowers_and_matches_onnxruntime(tmp_path: Path) -> None:
    """image → 3×3 (stride 2) → depthwise → the output 1×1: the depthwise's 7-bit output feeds the head."""
    nodes = [helper.make_node("Transpose", ["image"], ["t"], name="in", perm=[0, 3, 1, 2]),
             helper.make_node("Conv", ["t", "w0"], ["c0"], name="conv0", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                              strides=[2, 2]), *_relu6("c0", "a"),
             helper.make_node("Conv", ["a", "wd"], ["d0"], name="dw", group=8, kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             *_relu6("d0", "b"),
             helper.make_node("Conv", ["b", "wh"], ["h"], name="head", kernel_shape=[1, 1]),
             helper.make_node("Transpose", ["h"], ["out"], name="out", perm=[0, 2, 3, 1])]
    path = tmp_path / "m.onnx"
    onnx.save(_graph(nodes, _inits(np.random.default_rng(0)), "out", [1, 4, 4, 5]), str(path))
    plan = lower_onnx(path)
    assert [type(layer).__name__ for layer in plan.layers] == ["Conv3x3", "Depthwise", "Pointwise"]
    x = np.random.default_rng(1).uniform(-1, 1, (1, 8, 8, 3)).astype(np.float32)
    (want,) = ort.InferenceSession(str(path)).run(None, {"image": x})
    assert np.abs(oracle.run_float(plan, x)["out"] - want).max() <= 1e-5 * np.abs(want).max()
