"""Fuzz the ONNX importer (edgeward.convert.onnx_model): random small graphs (ops, dtypes, declared shapes
small and absurd, initializers inline and external with lying offsets and lengths), and real ONNX bytes
mutated. A model imports (checked, copied, verified) or fails with a ModelFormatError / ConversionError
naming the file; fast, in bounded memory, whatever its shapes declare."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from hypothesis import event, example, given
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from edgeward.convert.importer import ImportResult
from edgeward.convert.onnx_model import import_onnx, load_checked
from tests.fuzz.harness import FUZZ, outcome

DTYPES = [TensorProto.FLOAT, TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32, TensorProto.FLOAT16,
          TensorProto.BOOL, TensorProto.STRING, TensorProto.UNDEFINED, TensorProto.UINT8, TensorProto.DOUBLE]
DIMS = st.one_of(st.integers(1, 4), st.sampled_from([0, "batch", None, 100_000, 2**31, 2**40, -3]))
UNARY = ["Relu", "Sigmoid", "Tanh", "Abs", "Neg", "Identity", "Softmax", "Exp", "Sqrt", "Floor"]
BINARY = ["Add", "Mul", "Sub", "Div", "MatMul", "Max", "Min", "Pow"]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[onnx.ModelProto, dict[str, Any]]:
    """(model, external-data plan): a graph input X, initializers, 1 to 6 nodes, one or two outputs."""
    rank = draw(st.integers(1, 4))
    xdims = [draw(DIMS) if draw(st.integers(0, 4)) == 0 else draw(st.integers(1, 4)) for _ in range(rank)]
    xtype = draw(st.sampled_from(DTYPES)) if draw(st.integers(0, 5)) == 0 else TensorProto.FLOAT
    inputs = [helper.make_tensor_value_info("X", xtype, xdims)]
    inits, values = [], ["X"]
    for i in range(draw(st.integers(0, 3))):
        shape = draw(st.lists(st.integers(1, 4), max_size=3))
        arr = np.random.default_rng(i).standard_normal(shape).astype(np.float32)
        t = numpy_helper.from_array(arr, f"W{i}")
        if draw(st.integers(0, 6)) == 0:  # declared dims that lie about raw_data
            t.dims[:] = draw(st.lists(st.sampled_from([1, 3, 100_000, 2**40]), min_size=1, max_size=3))
        inits.append(t)
        values.append(f"W{i}")
    nodes = []
    for i in range(draw(st.integers(1, 6))):
        kind = draw(st.integers(0, 9))
        out = f"v{i}"
        if kind < 4:
            nodes.append(helper.make_node(draw(st.sampled_from(UNARY)), [draw(st.sampled_from(values))], [out]))
        elif kind < 8:
            a, b = draw(st.sampled_from(values)), draw(st.sampled_from(values))
            nodes.append(helper.make_node(draw(st.sampled_from(BINARY)), [a, b], [out]))
        elif kind == 8:  # a shape from a constant: Expand / ConstantOfShape / Reshape to a size that may be absurd
            target = draw(st.sampled_from([[2, 2], [1, -1], [100_000, 100_000], [2**31, 2], [0, 3]]))
            shape_name = f"s{i}"
            inits.append(numpy_helper.from_array(np.array(target, np.int64), shape_name))
            op = draw(st.sampled_from(["Expand", "ConstantOfShape", "Reshape", "Tile"]))
            ins = [shape_name] if op == "ConstantOfShape" else [draw(st.sampled_from(values)), shape_name]
            nodes.append(helper.make_node(op, ins, [out]))
        else:
            nodes.append(helper.make_node(draw(st.sampled_from(["FancyOp", "Conv", "Gather", "Concat"])),
                                          [draw(st.sampled_from(values))], [out], axis=draw(st.integers(-2, 2))))
        values.append(out)
    graph = helper.make_graph(nodes, "fuzz", inputs, [helper.make_empty_tensor_value_info(values[-1])], inits)
    try:  # declare the output as inference sees it (ONNX wants every graph output's type and rank)
        probe = onnx.shape_inference.infer_shapes(helper.make_model(graph), strict_mode=True)
        graph.output[0].CopyFrom(next(v for v in [*probe.graph.value_info, *probe.graph.output]
                                      if v.name == values[-1] and v.type.tensor_type.HasField("shape")))
    except Exception:  # an ill-formed graph: its output stays undeclared, which the importer must say
        pass
    opset = draw(st.sampled_from([17, 17, 17, 13, 1, 99]))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = draw(st.sampled_from([8, 8, 9, 3, 99]))
    external = draw(st.one_of(st.none(), st.fixed_dictionaries({
        "location": st.sampled_from(["w.bin", "w.bin", "../w.bin", "/etc/passwd", "sub/w.bin", "missing.bin", ""]),
        "offset": st.sampled_from([None, 0, 4, 10**12, -1]),
        "length": st.sampled_from([None, 4, 10**12, 0]),
        "file_bytes": st.sampled_from([None, 0, 3, 16])})))
    return model, external or {}


def _model(nodes: list[onnx.NodeProto], xdims: list[Any], inits: list[onnx.TensorProto] | None = None,
           dtype: int = TensorProto.FLOAT) -> onnx.ModelProto:
    """A regression case: input X, output Y as shape inference declares it."""
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("X", dtype, xdims)],
                              [helper.make_empty_tensor_value_info("Y")], inits or [])
    probe = onnx.shape_inference.infer_shapes(helper.make_model(graph))
    graph.output[0].CopyFrom(probe.graph.output[0])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _write(folder: Path, model: onnx.ModelProto, external: dict[str, Any]) -> Path:
    path = folder / "m.onnx"
    if external and model.graph.initializer:
        tensor = model.graph.initializer[0]
        data = tensor.raw_data
        tensor.ClearField("raw_data")
        tensor.data_location = TensorProto.EXTERNAL
        for key in ("location", "offset", "length"):
            if external[key] is not None:
                tensor.external_data.add(key=key, value=str(external[key]))
        target = folder / external["location"] if external["location"] else None
        if target is not None and "missing" not in str(target) and folder in target.resolve().parents:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data if external["file_bytes"] is None else data[: external["file_bytes"]])
    path.write_bytes(model.SerializeToString())
    return path


@FUZZ
@given(graphs())
@example((_model([helper.make_node("Relu", ["X"], ["Y"])], [100_000, 100_000]), {}))  # its example input: 40 GB
@example((_model([helper.make_node("Relu", ["X"], ["Y"])], [8192, 4096]), {}))  # 32 M elements: over the example cap
@example((_model([helper.make_node("Add", ["X", "X"], ["Y"])], [2**31]), {}))  # our own bound's data_prop: 8 GB
@example((_model([helper.make_node("Identity", ["X"], ["Y"])], [1], dtype=TensorProto.STRING), {}))  # no random strings
@example((_model([helper.make_node("Relu", ["X"], ["Y"])], [-3]), {}))  # np.zeros([-3]): a ValueError
@example((_model([helper.make_node("Relu", ["X"], ["Y"])], [0, 3]), {}))  # no elements: np.max of nothing, ValueError
@example((_model([helper.make_node("Expand", ["X", "s"], ["Y"])], [1],
                 [numpy_helper.from_array(np.array([100_000, 100_000], np.int64), "s")]), {}))  # 40 GB activation
def test_random_graphs(case: tuple[onnx.ModelProto, dict[str, Any]]) -> None:
    model, external = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "src"
        folder.mkdir()
        path = _write(folder, model, external)
        got = outcome(lambda: import_onnx(path, Path(tmp) / "out" / "m.onnx", random_cases=1), names=[str(path)],
                      seconds=30, memory_mb=384)
        event("imported" if isinstance(got, ImportResult) else type(got).__name__)
        if isinstance(got, ImportResult):
            assert got.path.is_file() and not (Path(tmp) / "out" / "m.onnx.data").exists()


def _seeds() -> list[bytes]:
    """Small real models, as bytes: a linear layer, a conv + pool, one with an If subgraph."""
    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, "w")
    linear = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y0"]),
                                helper.make_node("Sigmoid", ["y0"], ["y"])], "linear",
                               [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
                               [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], [w])
    k = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "k")
    conv = helper.make_graph([helper.make_node("Conv", ["x", "k"], ["c"], pads=[1, 1, 1, 1]),
                              helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
                             "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
                             [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])], [k])
    branch = helper.make_graph([helper.make_node("Neg", ["x"], ["z"])], "b", [],
                               [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2])])
    cond = numpy_helper.from_array(np.array(True), "cond")
    sub = helper.make_graph([helper.make_node("If", ["cond"], ["y"], then_branch=branch, else_branch=branch)],
                            "if", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])], [cond])
    return [helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
            for g in (linear, conv, sub)]


SEEDS = _seeds()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(SEEDS[draw(st.integers(0, len(SEEDS) - 1))])
    rnd = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 3))):
        at = rnd.randrange(len(data))
        kind = rnd.choice([0, 0, 0, 1, 2, 3])
        if kind == 0:
            data[at] = rnd.randrange(256)
        elif kind == 1:
            del data[at : at + rnd.randint(1, 16)]
        elif kind == 2:
            data[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
        else:  # a varint that claims a huge length
            data[at:at] = b"\xff\xff\xff\xff\x0f"
    return bytes(data)


@FUZZ
@given(mutated())
def test_mutated_real_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.onnx"
        path.write_bytes(data)
        got = outcome(lambda: load_checked(path), names=[str(path)], seconds=20, memory_mb=128)
        event("loaded" if isinstance(got, onnx.ModelProto) else type(got).__name__)
