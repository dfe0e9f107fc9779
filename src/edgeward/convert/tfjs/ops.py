"""The op table: one function per TF op, emitting ONNX nodes. Add an op by adding an entry."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from edgeward.convert.tfjs.context import NCHW_TO_NHWC, NHWC_TO_NCHW, Context, broadcast_shapes
from edgeward.convert.tfjs.reader import TfjsNode
from edgeward.errors import ConversionError

OpConverter = Callable[[Context, TfjsNode], None]
OPS: dict[str, OpConverter] = {}
ARITY: dict[str, int] = {}
"""The data inputs each op needs at least (the converter checks every node before converting any)."""
MAX_OUTPUTS = 4096
"""Outputs of one node (Split, Unpack): a 'num' of 10^8 would emit 10^8 ONNX tensors."""


def register(*names: str, inputs: int = 1) -> Callable[[OpConverter], OpConverter]:
    def deco(fn: OpConverter) -> OpConverter:
        for n in names:
            OPS[n] = fn
            ARITY[n] = inputs
        return fn

    return deco


def _unsupported(node: TfjsNode, what: str) -> ConversionError:
    return ConversionError(f"op {node.op} (node '{node.name}'): {what} is not supported")


def window(node: TfjsNode, attr: str) -> list[int]:
    """A 4-D NHWC window attribute (strides, dilations, ksize) of positive integers; [1, 1, 1, 1] if absent."""
    values = node.attr_ints(attr) or [1, 1, 1, 1]
    if len(values) != 4 or min(values) < 1:
        raise ConversionError(f"op {node.op} (node '{node.name}'): attribute '{attr}' is {values}, "
                              "not 4 positive integers (NHWC)")
    return values


def nhwc(ctx: Context, node: TfjsNode, x: str) -> list[int] | None:
    """The static shape of ``x`` when known, checked to be 4-D (these ops read images, NHWC)."""
    shape = ctx.shapes.get(x)
    if shape is not None and len(shape) != 4:
        raise ConversionError(f"op {node.op} (node '{node.name}'): input '{x}' has shape {shape}, not 4-D (NHWC)")
    return shape


def check_axis(node: TfjsNode, axis: int, shape: list[int] | None, extra: int = 0) -> int:
    """``axis``, checked against the input's rank when it is known (``extra`` = 1 where the op adds an axis)."""
    if shape is not None and not -(len(shape) + extra) <= axis < len(shape) + extra:
        raise ConversionError(f"op {node.op} (node '{node.name}'): axis {axis} is out of range for an input of "
                              f"rank {len(shape)}")
    return axis


def output_count(node: TfjsNode, attr: str) -> int:
    """The node's ``attr`` (Split's num_split, Unpack's num): how many outputs it makes, 1 to MAX_OUTPUTS."""
    num = node.attr_int(attr, 0)
    if not 1 <= num <= MAX_OUTPUTS:
        raise ConversionError(f"op {node.op} (node '{node.name}'): attribute '{attr}' is {num}; "
                              f"1 to {MAX_OUTPUTS} outputs are supported")
    return num


# --- padding -------------------------------------------------------------------------------


def same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TF's SAME rule: output = ceil(size / stride); an odd extra pixel goes at the END."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _conv_out(size: int, kernel: int, stride: int, dilation: int, pad: tuple[int, int]) -> int:
    return (size + pad[0] + pad[1] - ((kernel - 1) * dilation + 1)) // stride + 1


def _spatial_attrs(ctx: Context, node: TfjsNode, x: str, kh: int, kw: int) -> tuple[dict, list[int] | None]:
    if node.attr_str("data_format", "NHWC") != "NHWC":
        raise _unsupported(node, f"data_format {node.attr_str('data_format')}")
    strides, dil = window(node, "strides"), window(node, "dilations")
    sh, sw, dh, dw = strides[1], strides[2], dil[1], dil[2]
    padding = node.attr_str("padding", "VALID")
    shape = nhwc(ctx, node, x)
    attrs: dict = {"strides": [sh, sw], "dilations": [dh, dw], "kernel_shape": [kh, kw]}
    if padding == "SAME":
        if shape is None or shape[1] < 0 or shape[2] < 0:
            attrs["auto_pad"] = "SAME_UPPER"  # ONNX's SAME_UPPER is TF's rule; used when H/W are dynamic
            return attrs, None
        ph, pw = same_pads(shape[1], kh, sh, dh), same_pads(shape[2], kw, sw, dw)
    elif padding == "VALID":
        ph, pw = (0, 0), (0, 0)
    elif padding == "EXPLICIT":
        ep = node.attr_ints("explicit_paddings")
        ph, pw = (ep[2], ep[3]), (ep[4], ep[5])
    else:
        raise _unsupported(node, f"padding '{padding}'")
    attrs["pads"] = [ph[0], pw[0], ph[1], pw[1]]
    out_shape = None
    if shape is not None and shape[1] >= 0 and shape[2] >= 0:
        out_shape = [shape[0], _conv_out(shape[1], kh, sh, dh, ph), _conv_out(shape[2], kw, sw, dw, pw), -1]
    return attrs, out_shape


# --- activations (on NCHW or NHWC alike: elementwise) ------------------------------------------


def _activation(ctx: Context, kind: str, x: str, node: TfjsNode) -> str:
    out = ctx.fresh(f"{node.name}/{kind}")
    if kind == "Relu":
        ctx.emit("Relu", [x], [out], name=out)
    elif kind == "Relu6":
        lo = ctx.add_initializer(ctx.fresh("zero"), np.array(0.0, np.float32))
        hi = ctx.add_initializer(ctx.fresh("six"), np.array(6.0, np.float32))
        ctx.emit("Clip", [x, lo, hi], [out], name=out)
    elif kind == "Elu":
        ctx.emit("Elu", [x], [out], name=out)
    elif kind == "Sigmoid":
        ctx.emit("Sigmoid", [x], [out], name=out)
    elif kind == "Tanh":
        ctx.emit("Tanh", [x], [out], name=out)
    elif kind == "LeakyRelu":
        ctx.emit("LeakyRelu", [x], [out], name=out, alpha=node.attr_float("leakyrelu_alpha", 0.2))
    else:
        raise _unsupported(node, f"fused activation '{kind}'")
    ctx.shapes[out] = ctx.shapes.get(x)
    return out


def _fused_tail(node: TfjsNode) -> tuple[bool, str | None]:
    fused = node.attr_strs("fused_ops")
    if not fused:
        return False, None
    if fused[0] != "BiasAdd":
        raise _unsupported(node, f"fused op sequence {fused}")
    if len(fused) > 2:
        raise _unsupported(node, f"fused op sequence {fused}")
    return True, (fused[1] if len(fused) == 2 else None)


def _conv(ctx: Context, node: TfjsNode, depthwise: bool) -> None:
    x = ctx.tensor(node.inputs[0])
    nhwc(ctx, node, x)
    w = ctx.const_value(node, 1).astype(np.float32)
    if w.ndim != 4:
        raise ConversionError(f"op {node.op} (node '{node.name}'): filter must be 4-D, got {w.shape}")
    kh, kw, cin, m = w.shape
    if depthwise:
        onnx_w = w.transpose(2, 3, 0, 1).reshape(cin * m, 1, kh, kw)  # channel c*m+j, as TF orders it
        group, cout = cin, cin * m
    else:
        onnx_w = w.transpose(3, 2, 0, 1)
        shape = ctx.shapes.get(x)
        group = 1 if shape is None or shape[3] in (-1, cin) else shape[3] // cin
        cout = m
    has_bias, act = _fused_tail(node)
    inputs = [ctx.transpose(x, NHWC_TO_NCHW, node.name),
              ctx.add_initializer(f"{node.name}/filter", onnx_w)]
    if has_bias:
        inputs.append(ctx.add_initializer(f"{node.name}/bias", ctx.const_value(node, 2).astype(np.float32)))
    attrs, out_shape = _spatial_attrs(ctx, node, x, kh, kw)
    y = ctx.fresh(f"{node.name}/conv")
    ctx.emit("Conv", inputs, [y], name=y, group=group, **attrs)
    if act:
        y = _activation(ctx, act, y, node)
    out = ctx.tensor(node.name)
    ctx.emit("Transpose", [y], [out], name=f"{node.name}/to_nhwc", perm=NCHW_TO_NHWC)
    ctx.shapes[out] = [*out_shape[:3], cout] if out_shape else None


@register("Conv2D", "_FusedConv2D", inputs=2)
def conv2d(ctx: Context, node: TfjsNode) -> None:
    _conv(ctx, node, depthwise=False)


@register("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative", inputs=2)
def depthwise_conv2d(ctx: Context, node: TfjsNode) -> None:
    _conv(ctx, node, depthwise=True)


# --- simple elementwise ops (layout-free) -------------------------------------------------------


@register("Relu", "Relu6", "Elu", "Sigmoid", "Tanh", "LeakyRelu")
def unary_activation(ctx: Context, node: TfjsNode) -> None:
    y = _activation(ctx, node.op, ctx.tensor(node.inputs[0]), node)
    ctx.emit("Identity", [y], [ctx.tensor(node.name)], name=node.name)
    ctx.shapes[ctx.tensor(node.name)] = ctx.shapes.get(y)


@register("Identity")
def identity(ctx: Context, node: TfjsNode) -> None:
    x = ctx.tensor(node.inputs[0])
    ctx.emit("Identity", [x], [ctx.tensor(node.name)], name=node.name)
    ctx.shapes[ctx.tensor(node.name)] = ctx.shapes.get(x)


_BINARY = {"Add": "Add", "AddV2": "Add", "BiasAdd": "Add", "Sub": "Sub", "Mul": "Mul", "RealDiv": "Div"}


@register(*_BINARY, inputs=2)
def binary(ctx: Context, node: TfjsNode) -> None:
    if node.op == "BiasAdd" and node.attr_str("data_format", "NHWC") != "NHWC":
        raise _unsupported(node, f"data_format {node.attr_str('data_format')}")
    a, b = ctx.tensor(node.inputs[0]), ctx.tensor(node.inputs[1])
    ctx.emit(_BINARY[node.op], [a, b], [ctx.tensor(node.name)], name=node.name)
    ctx.shapes[ctx.tensor(node.name)] = broadcast_shapes(ctx.shapes.get(a), ctx.shapes.get(b))
