"""Fuzz the TF.js converter's op table (edgeward.convert.tfjs.converter) on random small graphs: a
placeholder, small constants, and up to 8 nodes of any op in the table (and a few it lacks) wired to
earlier nodes, with attributes both well-formed and not. A graph converts to an ONNX model that
onnxruntime loads and runs, or fails with a ConversionError naming a node, op or output."""

from __future__ import annotations

import base64
import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
from hypothesis import event, example, given
from hypothesis import strategies as st

from edgeward.convert.tfjs.converter import OPS, UNCHECKED, build_onnx
from edgeward.convert.tfjs.ops import ARITY
from edgeward.convert.tfjs.reader import TfjsGraph, TfjsNode
from edgeward.runtime.session import build_session, runner
from tests.fuzz.harness import FUZZ, outcome

_ORT = onnxruntime.capi.onnxruntime_pybind11_state
ORT_RUN_ERRORS = (_ORT.Fail, _ORT.InvalidArgument, _ORT.RuntimeException)


def _s(text: str) -> dict[str, str]:
    return {"s": base64.b64encode(text.encode()).decode()}


def _ints(values: list[int]) -> dict[str, Any]:
    return {"list": {"i": [str(v) for v in values]}}


I32, F32 = {"type": "DT_INT32"}, {"type": "DT_FLOAT"}
# Attribute values by name: what real graphs carry, and what they never should.
ATTRS: dict[str, list[Any]] = {
    "strides": [_ints([1, 1, 1, 1]), _ints([1, 2, 2, 1]), _ints([1, 0, 0, 1]), _ints([1]), _ints([]), {"list": 3}],
    "dilations": [_ints([1, 1, 1, 1]), _ints([1, 2, 2, 1]), _ints([1, -1, 1, 1])],
    "ksize": [_ints([1, 2, 2, 1]), _ints([1, 3, 3, 1]), _ints([1, 0, 0, 1]), _ints([2])],
    "padding": [_s("SAME"), _s("VALID"), _s("EXPLICIT"), _s("WEIRD"), {"s": "not base64!"}, {"s": 5}],
    "explicit_paddings": [_ints([0, 0, 1, 1, 1, 1, 0, 0]), _ints([1])],
    "data_format": [_s("NHWC"), _s("NCHW"), {"s": base64.b64encode(b"\xff").decode()}],
    "fused_ops": [{"list": {"s": [_s("BiasAdd")["s"]]}}, {"list": {"s": [_s("BiasAdd")["s"], _s("Relu6")["s"]]}},
                  {"list": {"s": [_s("Gelu")["s"]]}}, {"list": {"s": "BiasAdd"}}],
    "num_args": [{"i": "1"}, {"i": "0"}, {"i": "x"}],
    "T": [F32, I32, {"type": "DT_STRING"}, {"type": 3}],
    "DstT": [F32, I32, {"type": "DT_BOOL"}, {"type": "DT_INT64"}],
    "SrcT": [F32, I32],
    "dtype": [F32, I32],
    "out_type": [I32, {"type": "DT_INT64"}, F32],
    "output_type": [I32, {"type": "DT_INT64"}],
    "axis": [{"i": "0"}, {"i": "1"}, {"i": "-1"}, {"i": "7"}, {"i": "99999999999999999999999"}, _ints([0])],
    "N": [{"i": "2"}, {"i": "3"}, {"i": "-1"}],
    "num": [{"i": "2"}, {"i": "0"}, {"i": "100000000"}],
    "num_split": [{"i": "2"}, {"i": "0"}, {"i": "-3"}],
    "keep_dims": [{"b": True}, {"b": False}],
    "squeeze_dims": [_ints([0]), _ints([-1]), _ints([5])],
    "batch_dims": [{"i": "0"}, {"i": "1"}],
    "align_corners": [{"b": True}, {"b": False}],
    "half_pixel_centers": [{"b": True}, {"b": False}],
    "leakyrelu_alpha": [{"f": 0.2}, {"f": "x"}],
    "begin_mask": [{"i": "0"}, {"i": "1"}, {"i": "15"}, {"i": "-1"}],
    "end_mask": [{"i": "0"}, {"i": "3"}, {"i": "-1"}],
    "shrink_axis_mask": [{"i": "0"}, {"i": "1"}, {"i": "4294967295"}],
    "new_axis_mask": [{"i": "0"}, {"i": "2"}],
    "ellipsis_mask": [{"i": "0"}, {"i": "1"}],
    "shape": [{"shape": {"dim": [{"size": "1"}, {"size": "4"}]}}, {"shape": {"unknownRank": True}}, {"shape": 3}],
}
OP_NAMES = [*sorted(OPS), "Const", "NoOp", "FancyOp", "Placeholder"]
_CONV = ["strides", "padding", "data_format", "dilations", "fused_ops", "num_args", "T"]
OP_ATTRS: dict[str, list[str]] = {  # the attributes each op reads (the rest of ATTRS are noise to it)
    **{op: _CONV for op in ("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative")},
    "MaxPool": ["ksize", "strides", "padding", "data_format"], "AvgPool": ["ksize", "strides", "padding"],
    "LeakyRelu": ["leakyrelu_alpha"], **{op: ["keep_dims"] for op in ("Mean", "Sum", "Max", "Min", "Prod")},
    "Cast": ["DstT", "SrcT"], "Shape": ["out_type"], "Size": ["out_type"], "ArgMax": ["output_type"],
    "Pack": ["axis", "N"], "Unpack": ["axis", "num"], "Split": ["num_split"], "Squeeze": ["squeeze_dims"],
    "ConcatV2": ["N"], "GatherV2": ["batch_dims"], "FloorDiv": ["T"],
    "ResizeBilinear": ["align_corners", "half_pixel_centers"], "ResizeNearestNeighbor": ["align_corners"],
    "StridedSlice": ["begin_mask", "end_mask", "shrink_axis_mask", "new_axis_mask", "ellipsis_mask"],
}
CONSTS: list[np.ndarray] = [
    np.array(2, np.int32), np.array(-1, np.int32), np.array([1, -1], np.int32), np.array([0, 1], np.int32),
    np.array([2, 2], np.int32), np.array([1, 2, 2, 1], np.int32), np.array([0, 0, 0, 0], np.int32),
    np.array([3, 4], np.int32), np.array([100000, 100000], np.int32), np.array([0, 100000000, 1], np.int32)[1:2],
    np.array(0.5, np.float32), np.ones((3, 3, 4, 2), np.float32), np.ones((1, 1, 4, 4), np.float32),
    np.linspace(-1, 1, 4, dtype=np.float32), np.zeros((0,), np.float32), np.array([[0, 1], [1, 0]], np.int32),
    np.array(300_000_000, np.int32), np.array(0, np.int32), np.array(1, np.int32),
]


@st.composite
def graphs(draw: st.DrawFn) -> TfjsGraph:
    """Mostly well-formed (each op its inputs, its attributes mostly with real values) so conversions get deep
    into the op table; sometimes not (a missing or extra input, a dangling one, noise attributes, an op the
    table lacks)."""
    shape = draw(st.lists(st.sampled_from([1, 2, 3, 4, 5, -1]), min_size=1, max_size=4))
    names, data = ["x"], ["x"]
    nodes = [TfjsNode("x", "Placeholder", [], {"shape": {"shape": {"dim": [{"size": str(d)} for d in shape]}},
                                               "dtype": draw(st.sampled_from([F32, F32, I32]))})]
    weights: dict[str, np.ndarray] = {}
    for i in range(draw(st.integers(0, 4))):
        name = f"c{i}"
        weights[name] = CONSTS[draw(st.integers(0, len(CONSTS) - 1))]
        nodes.append(TfjsNode(name, "Const", [], {"dtype": I32 if weights[name].dtype == np.int32 else F32}))
        names.append(name)
    for i in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(OP_NAMES)) if draw(st.integers(0, 9)) == 0 else draw(st.sampled_from(sorted(OPS)))
        n_in = ARITY.get(op, 0) + draw(st.sampled_from([0, 0, 0, 0, 1, -1]))
        refs = [draw(st.sampled_from(data[-2:])) if j == 0 else draw(st.sampled_from(names)) for j in range(n_in)]
        refs = [r + (":1" if draw(st.integers(0, 11)) == 0 else "") for r in refs]
        if draw(st.integers(0, 15)) == 0:
            refs.append(draw(st.sampled_from(["missing", "^x", f"n{i}"])))  # dangling, control, itself
        attr = {}
        for k in OP_ATTRS.get(op, []):
            if draw(st.integers(0, 3)):
                attr[k] = ATTRS[k][0] if draw(st.booleans()) else draw(st.sampled_from(ATTRS[k]))
        for k in draw(st.lists(st.sampled_from(sorted(ATTRS)), max_size=1)):
            attr[k] = draw(st.sampled_from(ATTRS[k]))
        name = f"n{i}"
        nodes.append(TfjsNode(name, op, refs, attr))
        names.append(name)
        data.append(name)
    outputs = draw(st.lists(st.sampled_from(data[1:]), min_size=1, max_size=2, unique=True))
    return TfjsGraph(Path("fuzz/model.json"), nodes, weights, ["x"], outputs, {})


def _runs(model: onnx.ModelProto, tmp: Path) -> None:
    """The converted model loads in onnxruntime (a model it refuses to load is a converter bug). Running it
    on all-ones input may fail on the data (a Range of step 0, a reshape the ones do not fit), as TF.js would."""
    path = tmp / "m.onnx"
    path.write_bytes(model.SerializeToString())
    session = build_session(path)
    feeds = {}
    for i in session.get_inputs():
        dims = [d if isinstance(d, int) and d > 0 else 2 for d in i.shape]
        feeds[i.name] = np.ones(dims, np.int32 if "int32" in i.type else np.float32)
    with contextlib.suppress(*ORT_RUN_ERRORS):
        runner(session)(feeds)


def _x(*dims: int) -> TfjsNode:
    return TfjsNode("x", "Placeholder", [], {"shape": {"shape": {"dim": [{"size": str(d)} for d in dims]}}})


def _g(nodes: list[TfjsNode], weights: dict[str, np.ndarray] | None = None) -> TfjsGraph:
    """A regression case: the nodes (their consts' values in ``weights``), output 'n'."""
    return TfjsGraph(Path("m.json"), nodes, weights or {}, ["x"], ["n"], {})


C = TfjsNode("c", "Const", [], {})


# Each a crash the fuzzing found (an IndexError, ValueError, ZeroDivisionError or onnx ValidationError
# from deep in the op table, or a runaway), now an error that names the node:
@FUZZ
@given(graphs())
@example(_g([_x(4), TfjsNode("n", "Relu", [], {})]))  # no inputs
@example(_g([_x(4), TfjsNode("n", "Split", ["x"], {"num_split": {"i": "x"}})]))  # int('x')
@example(_g([_x(4), TfjsNode("n", "Unpack", ["x"], {"num": {"i": "100000000"}})]))  # 10^8 output names
@example(_g([TfjsNode("x", "Placeholder", [], {}), TfjsNode("n", "Relu", ["x"], {})]))  # no rank: ValidationError
@example(_g([_x(4), TfjsNode("n", "Relu", ["x:1"], {})]))  # an output x does not have: ValidationError
@example(_g([_x(2, 5), TfjsNode("n", "MaxPool", ["x"], {})]))  # a 2-D input to an NHWC op
@example(_g([_x(1, 4, 4, 1), C, TfjsNode("n", "StridedSlice", ["x", "c", "c", "c:0"], {})],
            {"c": np.array([0, 1], np.int32)}))
@example(_g([_x(3), C, TfjsNode("n", "Tile", ["x", "c"], {})], {"c": np.array([2, 2], np.int32)}))
@example(_g([_x(), TfjsNode("n", "Squeeze", ["x"], {"squeeze_dims": _ints([0])})]))  # axis % 0
@example(_g([_x(4), C, TfjsNode("n", "Min", ["x", "c"], {})], {"c": np.zeros(0, np.int32)}))  # no axes
@example(_g([_x(2, 3, 1, 2), C, TfjsNode("n", "GatherNd", ["x", "c"], {})], {"c": np.array(1, np.int32)}))
@example(_g([_x(4), C, TfjsNode("n", "Range", ["c", "c", "c"], {})], {"c": np.array(0, np.int32)}))  # step 0
@example(_g([_x(4), TfjsNode("s", "Const", [], {}), C, TfjsNode("d", "Const", [], {}),
             TfjsNode("r", "Range", ["s", "c", "d"], {}), TfjsNode("n", "Size", ["r"], {})],
            {"s": np.array(0, np.int32), "c": np.array(300_000_000, np.int32), "d": np.array(1, np.int32)}))
# ^ folding Range(0, 3e8, 1) computed 1.2 GB (3.4 GB at peak) before finding it too big to keep
def test_random_graphs(tmp_path_factory: Any, graph: TfjsGraph) -> None:
    names = [n.name for n in graph.nodes] + list(graph.outputs)
    got = outcome(lambda: build_onnx(graph), names=[f"'{n}'" for n in names] + ["fuzz/model.json"], seconds=20,
                  memory_mb=256)
    assert UNCHECKED not in str(got), got  # a case the op table should say something about
    event("converted" if isinstance(got, onnx.ModelProto) else str(got).split(":")[0][:40])
    if isinstance(got, onnx.ModelProto):
        _runs(got, tmp_path_factory.mktemp("conv"))
