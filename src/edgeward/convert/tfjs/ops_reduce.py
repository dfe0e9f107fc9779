"""Op table, part three: reductions, pooling, top-k and gathers (CenterNet & co)."""

from __future__ import annotations

from onnx import TensorProto

from edgeward.convert.tfjs.context import NCHW_TO_NHWC, NHWC_TO_NCHW, Context, broadcast_shapes
from edgeward.convert.tfjs.ops import _unsupported, check_axis, nhwc, register, same_pads, window
from edgeward.convert.tfjs.ops_tensor import _const_ints, _in, _int64, _out, _set_shape
from edgeward.convert.tfjs.reader import TfjsNode


def _reduced(shape: list[int] | None, axes: list[int], keep: bool) -> list[int] | None:
    if shape is None:
        return None
    norm = {a % len(shape) for a in axes}
    return [1 if i in norm else d for i, d in enumerate(shape) if keep or i not in norm]


_REDUCE = {"Mean": "ReduceMean", "Sum": "ReduceSum", "Max": "ReduceMax", "Min": "ReduceMin", "Prod": "ReduceProd"}


@register(*_REDUCE, inputs=2)
def reduce(ctx: Context, node: TfjsNode) -> None:
    x, y = _in(ctx, node, 0), _out(ctx, node)
    axes = [check_axis(node, a, ctx.shapes.get(x)) for a in _const_ints(ctx, node, 1)]
    keep = node.attr_bool("keep_dims")
    if not axes:  # reducing over no axis changes nothing (and ONNX's axes attribute cannot be empty)
        ctx.emit("Identity", [x], [y], name=node.name)
    elif node.op == "Sum":  # ReduceSum takes axes as an input from opset 13
        ctx.emit("ReduceSum", [x, _int64(ctx, node, axes, "axes")], [y], name=node.name, keepdims=int(keep))
    else:
        ctx.emit(_REDUCE[node.op], [x], [y], name=node.name, axes=axes, keepdims=int(keep))
    _set_shape(ctx, y, _reduced(ctx.shapes.get(x), axes, keep))


@register("MaxPool", "AvgPool")
def pool(ctx: Context, node: TfjsNode) -> None:
    x = _in(ctx, node, 0)
    if node.attr_str("data_format", "NHWC") != "NHWC":
        raise _unsupported(node, f"data_format {node.attr_str('data_format')}")
    k, s = window(node, "ksize"), window(node, "strides")
    shape = nhwc(ctx, node, x)
    attrs: dict = {"kernel_shape": [k[1], k[2]], "strides": [s[1], s[2]]}
    padding = node.attr_str("padding", "VALID")
    if padding == "SAME":
        if shape is None or shape[1] < 0 or shape[2] < 0:
            raise _unsupported(node, "SAME pooling over a tensor of unknown height or width")
        ph, pw = same_pads(shape[1], k[1], s[1], 1), same_pads(shape[2], k[2], s[2], 1)
        attrs["pads"] = [ph[0], pw[0], ph[1], pw[1]]
    elif padding == "VALID":
        ph = pw = (0, 0)
    else:
        raise _unsupported(node, f"padding '{padding}'")
    if node.op == "AvgPool":
        attrs["count_include_pad"] = 0  # TF averages over the valid pixels only
    nchw = ctx.transpose(x, NHWC_TO_NCHW, node.name)
    y = ctx.fresh(f"{node.name}/pool")
    ctx.emit("MaxPool" if node.op == "MaxPool" else "AveragePool", [nchw], [y], name=y, **attrs)
    ctx.emit("Transpose", [y], [_out(ctx, node)], name=f"{node.name}/to_nhwc", perm=NCHW_TO_NHWC)
    if shape is not None and shape[1] >= 0 and shape[2] >= 0:
        oh = (shape[1] + ph[0] + ph[1] - k[1]) // s[1] + 1
        ow = (shape[2] + pw[0] + pw[1] - k[2]) // s[2] + 1
        _set_shape(ctx, _out(ctx, node), [shape[0], oh, ow, shape[3]])


@register("TopKV2", inputs=2)
def top_k(ctx: Context, node: TfjsNode) -> None:
    """Values and int32 indices of the k largest along the last axis; ties keep index order, as TF."""
    x = _in(ctx, node, 0)
    k = _const_ints(ctx, node, 1, 1)[0]
    values, idx64 = _out(ctx, node, 0), ctx.fresh(f"{node.name}/indices64")
    ctx.emit("TopK", [x, _int64(ctx, node, [k], "k")], [values, idx64], name=node.name, axis=-1,
             largest=1, sorted=1)
    ctx.emit("Cast", [idx64], [_out(ctx, node, 1)], name=f"{node.name}/indices", to=TensorProto.INT32)
    shape = ctx.shapes.get(x)
    out_shape = [*shape[:-1], k] if shape is not None else None
    _set_shape(ctx, values, out_shape)
    _set_shape(ctx, _out(ctx, node, 1), out_shape)


@register("FloorMod", inputs=2)
def floor_mod(ctx: Context, node: TfjsNode) -> None:
    a, b = _in(ctx, node, 0), _in(ctx, node, 1)
    floats = node.attr_dtype("T").startswith("float")
    # ONNX Mod with fmod=0 takes the divisor's sign, which is TF's floor-mod; floats need fmod=1 + fix.
    if floats:
        raise _unsupported(node, "FloorMod on floats")
    ctx.emit("Mod", [a, b], [_out(ctx, node)], name=node.name, fmod=0)
    _set_shape(ctx, _out(ctx, node), broadcast_shapes(ctx.shapes.get(a), ctx.shapes.get(b)))


@register("GatherV2", inputs=3)
def gather(ctx: Context, node: TfjsNode) -> None:
    params, indices = _in(ctx, node, 0), _in(ctx, node, 1)
    axis = check_axis(node, _const_ints(ctx, node, 2, 1)[0], ctx.shapes.get(params))
    if node.attr_int("batch_dims", 0) != 0:
        raise _unsupported(node, "batch_dims other than 0")
    ctx.emit("Gather", [params, indices], [_out(ctx, node)], name=node.name, axis=axis)
    ps, ix = ctx.shapes.get(params), ctx.shapes.get(indices)
    if ps is not None and ix is not None:
        a = axis % len(ps)
        _set_shape(ctx, _out(ctx, node), [*ps[:a], *ix, *ps[a + 1 :]])
