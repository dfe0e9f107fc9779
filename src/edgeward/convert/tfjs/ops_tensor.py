"""Op table, part two: elementwise maths, shapes, indexing and resizing (MoveNet and friends).

Tensors keep TF's meaning (NHWC); only Resize wraps itself in Transposes to NCHW, which the
converter's transpose-cancelling pass removes next to convolutions.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from edgeward.convert.tfjs.context import NCHW_TO_NHWC, NHWC_TO_NCHW, Context, broadcast_shapes
from edgeward.convert.tfjs.ops import _unsupported, check_axis, nhwc, output_count, register
from edgeward.convert.tfjs.reader import TfjsNode
from edgeward.errors import ConversionError

_ONNX_TYPE = {"float32": TensorProto.FLOAT, "int32": TensorProto.INT32, "int64": TensorProto.INT64,
              "bool": TensorProto.BOOL, "float16": TensorProto.FLOAT16, "uint8": TensorProto.UINT8}


def _out(ctx: Context, node: TfjsNode, index: int = 0) -> str:
    return ctx.tensor(node.name if index == 0 else f"{node.name}:{index}")


def _in(ctx: Context, node: TfjsNode, index: int) -> str:
    return ctx.tensor(node.inputs[index])


def _int64(ctx: Context, node: TfjsNode, values: list[int] | np.ndarray, tag: str) -> str:
    return ctx.add_initializer(ctx.fresh(f"{node.name}/{tag}"), np.asarray(values, dtype=np.int64).reshape(-1))


def _const_ints(ctx: Context, node: TfjsNode, index: int, count: int | None = None) -> list[int]:
    """Input ``index``'s constant integers (exactly ``count`` of them, when given: 1 for an axis)."""
    values = [int(v) for v in np.asarray(ctx.const_value(node, index)).reshape(-1)]
    if count is not None and len(values) != count:
        raise ConversionError(f"op {node.op} (node '{node.name}'): input {index} ('{node.inputs[index]}') holds "
                              f"{len(values)} value(s), {count} expected")
    return values


def _set_shape(ctx: Context, name: str, shape: list[int] | None) -> None:
    ctx.shapes[name] = shape


# --- elementwise -------------------------------------------------------------------------------

_UNARY = {"Sqrt": "Sqrt", "Exp": "Exp", "Abs": "Abs", "Reciprocal": "Reciprocal", "Neg": "Neg",
          "Floor": "Floor", "Ceil": "Ceil", "Round": "Round", "Log": "Log", "Rsqrt": None, "Square": None}


@register(*_UNARY)
def unary(ctx: Context, node: TfjsNode) -> None:
    x, y = _in(ctx, node, 0), _out(ctx, node)
    if node.op == "Rsqrt":
        s = ctx.fresh(f"{node.name}/sqrt")
        ctx.emit("Sqrt", [x], [s], name=s)
        ctx.emit("Reciprocal", [s], [y], name=node.name)
    elif node.op == "Square":
        ctx.emit("Mul", [x, x], [y], name=node.name)
    else:
        ctx.emit(str(_UNARY[node.op]), [x], [y], name=node.name)
    _set_shape(ctx, y, ctx.shapes.get(x))


_BINARY2 = {"Maximum": "Max", "Minimum": "Min", "Less": "Less", "Greater": "Greater", "Equal": "Equal",
            "LessEqual": "LessOrEqual", "GreaterEqual": "GreaterOrEqual", "LogicalAnd": "And",
            "LogicalOr": "Or", "Pow": "Pow"}


@register(*_BINARY2, inputs=2)
def binary2(ctx: Context, node: TfjsNode) -> None:
    a, b = _in(ctx, node, 0), _in(ctx, node, 1)
    ctx.emit(_BINARY2[node.op], [a, b], [_out(ctx, node)], name=node.name)
    _set_shape(ctx, _out(ctx, node), broadcast_shapes(ctx.shapes.get(a), ctx.shapes.get(b)))


@register("SquaredDifference", inputs=2)
def squared_difference(ctx: Context, node: TfjsNode) -> None:
    a, b = _in(ctx, node, 0), _in(ctx, node, 1)
    d = ctx.fresh(f"{node.name}/diff")
    ctx.emit("Sub", [a, b], [d], name=d)
    ctx.emit("Mul", [d, d], [_out(ctx, node)], name=node.name)
    _set_shape(ctx, _out(ctx, node), broadcast_shapes(ctx.shapes.get(a), ctx.shapes.get(b)))


def _equal(ctx: Context, node: TfjsNode, a: str, b: str) -> str:
    out = ctx.fresh(f"{node.name}/eq")
    ctx.emit("Equal", [a, b], [out], name=out)
    return out


@register("FloorDiv", inputs=2)
def floor_div(ctx: Context, node: TfjsNode) -> None:
    """TF rounds towards −∞; ONNX Div on integers truncates towards zero, so correct it."""
    a, b, y = _in(ctx, node, 0), _in(ctx, node, 1), _out(ctx, node)
    dtype = node.attr_dtype("T")
    if dtype.startswith("float"):
        q = ctx.fresh(f"{node.name}/div")
        ctx.emit("Div", [a, b], [q], name=q)
        ctx.emit("Floor", [q], [y], name=node.name)
    else:
        q, prod, rem, zero = (ctx.fresh(f"{node.name}/{t}") for t in ("q", "prod", "rem", "zero"))
        ctx.emit("Div", [a, b], [q], name=q)
        ctx.emit("Mul", [q, b], [prod], name=prod)
        ctx.emit("Sub", [a, prod], [rem], name=rem)
        zero = ctx.add_initializer(zero, np.array(0, dtype=np.int32 if dtype == "int32" else np.int64))
        names = [ctx.fresh(f"{node.name}/{t}") for t in ("rem_neg", "b_neg", "signs_differ", "rem_nz",
                                                          "fix", "fix_int")]
        ctx.emit("Less", [rem, zero], [names[0]], name=names[0])
        ctx.emit("Less", [b, zero], [names[1]], name=names[1])
        ctx.emit("Xor", [names[0], names[1]], [names[2]], name=names[2])
        ctx.emit("Not", [_equal(ctx, node, rem, zero)], [names[3]], name=names[3])
        ctx.emit("And", [names[2], names[3]], [names[4]], name=names[4])
        ctx.emit("Cast", [names[4]], [names[5]], name=names[5], to=_ONNX_TYPE[dtype])
        ctx.emit("Sub", [q, names[5]], [y], name=node.name)
    _set_shape(ctx, y, broadcast_shapes(ctx.shapes.get(a), ctx.shapes.get(b)))


@register("AddN")
def add_n(ctx: Context, node: TfjsNode) -> None:
    ins = [ctx.tensor(i) for i in node.inputs if not i.startswith("^")]
    ctx.emit("Sum", ins, [_out(ctx, node)], name=node.name)
    _set_shape(ctx, _out(ctx, node), ctx.shapes.get(ins[0]))


@register("Select", "SelectV2", inputs=3)
def select(ctx: Context, node: TfjsNode) -> None:
    c, a, b = (_in(ctx, node, i) for i in range(3))
    ctx.emit("Where", [c, a, b], [_out(ctx, node)], name=node.name)
    _set_shape(ctx, _out(ctx, node), broadcast_shapes(ctx.shapes.get(a), ctx.shapes.get(b)))


@register("Cast")
def cast(ctx: Context, node: TfjsNode) -> None:
    dst = node.attr_dtype("DstT")
    if dst not in _ONNX_TYPE:
        raise _unsupported(node, f"cast to {dst}")
    x = _in(ctx, node, 0)
    ctx.emit("Cast", [x], [_out(ctx, node)], name=node.name, to=_ONNX_TYPE[dst])
    _set_shape(ctx, _out(ctx, node), ctx.shapes.get(x))


# --- shapes ------------------------------------------------------------------------------------


@register("Reshape", inputs=2)
def reshape(ctx: Context, node: TfjsNode) -> None:
    x, y = _in(ctx, node, 0), _out(ctx, node)
    shape = _const_ints(ctx, node, 1)
    if 0 in shape:
        raise _unsupported(node, f"reshape to a shape with a zero dimension {shape}")
    ctx.emit("Reshape", [x, _int64(ctx, node, shape, "shape")], [y], name=node.name)
    src = ctx.shapes.get(x)
    if src is not None and -1 not in src and shape.count(-1) == 1:
        known = int(np.prod([d for d in shape if d != -1]))
        shape = [int(np.prod(src)) // known if d == -1 else d for d in shape]
    _set_shape(ctx, y, shape if -1 not in shape else None)


@register("ExpandDims", inputs=2)
def expand_dims(ctx: Context, node: TfjsNode) -> None:
    x, y = _in(ctx, node, 0), _out(ctx, node)
    axis = check_axis(node, _const_ints(ctx, node, 1, 1)[0], ctx.shapes.get(x), extra=1)
    ctx.emit("Unsqueeze", [x, _int64(ctx, node, [axis], "axes")], [y], name=node.name)
    src = ctx.shapes.get(x)
    if src is not None:
        pos = axis if axis >= 0 else len(src) + 1 + axis
        _set_shape(ctx, y, [*src[:pos], 1, *src[pos:]])


@register("Squeeze")
def squeeze(ctx: Context, node: TfjsNode) -> None:
    x, y = _in(ctx, node, 0), _out(ctx, node)
    src = ctx.shapes.get(x)
    axes = [check_axis(node, a, src) for a in node.attr_ints("squeeze_dims") or node.attr_ints("axis")]
    if not axes:
        if src is None or -1 in src:
            raise _unsupported(node, "Squeeze of all unit dimensions of a tensor of unknown shape")
        axes = [i for i, d in enumerate(src) if d == 1]
    ctx.emit("Squeeze", [x, _int64(ctx, node, axes, "axes")], [y], name=node.name)
    if src is not None:
        drop = {a % len(src) for a in axes}
        _set_shape(ctx, y, [d for i, d in enumerate(src) if i not in drop])


@register("Pack")
def pack(ctx: Context, node: TfjsNode) -> None:
    ins = [ctx.tensor(i) for i in node.inputs if not i.startswith("^")]
    axis = check_axis(node, node.attr_int("axis", 0), ctx.shapes.get(ins[0]), extra=1)
    axes = _int64(ctx, node, [axis], "axes")
    parts = []
    for i, x in enumerate(ins):
        p = ctx.fresh(f"{node.name}/unsqueeze{i}")
        ctx.emit("Unsqueeze", [x, axes], [p], name=p)
        parts.append(p)
    ctx.emit("Concat", parts, [_out(ctx, node)], name=node.name, axis=axis)
    src = ctx.shapes.get(ins[0])
    if src is not None:
        pos = axis if axis >= 0 else len(src) + 1 + axis
        _set_shape(ctx, _out(ctx, node), [*src[:pos], len(ins), *src[pos:]])


@register("Unpack")
def unpack(ctx: Context, node: TfjsNode) -> None:
    x = _in(ctx, node, 0)
    axis, num = check_axis(node, node.attr_int("axis", 0), ctx.shapes.get(x)), output_count(node, "num")
    parts = [ctx.fresh(f"{node.name}/part{i}") for i in range(num)]
    ctx.emit("Split", [x], parts, name=ctx.fresh(f"{node.name}/split"), axis=axis)
    axes = _int64(ctx, node, [axis], "axes")
    src = ctx.shapes.get(x)
    for i, p in enumerate(parts):
        y = _out(ctx, node, i)
        ctx.emit("Squeeze", [p, axes], [y], name=f"{node.name}/squeeze{i}")
        _set_shape(ctx, y, [d for j, d in enumerate(src) if j != axis % len(src)] if src else None)


@register("ConcatV2", inputs=2)
def concat(ctx: Context, node: TfjsNode) -> None:
    ins = [i for i in node.inputs if not i.startswith("^")]
    tensors = [ctx.tensor(i) for i in ins[:-1]]
    known = [s for s in (ctx.shapes.get(t) for t in tensors) if s is not None]
    if len({len(s) for s in known}) > 1:
        raise ConversionError(f"op {node.op} (node '{node.name}'): joins tensors of different ranks {known}")
    axis = check_axis(node, _const_ints(ctx, node, len(ins) - 1, 1)[0], known[0] if known else None)
    ctx.emit("Concat", tensors, [_out(ctx, node)], name=node.name, axis=axis)
    shapes = [ctx.shapes.get(t) for t in tensors]
    if all(s is not None for s in shapes):
        first = list(shapes[0])  # type: ignore[arg-type]
        a = axis % len(first)
        total = [s[a] for s in shapes]  # type: ignore[index]
        first[a] = -1 if -1 in total else sum(total)
        _set_shape(ctx, _out(ctx, node), first)


# --- indexing and reductions -------------------------------------------------------------------


@register("ArgMax", inputs=2)
def arg_max(ctx: Context, node: TfjsNode) -> None:
    x = _in(ctx, node, 0)
    axis = check_axis(node, _const_ints(ctx, node, 1, 1)[0], ctx.shapes.get(x))
    raw = ctx.fresh(f"{node.name}/argmax")
    ctx.emit("ArgMax", [x], [raw], name=raw, axis=axis, keepdims=0, select_last_index=0)
    ctx.emit("Cast", [raw], [_out(ctx, node)], name=node.name,
             to=_ONNX_TYPE[node.attr_dtype("output_type", "int64")])
    src = ctx.shapes.get(x)
    _set_shape(ctx, _out(ctx, node), [d for i, d in enumerate(src) if i != axis % len(src)] if src else None)


@register("GatherNd", inputs=2)
def gather_nd(ctx: Context, node: TfjsNode) -> None:
    params, indices = _in(ctx, node, 0), _in(ctx, node, 1)
    idx64 = ctx.fresh(f"{node.name}/indices64")
    ctx.emit("Cast", [indices], [idx64], name=idx64, to=TensorProto.INT64)
    ctx.emit("GatherND", [params, idx64], [_out(ctx, node)], name=node.name, batch_dims=0)
    ps, ix = ctx.shapes.get(params), ctx.shapes.get(indices)
    if ix is not None and (not ix or (ps is not None and ix[-1] > len(ps))):
        raise ConversionError(f"op {node.op} (node '{node.name}'): indices of shape {ix} do not index params of "
                              f"shape {ps} (their last axis is a position in params' leading axes)")
    if ps is not None and ix is not None and ix[-1] >= 0:
        _set_shape(ctx, _out(ctx, node), [*ix[:-1], *ps[ix[-1]:]])


@register("ResizeBilinear", "ResizeNearestNeighbor", inputs=2)
def resize(ctx: Context, node: TfjsNode) -> None:
    x = _in(ctx, node, 0)
    h, w = _const_ints(ctx, node, 1, 2)
    if node.attr_bool("align_corners"):
        mode = "align_corners"
    elif node.attr_bool("half_pixel_centers"):
        # TF's nearest neighbour samples floor((x + 0.5) * scale): ONNX's tf_half_pixel_for_nn + floor.
        mode = "half_pixel" if node.op == "ResizeBilinear" else "tf_half_pixel_for_nn"
    else:
        mode = "asymmetric"
    src = nhwc(ctx, node, x)
    if src is None or src[0] < 0 or src[3] < 0:
        raise _unsupported(node, "resizing a tensor whose batch or channel size is unknown")
    nchw = ctx.transpose(x, NHWC_TO_NCHW, node.name)
    sizes = _int64(ctx, node, [src[0], src[3], h, w], "sizes")
    y = ctx.fresh(f"{node.name}/resize")
    attrs = {"mode": "linear" if node.op == "ResizeBilinear" else "nearest",
             "coordinate_transformation_mode": mode}
    if node.op == "ResizeNearestNeighbor":
        attrs["nearest_mode"] = "round_prefer_ceil" if node.attr_bool("align_corners") else "floor"
    ctx.emit("Resize", [nchw, "", "", sizes], [y], name=y, **attrs)
    ctx.emit("Transpose", [y], [_out(ctx, node)], name=f"{node.name}/to_nhwc", perm=NCHW_TO_NHWC)
    _set_shape(ctx, _out(ctx, node), [src[0], h, w, src[3]])
