"""What an ONNX file asks for, sized from its declarations before anything big is read or allocated.

The file's size before it is parsed; its node count (subgraphs of If / Loop / Scan included); the bytes
its tensors declare (dims × dtype, with Python's integers, inline and external alike) before external
data is read; and, once checked, the size of every tensor shape inference can work out (an Expand of
a constant [100000, 100000] is 40 GB of activation: refused before onnxruntime tries to allocate it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import onnx
from onnx import external_data_helper, helper

from edgeward.convert.limits import MAX_GRAPH_NODES, MAX_WEIGHT_BYTES, mib
from edgeward.errors import ModelFormatError

MAX_FILE_BYTES = MAX_WEIGHT_BYTES + 256 * 1024**2
"""An .onnx file: its weights and the graph around them (protobuf cannot parse past 2 GiB anyway)."""


def itemsize(elem_type: int) -> int:
    """Bytes per element of an ONNX tensor type (0 for strings and undefined types)."""
    try:
        dtype = helper.tensor_dtype_to_np_dtype(elem_type)
    except (KeyError, ValueError, TypeError):
        return 0
    return 0 if dtype.kind == "O" else dtype.itemsize


def check_file(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ModelFormatError(f"{path}: {mib(size)}, over the {mib(MAX_FILE_BYTES)} limit for an ONNX file; "
                               "not read")


def _graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _graphs(attr.g)
            for g in attr.graphs:
                yield from _graphs(g)


def check_declared(model: onnx.ModelProto, source: str) -> None:
    """Node count and declared tensor bytes, before external data is read."""
    nodes = sum(len(g.node) for g in _graphs(model.graph))
    if nodes > MAX_GRAPH_NODES:
        raise ModelFormatError(f"{source}: {nodes} nodes, over the {MAX_GRAPH_NODES} node limit")
    total = 0
    for tensor in external_data_helper._get_all_tensors(model):
        if any(d < 0 for d in tensor.dims):
            raise ModelFormatError(f"{source}: tensor '{tensor.name}' declares negative dims {list(tensor.dims)}")
        total += math.prod(tensor.dims) * itemsize(tensor.data_type)
        if total > MAX_WEIGHT_BYTES:
            raise ModelFormatError(f"{source}: its tensors declare {mib(total)} (up to '{tensor.name}', dims "
                                   f"{list(tensor.dims)}), over the {mib(MAX_WEIGHT_BYTES)} limit; no data was read")


def check_inferred(model: onnx.ModelProto, source: str) -> None:
    """Every tensor whose full shape inference knows (initializer shapes read, as for Expand and Reshape)
    fits MAX_WEIGHT_BYTES. Not ``data_prop=True``: ONNX's data propagation allocates in proportion to the
    declared dims (an Add of a declared [2**31] input took 8 GB and 9 s before failing: found by the fuzzing)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # the checker has accepted the model; this pass is best effort
        return
    g = inferred.graph
    for value in [*g.input, *g.value_info, *g.output]:
        t = value.type.tensor_type
        if not t.HasField("shape") or not all(d.HasField("dim_value") for d in t.shape.dim):
            continue
        dims = [d.dim_value for d in t.shape.dim]
        size = math.prod(dims) * max(itemsize(t.elem_type), 1)
        if size > MAX_WEIGHT_BYTES:
            raise ModelFormatError(f"{source}: tensor '{value.name}' has shape {dims}: {mib(size)}, over the "
                                   f"{mib(MAX_WEIGHT_BYTES)} limit for one tensor")
