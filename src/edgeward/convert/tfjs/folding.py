"""Constant folding: evaluate at conversion time every node whose inputs are already known.

Graphs exported for dynamic input sizes compute their shapes at run time (Shape → StridedSlice →
Pack → Reshape, Range/Fill meshgrids, resize sizes ...). Once the input shape is fixed, all of that
is constant: folding it lets the op table see constants where it needs them (Reshape's shape,
Resize's size, Split's axis) and keeps only the data-dependent ops in the ONNX graph.

Folding reuses the op table itself: the node is converted into a scratch context and the ONNX
nodes it emits are evaluated with onnx's reference (numpy) implementation. So a folded value means
exactly what the emitted graph would compute, and there is no second copy of each op's semantics.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from edgeward.convert.tfjs.context import Context
from edgeward.convert.tfjs.ops import OPS
from edgeward.convert.tfjs.reader import TfjsNode
from edgeward.errors import ConversionError

# Folding a node that builds a big tensor from small constants (a Fill of an image-sized shape)
# would store the whole tensor in the model file; leave such nodes to run at inference time.
MAX_FOLDED_ELEMENTS = 1 << 18
OPSET = 17

_SHAPE_DTYPES = {"int32": np.int32, "int64": np.int64}


def _data_inputs(node: TfjsNode) -> list[str]:
    return [i for i in node.inputs if not i.startswith("^")]  # '^x' is a control dependency only


def _static_shape(ctx: Context, name: str) -> list[int] | None:
    shape = ctx.shapes.get(name)
    return shape if shape is not None and all(d >= 0 for d in shape) else None


def _fold_shape_query(ctx: Context, node: TfjsNode) -> np.ndarray | None:
    """Shape / Size of a tensor whose static shape is fully known (its value need not be)."""
    shape = _static_shape(ctx, ctx.tensor(_data_inputs(node)[0]))
    if shape is None:
        return None
    dtype = _SHAPE_DTYPES.get(node.attr_dtype("out_type", "int32"), np.int32)
    if node.op == "Shape":
        return np.array(shape, dtype=dtype)
    return np.array(int(np.prod(shape, dtype=np.int64)), dtype=dtype)


def _range_too_long(ctx: Context, node: TfjsNode) -> bool:
    """Whether Range(start, limit, delta) on these constants is not worth folding: longer than
    MAX_FOLDED_ELEMENTS (Range(0, 3e8, 1) is 1.2 GB, and its static shape, [-1], says nothing), a zero
    step, or not three finite scalars. Judged from the values, before anything is computed."""
    values = [np.asarray(ctx.consts[ctx.tensor(r)]) for r in _data_inputs(node)[:3]]
    if len(values) != 3 or any(v.size != 1 or not np.isfinite(v.astype(np.float64)).all() for v in values):
        return True
    start, limit, delta = (float(v.reshape(-1)[0]) for v in values)
    return delta == 0 or math.ceil((limit - start) / delta) > MAX_FOLDED_ELEMENTS


def _evaluate(ctx: Context, node: TfjsNode) -> dict[str, np.ndarray] | None:
    """Convert ``node`` into a scratch context and evaluate what it emits, on constants only;
    None when its result would be too big to store (judged by static shapes, before computing)."""
    if node.op == "Range" and _range_too_long(ctx, node):
        return None
    scratch = Context(ctx.weights)
    feeds: list[onnx.TensorProto] = []
    for ref in _data_inputs(node):
        name = ctx.tensor(ref)
        scratch.consts[name] = ctx.consts[name]
        scratch.shapes[name] = ctx.shapes.get(name)
        feeds.append(numpy_helper.from_array(np.asarray(ctx.consts[name], order="C"), name))
    OPS[node.op](scratch, node)
    outputs = [o for n in scratch.nodes for o in n.output
               if o == ctx.tensor(node.name) or o.startswith(f"{node.name}:")]
    for o in outputs:
        shape = scratch.shapes.get(o)
        if shape is not None and all(d >= 0 for d in shape) and math.prod(shape) > MAX_FOLDED_ELEMENTS:
            return None
    graph = helper.make_graph(scratch.nodes, "fold", [], [helper.make_empty_tensor_value_info(o) for o in outputs],
                              [*{t.name: t for t in feeds}.values(), *scratch.initializers.values()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    try:
        values = ReferenceEvaluator(model).run(None, {})
    except Exception as err:  # the reference evaluator raises plain exceptions of many kinds
        raise ConversionError(f"op {node.op} (node '{node.name}'): constant folding failed: {err}") from err
    return {name: np.asarray(value) for name, value in zip(outputs, values, strict=True)}


def try_fold(ctx: Context, node: TfjsNode, keep: set[str]) -> bool:
    """Fold ``node`` into constants when its value is known now; ``keep`` names graph outputs,
    which stay computed by nodes. Returns whether the node was folded."""
    if node.name in keep or any(o.startswith(f"{node.name}:") for o in keep):
        return False
    inputs = [ctx.tensor(i) for i in _data_inputs(node)]
    if node.op in ("Shape", "Size") and inputs:
        value = _fold_shape_query(ctx, node)
        if value is None:
            return False
        values = {ctx.tensor(node.name): value}
    elif inputs and all(i in ctx.consts for i in inputs):
        folded = _evaluate(ctx, node)
        if not folded or any(v.size > MAX_FOLDED_ELEMENTS for v in folded.values()):
            return False
        values = folded
    else:
        return False
    for name, value in values.items():
        ctx.consts[name] = value
        ctx.shapes[name] = list(value.shape)
    return True
