"""int8 tuned for onnxruntime-web WASM (edgeward quantize --target wasm), on a small MobileNet-like block:
the Node timing tool, convolutions kept truly fp32 in a QDQ graph, the plan and the search.

PoseNet itself is quantized by bench/int8_wasm.py and the report (docs/bench/posenet/int8-wasm.md): timing
is the bench's business, not a test's; these check that the parts do what they say, fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from edgeward.optimize.gate import GateSpec, judge
from edgeward.optimize.quantize import Recipe, _static_qdq, quantize_int8, search_int8, variant_name
from edgeward.optimize.refine import keep_float_inputs
from edgeward.optimize.wasm_plan import MARGINS, TIE, WasmPlan, choose, plan_wasm, slow_convs
from edgeward.optimize.wasm_timing import by_class, conv_kinds, time_wasm, wasm_conv_ms

RNG = np.random.default_rng(0)
SHAPE = [1, 16, 24, 24]
CONVS = ["pw1", "dw", "pw2"]


def _block(path: Path) -> Path:
    """x → 1×1 conv (16→32) → ReLU6 → depthwise 3×3 → ReLU6 → 1×1 conv (32→8)."""
    def conv(name: str, x: str, w: np.ndarray, group: int = 1, clip: bool = True) -> list[onnx.NodeProto]:
        inits.extend([numpy_helper.from_array(w.astype(np.float32), f"{name}_w"),
                      numpy_helper.from_array(RNG.normal(0, 0.1, w.shape[0]).astype(np.float32), f"{name}_b")])
        pads = [w.shape[2] // 2] * 4
        nodes = [helper.make_node("Conv", [x, f"{name}_w", f"{name}_b"], [f"{name}_y"], name=name, group=group,
                                  pads=pads)]
        if clip:
            nodes.append(helper.make_node("Clip", [f"{name}_y", "zero", "six"], [f"{name}_a"], name=f"{name}_relu6"))
        return nodes

    inits = [numpy_helper.from_array(np.array(0, np.float32), "zero"),
             numpy_helper.from_array(np.array(6, np.float32), "six")]
    nodes = (conv("pw1", "x", RNG.normal(0, 0.3, (32, 16, 1, 1)))
             + conv("dw", "pw1_a", RNG.normal(0, 0.3, (32, 1, 3, 3)), group=32)
             + conv("pw2", "dw_a", RNG.normal(0, 0.2, (8, 32, 1, 1)), clip=False))
    graph = helper.make_graph(nodes, "block", [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
                              [helper.make_tensor_value_info("pw2_y", TensorProto.FLOAT, [1, 8, 24, 24])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9  # onnxruntime-web 1.30 reads IR versions up to 13
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def block(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[np.ndarray]]:
    folder = tmp_path_factory.mktemp("wasm-int8")
    calib = [RNG.uniform(0, 1, SHAPE).astype(np.float32) for _ in range(8)]
    return _block(folder / "block.fp32.onnx"), calib


def _native_ops(model: Path | onnx.ModelProto, tmp: Path) -> dict[str, str]:
    """Kernel name → its op, as native onnxruntime runs the model (its profiler)."""
    opts = ort.SessionOptions()
    opts.enable_profiling = True
    opts.profile_file_prefix = str(tmp / "profile")
    opts.intra_op_num_threads = 1
    data = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    sess.run(None, {"x": np.zeros(SHAPE, np.float32)})
    events = json.loads(Path(sess.end_profiling()).read_text())
    return {e["name"].removesuffix("_kernel_time"): e["args"]["op_name"] for e in events
            if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")}


def _conv_ops(ops: dict[str, str], conv: str) -> set[str]:
    return {op for name, op in ops.items() if name.split("_")[0] == conv and "Conv" in op}


def test_a_conv_kept_fp32_in_a_qdq_graph_runs_in_fp32(block: tuple[Path, list[np.ndarray]], tmp_path: Path) -> None:
    """onnxruntime re-quantizes a float Conv fed by a per-tensor DequantizeLinear (per-tensor int8 weights):
    'kept fp32' would be int8 after all. keep_float_inputs gives it a per-channel DequantizeLinear of the
    same numbers, and it runs as a float Conv."""
    fp32, calib = block
    raw = tmp_path / "raw.onnx"
    _static_qdq(fp32, raw, "x", calib, ["dw", "dw_relu6"], Recipe())
    assert _conv_ops(_native_ops(raw, tmp_path), "dw") == {"QLinearConv"}  # the trap

    model = onnx.load(str(raw))
    assert keep_float_inputs(model, ["dw", "dw_relu6", "pw1"]) == ["dw"]  # pw1 is quantized: nothing to keep
    dw = next(n for n in model.graph.node if n.name == "dw")
    dq = next(n for n in model.graph.node if n.output[0] == dw.input[0])
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    scale = init[dq.input[1]]
    assert scale.shape == (32,) and np.all(scale == scale[0]) and init[dq.input[2]].shape == (32,)
    ops = _native_ops(model, tmp_path)
    assert _conv_ops(ops, "dw") and "QLinearConv" not in _conv_ops(ops, "dw"), ops
    assert _conv_ops(ops, "pw1") == _conv_ops(ops, "pw2") == {"QLinearConv"}, ops
    # The same numbers: the graph's own (unfused) arithmetic gives what the fused kernels give, to int8 noise.
    plain = ort.SessionOptions()
    plain.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    x = {"x": calib[0]}
    ref = ort.InferenceSession(model.SerializeToString(), plain, providers=["CPUExecutionProvider"]).run(None, x)[0]
    got = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, x)[0]
    assert np.abs(got - ref).max() <= 0.05 * np.abs(ref).max()


def test_onnxruntime_web_times_and_profiles_both_models(block: tuple[Path, list[np.ndarray]], tmp_path: Path) -> None:
    fp32, calib = block
    int8 = tmp_path / "block.int8.onnx"
    quantize_int8(fp32, int8, "x", calib, bias_correction=False)
    timing = time_wasm([fp32, int8], {"x": calib[0]}, threads=1, runs=4, warmup=1, profile_runs=3,
                       outputs_for=[{"x": calib[1]}])
    assert timing.ort_version.count(".") == 2 and timing.threads == 1
    # Its outputs are the models' own: fp32 as native onnxruntime computes it, int8 close to that.
    native = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"]).run(None, {"x": calib[1]})[0]
    web_fp32, web_int8 = (timing.outputs[i][0]["pw2_y"] for i in (0, 1))
    assert web_fp32.shape == native.shape == (1, 8, 24, 24)
    assert np.abs(web_fp32 - native).max() <= 1e-4 * np.abs(native).max()
    assert 0 < np.abs(web_int8 - native).max() <= 0.1 * np.abs(native).max()
    assert [len(m) for m in timing.ms] == [4, 4] and all(t > 0 for m in timing.ms for t in m)
    assert set(timing.stats(0)) == {"min", "p50", "n"}
    # Kernels by shape class, from onnxruntime-web's own profiler (1×1 and depthwise, fp32 and int8).
    assert {"FusedConv 1×1", "FusedConv depthwise 3×3"} <= set(by_class(timing.profiles[0])), timing.profiles[0]
    assert {"QLinearConv 1×1", "QLinearConv depthwise 3×3"} <= set(by_class(timing.profiles[1])), timing.profiles[1]
    assert conv_kinds(fp32) == {"pw1": "1×1", "pw1_relu6": "1×1", "dw": "depthwise 3×3", "dw_relu6": "depthwise 3×3",
                                "pw2": "1×1"}
    node_ms = wasm_conv_ms(fp32, int8, {"x": calib[0]}, runs=3)
    assert set(node_ms) == set(CONVS) and all(fp > 0 and q > 0 for fp, q in node_ms.values()), node_ms


def test_slow_convolutions_follow_the_timings() -> None:
    times = {"a": (1.0, 2.0), "b": (2.0, 1.0), "c": (1.0, 1.0), "d": (3.0, 2.0)}
    assert slow_convs(["d", "c", "b", "a", "x"], times) == ["c", "a"]  # graph order; equal is not faster
    assert slow_convs(["a", "b", "c", "d"], times, margin=1.6) == ["a", "c", "d"]  # d is 1.5× faster, b 2×


def test_near_ties_go_to_the_graph_that_keeps_more_fp32() -> None:
    kept = {"margin 1": 14, "margin 1.25": 17, "margin 1.5": 19}
    # the fastest, when nothing else is within TIE of it
    assert choose({"fp32": 82.0, "int8": 95.1, "margin 1": 61.7, "margin 1.25": 58.3, "margin 1.5": 61.0}, kept) \
        == "margin 1.25"
    # within 3 %: the one keeping the most fp32, though a little slower
    assert choose({"fp32": 82.0, "int8": 95.1, "margin 1": 58.0, "margin 1.25": 59.0, "margin 1.5": 59.7}, kept) \
        == "margin 1.5"
    assert choose({"fp32": 82.0, "int8": 58.0, "margin 1": 59.0}, {"margin 1": 14}) == "margin 1"  # int8 keeps none
    assert choose({"fp32": 50.0, "int8": 58.0}, {}) == "int8"  # fp32 is never a choice, however fast
    assert choose({"int8": 60.0, "margin 1": 60.0 * (1 + TIE) + 0.01}, {"margin 1": 3}) == "int8"  # just outside
    on_equal_counts = choose({"int8": 70.0, "margin 1": 60.0, "margin 2": 59.5}, {"margin 1": 5, "margin 2": 5})
    assert on_equal_counts == "margin 2"


def test_the_plan_says_when_it_took_a_slower_graph_for_more_fp32() -> None:
    plan = WasmPlan({}, candidates=[(1.0, ["a"]), (1.5, ["a", "b"])], keep_fp32=["a", "b"], chosen="margin 1.5",
                    e2e_ms={"fp32": 80.0, "int8": 70.0, "margin 1": 58.0, "margin 1.5": 59.0})
    assert plan.describe().endswith(
        "2 convolutions kept fp32 (within 3% of the fastest, the one keeping the most fp32)")
    plan = WasmPlan({}, candidates=[(1.0, ["a"])], keep_fp32=["a"], chosen="margin 1",
                    e2e_ms={"fp32": 80.0, "int8": 70.0, "margin 1": 58.0})
    assert plan.describe().endswith(": 1 convolutions kept fp32")


def test_search_for_wasm_keeps_what_its_plan_keeps(block: tuple[Path, list[np.ndarray]], tmp_path: Path) -> None:
    """The search's starting fp32 set is the plan's, chosen by its own WASM measurements; those
    convolutions are float Convs in the model written (not re-quantized by onnxruntime)."""
    fp32, calib = block
    ref = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"])
    feeds = [{"x": x} for x in calib[:4]]
    want = [ref.run(None, f)[0] for f in feeds]

    def gate(path: Path) -> object:
        got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        agree = np.mean([np.array_equal(np.argmax(g, 1), np.argmax(w, 1))
                         for g, w in ((got.run(None, f)[0], w) for f, w in zip(feeds, want, strict=True))])
        return judge({"top1_agreement": float(agree)}, GateSpec(min_agreement=0.0))

    out = tmp_path / "block.int8-wasm.onnx"
    result = search_int8(fp32, out, "x", calib, gate, steps=(), recipe=Recipe(bias_inputs=4),  # type: ignore[arg-type]
                         speed_feed=feeds[0], target="wasm")
    plan = result.wasm_plan
    assert plan is not None and set(plan.node_ms) == set(CONVS)
    expected: list[tuple[float, list[str]]] = []  # one mixed graph per margin, distinct and not empty
    for m in MARGINS:
        keep = slow_convs(CONVS, plan.node_ms, m)
        if keep and keep not in [k for _, k in expected]:
            expected.append((m, keep))
    assert plan.candidates == expected
    if plan.candidates:  # the fastest end to end wins: all int8, or one of the mixed graphs
        timed = {f"margin {m:g}": keep for m, keep in plan.candidates}
        assert set(plan.e2e_ms) == {"fp32", "int8", *timed}
        best = choose(plan.e2e_ms, {k: len(v) for k, v in timed.items()})
        assert plan.chosen == best and plan.keep_fp32 == ([] if best == "int8" else timed[best])
    assert result.slow_in_int8 == plan.keep_fp32 and set(plan.keep_fp32) <= set(result.excluded)
    ops = _native_ops(out, tmp_path)
    for conv in CONVS:
        assert ("QLinearConv" in _conv_ops(ops, conv)) == (conv not in plan.keep_fp32), (conv, ops)


def test_mixed_graphs_over_the_size_budget_are_left_out(block: tuple[Path, list[np.ndarray]], tmp_path: Path) -> None:
    fp32, calib = block
    quick = tmp_path / "quick.onnx"
    quantize_int8(fp32, quick, "x", calib, bias_correction=False)
    made: list[list[str]] = []

    def make(names: list[str]) -> Path:
        made.append(names)
        path = tmp_path / f"mixed{len(made)}.onnx"
        quantize_int8(fp32, path, "x", calib, exclude=names, bias_correction=False)
        return path

    plan = plan_wasm(fp32, quick, make, {"x": calib[0]}, runs=2, max_bytes=1)
    assert plan.candidates == [] and plan.keep_fp32 == [] and plan.e2e_ms == {}
    distinct: list[list[str]] = []  # each margin's fp32 set, once
    for m in MARGINS:
        keep = slow_convs(CONVS, plan.node_ms, m)
        if keep and keep not in distinct:
            distinct.append(keep)
    assert made == distinct  # every mixed graph was built, and each was over the budget
    assert len(plan.over_budget) == len(distinct) and all(b > 1 for _, b in plan.over_budget)
    assert ("over the size budget" in plan.describe()) == bool(distinct)


def test_only_int8_has_a_wasm_tuning() -> None:
    from edgeward.optimize.quantize import QuantizationError

    assert variant_name("int8", "wasm") == "int8-wasm" and variant_name("int8") == "int8"
    assert variant_name("fp16") == "fp16"
    with pytest.raises(QuantizationError, match="--to fp16 has no WASM tuning"):
        variant_name("fp16", "wasm")
    assert variant_name("int8", "kernels") == "int8-kernels"
    with pytest.raises(QuantizationError, match="--to fp16 has no lowering for Edgeward's kernels"):
        variant_name("fp16", "kernels")
