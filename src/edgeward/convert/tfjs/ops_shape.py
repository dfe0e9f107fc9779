"""Op table, part four: slicing and shape ops (StridedSlice, Tile, Split, Range, Fill, Shape, Size).

Graphs exported for dynamic input sizes use these mostly on shapes; with a fixed input shape the
converter folds those uses to constants (see ``folding``), and what is emitted here runs on data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from onnx import TensorProto

from edgeward.convert.tfjs.context import Context
from edgeward.convert.tfjs.ops import _unsupported, check_axis, output_count, register
from edgeward.convert.tfjs.ops_tensor import _ONNX_TYPE, _const_ints, _in, _int64, _out, _set_shape
from edgeward.convert.tfjs.reader import TfjsNode
from edgeward.errors import ConversionError

_BIG = np.iinfo(np.int64).max  # "to the end" for ONNX Slice, which clamps like Python


def _bits(mask: int, n: int) -> list[bool]:
    return [bool(mask >> i & 1) for i in range(n)]


@dataclass
class _SlicePlan:
    """A StridedSlice as Slice on input axes → Squeeze (shrunk axes) → Unsqueeze (new axes)."""

    axes: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    shrink: list[int] = field(default_factory=list)  # input axes, removed after slicing
    new_axes: list[int] = field(default_factory=list)  # positions in the output
    kept: dict[int, slice] = field(default_factory=dict)  # input axis → its Python slice (for shapes)

    def add_slice(self, axis: int, start: int, end: int, step: int) -> None:
        self.axes.append(axis)
        self.starts.append(start)
        self.ends.append(end)
        self.steps.append(step)

    def out_shape(self, shape: list[int]) -> list[int]:
        """Static output shape; -1 stays unknown."""
        dims = [(len(range(*self.kept[a].indices(d))) if d >= 0 else -1) if a in self.kept else d
                for a, d in enumerate(shape)]
        out = [d for a, d in enumerate(dims) if a not in self.shrink]
        for pos in sorted(self.new_axes):  # positions count in the final output, so insert in order
            out.insert(pos, 1)
        return out


def _plan_strided_slice(node: TfjsNode, rank: int | None, begin: list[int], end: list[int],
                        strides: list[int]) -> _SlicePlan:
    """Walk TF's sparse slice spec: a new axis consumes no input dimension, an ellipsis spans the
    input dimensions no other entry names, and dimensions after the spec are kept whole."""
    n = len(begin)
    bm, em, sm, nm, ell = (_bits(node.attr_int(m), n) for m in
                           ("begin_mask", "end_mask", "shrink_axis_mask", "new_axis_mask", "ellipsis_mask"))
    if sum(ell) > 1:
        raise _unsupported(node, "StridedSlice with more than one ellipsis")
    plan, axis, out_pos = _SlicePlan(), 0, 0
    for i in range(n):
        if ell[i]:
            if rank is None:
                raise _unsupported(node, "StridedSlice with an ellipsis on a tensor of unknown rank")
            span = rank - sum(1 for j in range(n) if not nm[j] and not ell[j])
            axis, out_pos = axis + span, out_pos + span
        elif nm[i]:  # TF ignores begin/end/stride (and the shrink bit) for a new axis
            plan.new_axes.append(out_pos)
            out_pos += 1
        elif sm[i]:
            plan.add_slice(axis, begin[i], begin[i] + 1 if begin[i] != -1 else _BIG, 1)
            plan.shrink.append(axis)
            axis += 1
        else:
            if strides[i] == 0:
                raise _unsupported(node, "StridedSlice with a zero stride")
            start = (0 if strides[i] > 0 else _BIG) if bm[i] else begin[i]
            stop = (_BIG if strides[i] > 0 else -_BIG) if em[i] else end[i]
            plan.add_slice(axis, start, stop, strides[i])
            plan.kept[axis] = slice(None if bm[i] else begin[i], None if em[i] else end[i], strides[i])
            axis, out_pos = axis + 1, out_pos + 1
    return plan


@register("StridedSlice", inputs=4)
def strided_slice(ctx: Context, node: TfjsNode) -> None:
    """Constant begin/end/strides with any of the five masks → Slice (+ Squeeze, + Unsqueeze)."""
    x, y = _in(ctx, node, 0), _out(ctx, node)
    begin, end, strides = (_const_ints(ctx, node, i) for i in (1, 2, 3))
    if not len(begin) == len(end) == len(strides):
        raise ConversionError(f"op {node.op} (node '{node.name}'): begin, end and strides hold {len(begin)}, "
                              f"{len(end)} and {len(strides)} values; one each per sliced axis")
    shape = ctx.shapes.get(x)
    plan = _plan_strided_slice(node, len(shape) if shape is not None else None, begin, end, strides)
    if shape is not None and any(a >= len(shape) for a in (*plan.axes, *plan.shrink)):
        raise ConversionError(f"op {node.op} (node '{node.name}'): slices more axes than its input's {len(shape)}")
    stages = [s for s, wanted in (("slice", bool(plan.axes)), ("squeeze", bool(plan.shrink)),
                                  ("unsqueeze", bool(plan.new_axes))) if wanted] or ["identity"]
    current = x
    for stage in stages:
        out = y if stage == stages[-1] else ctx.fresh(f"{node.name}/{stage}")
        name = node.name if out == y else out
        if stage == "slice":
            ctx.emit("Slice", [current, _int64(ctx, node, plan.starts, "starts"), _int64(ctx, node, plan.ends, "ends"),
                               _int64(ctx, node, plan.axes, "axes"), _int64(ctx, node, plan.steps, "steps")],
                     [out], name=name)
        elif stage == "squeeze":
            ctx.emit("Squeeze", [current, _int64(ctx, node, plan.shrink, "shrink")], [out], name=name)
        elif stage == "unsqueeze":
            ctx.emit("Unsqueeze", [current, _int64(ctx, node, plan.new_axes, "new_axes")], [out], name=name)
        else:
            ctx.emit("Identity", [current], [out], name=name)
        current = out
    if shape is not None:
        _set_shape(ctx, y, plan.out_shape(shape))


@register("Tile", inputs=2)
def tile(ctx: Context, node: TfjsNode) -> None:
    x, y = _in(ctx, node, 0), _out(ctx, node)
    reps = ctx.consts.get(_in(ctx, node, 1))
    if reps is not None:
        ctx.emit("Tile", [x, _int64(ctx, node, reps, "repeats")], [y], name=node.name)
    else:  # multiples computed at run time: ONNX wants them as int64
        r64 = ctx.fresh(f"{node.name}/repeats64")
        ctx.emit("Cast", [_in(ctx, node, 1)], [r64], name=r64, to=TensorProto.INT64)
        ctx.emit("Tile", [x, r64], [y], name=node.name)
    src = ctx.shapes.get(x)
    if src is not None:
        times = [int(r) for r in reps.reshape(-1)] if reps is not None else [-1] * len(src)
        if len(times) != len(src):
            raise ConversionError(f"op {node.op} (node '{node.name}'): {len(times)} multiples for an input of "
                                  f"rank {len(src)}")
        _set_shape(ctx, y, [-1 if d < 0 or t < 0 else d * t for d, t in zip(src, times, strict=True)])


@register("Split", inputs=2)
def split(ctx: Context, node: TfjsNode) -> None:
    """TF's Split(split_dim, value) into ``num_split`` equal parts; ONNX splits evenly by output count."""
    x = _in(ctx, node, 1)
    axis = check_axis(node, _const_ints(ctx, node, 0, 1)[0], ctx.shapes.get(x))
    num = output_count(node, "num_split")
    outs = [_out(ctx, node, i) for i in range(num)]
    ctx.emit("Split", [x], outs, name=node.name, axis=axis)
    src = ctx.shapes.get(x)
    if src is not None:
        a = axis % len(src)
        part = [d if j != a else (src[a] // num if src[a] >= 0 else -1) for j, d in enumerate(src)]
        for o in outs:
            _set_shape(ctx, o, part)


@register("Range", inputs=3)
def range_(ctx: Context, node: TfjsNode) -> None:
    start, limit, delta = (_in(ctx, node, i) for i in range(3))
    ctx.emit("Range", [start, limit, delta], [_out(ctx, node)], name=node.name)
    _set_shape(ctx, _out(ctx, node), [-1])


@register("Fill", inputs=2)
def fill(ctx: Context, node: TfjsNode) -> None:
    """Fill(dims, value): the scalar broadcast to ``dims`` (ONNX Expand)."""
    dims, value, y = _in(ctx, node, 0), _in(ctx, node, 1), _out(ctx, node)
    known = ctx.consts.get(dims)
    if known is not None:
        ctx.emit("Expand", [value, _int64(ctx, node, known, "dims")], [y], name=node.name)
        _set_shape(ctx, y, [int(d) for d in known.reshape(-1)])
        return
    d64 = ctx.fresh(f"{node.name}/dims64")
    ctx.emit("Cast", [dims], [d64], name=d64, to=TensorProto.INT64)
    ctx.emit("Expand", [value, d64], [y], name=node.name)
    rank = ctx.shapes.get(dims)
    _set_shape(ctx, y, [-1] * rank[0] if rank and rank[0] >= 0 else None)


@register("Shape")
def shape_of(ctx: Context, node: TfjsNode) -> None:
    x = _in(ctx, node, 0)
    raw = ctx.fresh(f"{node.name}/shape64")
    ctx.emit("Shape", [x], [raw], name=raw)
    ctx.emit("Cast", [raw], [_out(ctx, node)], name=node.name, to=_ONNX_TYPE[node.attr_dtype("out_type", "int32")])
    shape = ctx.shapes.get(x)
    _set_shape(ctx, _out(ctx, node), [len(shape)] if shape is not None else None)


@register("Size")
def size(ctx: Context, node: TfjsNode) -> None:
    raw = ctx.fresh(f"{node.name}/size64")
    ctx.emit("Size", [_in(ctx, node, 0)], [raw], name=raw)
    ctx.emit("Cast", [raw], [_out(ctx, node)], name=node.name, to=_ONNX_TYPE[node.attr_dtype("out_type", "int32")])
    _set_shape(ctx, _out(ctx, node), [])
