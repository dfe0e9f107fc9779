"""The fixes applied after onnxruntime's quantizer, on small hand-made models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from edgeward.optimize.quantize import Recipe, quantize_int8
from edgeward.optimize.refine import PAIR_LIMIT, _worst_pair

RAW = Recipe(pair_guard=False, bias_correction=False, speed_aware=False)


def two_convs(path: Path, w1: np.ndarray, w2: np.ndarray) -> Path:
    """x [1, C, 8, 8] → 1×1 Conv → ReLU6 → 1×1 Conv → y."""
    c = w1.shape[1]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["h"], name="conv1"),
        helper.make_node("Clip", ["h", "lo", "hi"], ["a"], name="relu6"),
        helper.make_node("Conv", ["a", "w2", "b2"], ["y"], name="conv2"),
    ]
    inits = [numpy_helper.from_array(w1.astype(np.float32), "w1"),
             numpy_helper.from_array(np.zeros(w1.shape[0], np.float32), "b1"),
             numpy_helper.from_array(np.float32(0.0), "lo"), numpy_helper.from_array(np.float32(6.0), "hi"),
             numpy_helper.from_array(w2.astype(np.float32), "w2"),
             numpy_helper.from_array(np.zeros(w2.shape[0], np.float32), "b2")]
    graph = helper.make_graph(nodes, "two_convs", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, w2.shape[0], 8, 8])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def run(path: Path, x: np.ndarray, fused: bool = True) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if not fused:  # the QDQ graph as written: float convolutions on dequantized values
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


def int8_weights(path: Path, name: str) -> np.ndarray:
    init = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}
    return init[f"{name}_quantized"]


def test_pair_guard_makes_the_fused_kernels_compute_the_graph(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 0.3, (16, 32, 1, 1))
    w1[:, 0:2] = 1.0  # a same-sign pair at full scale in every channel: 127 + 127 > 128
    w2 = rng.normal(0, 0.3, (4, 16, 1, 1))
    w2[:, 2:4] = 1.0
    fp32 = two_convs(tmp_path / "m.onnx", w1, w2)
    inputs = [rng.uniform(0, 6, (1, 32, 8, 8)).astype(np.float32) for _ in range(8)]
    raw, guarded = tmp_path / "raw.onnx", tmp_path / "guarded.onnx"
    quantize_int8(fp32, raw, "x", inputs, recipe=RAW)
    changed = quantize_int8(fp32, guarded, "x", inputs, recipe=Recipe(bias_correction=False, speed_aware=False))
    assert set(changed) == {"conv1", "conv2"} and all(v > 1.0 for v in changed.values())
    assert _worst_pair(int8_weights(raw, "w1"), pointwise=True).max() > PAIR_LIMIT
    for name in ("w1", "w2"):
        assert _worst_pair(int8_weights(guarded, name), pointwise=True).max() <= PAIR_LIMIT
    x = rng.uniform(4, 6, (1, 32, 8, 8)).astype(np.float32)  # large activations: where pairs saturate
    gap = {p.name: float(np.abs(run(p, x) - run(p, x, fused=False)).max()) for p in (raw, guarded)}
    step = float(np.abs(run(fp32, x)).max()) / 127  # about one output quantization step
    assert gap["guarded.onnx"] <= 1.01 * step, gap  # rounding only; without the guard AVX2 may saturate
    assert gap["guarded.onnx"] <= gap["raw.onnx"] + 1e-6


def test_bias_correction_removes_the_mean_shift_of_rounded_weights(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    w1 = np.full((8, 32, 1, 1), 0.0042)  # each rounds up to one step (1/127) of the channel's scale ...
    w1[:, 0] = 1.0  # ... which this weight sets: a consistent +87 % error, a large mean shift
    w2 = rng.normal(0, 0.3, (4, 8, 1, 1))
    fp32 = two_convs(tmp_path / "m.onnx", w1, w2)
    inputs = [rng.uniform(0, 1, (1, 32, 8, 8)).astype(np.float32) for _ in range(16)]
    plain, corrected = tmp_path / "plain.onnx", tmp_path / "corrected.onnx"
    quantize_int8(fp32, plain, "x", inputs, recipe=Recipe(bias_correction=False, speed_aware=False))
    quantize_int8(fp32, corrected, "x", inputs, recipe=Recipe(bias_inputs=16, speed_aware=False))
    x = [rng.uniform(0, 1, (1, 32, 8, 8)).astype(np.float32) for _ in range(4)]  # not the calibration inputs
    ref = np.mean([run(fp32, v) for v in x], axis=(0, 1, 3, 4))

    def shift(p: Path) -> float:
        return float(np.abs(np.mean([run(p, v) for v in x], axis=(0, 1, 3, 4)) - ref).max())

    assert shift(corrected) < 0.2 * shift(plain), (shift(corrected), shift(plain))


def test_dead_branches_are_dropped() -> None:
    from edgeward.optimize.refine import drop_dead_nodes

    nodes = [helper.make_node("Relu", ["x"], ["y"], name="live"),
             helper.make_node("Transpose", ["x"], ["t"], name="dead1", perm=[0, 1, 3, 2]),
             helper.make_node("Neg", ["t"], ["u"], name="dead2")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 2, 2])
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y]))
    assert drop_dead_nodes(model) == 2 and [n.name for n in model.graph.node] == ["live"]
