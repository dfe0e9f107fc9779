"""An fp32 ONNX convolution net → a :class:`~.plan.KernelPlan` for Edgeward's WASM kernels.

What lowers: an NHWC image input transposed to NCHW; a first full 3×3 convolution (padding 1) with ReLU6;
then 3×3 depthwise and 1×1 convolutions with ReLU6 (Clip 0..6), alternating as in MobileNet v1; then 1×1
convolutions without activation on the last activation, each transposed back to NHWC as a model output
(PoseNet's heads). Anything else is named in a ConversionError. :func:`quantize` then makes the 1×1
convolutions int8: per output channel symmetric weights, and 7-bit inputs whose scale is the largest value
each input reaches on calibration images (at most 6: ReLU6).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from edgeward.errors import ConversionError
from edgeward.kernels.oracle import run_float
from edgeward.kernels.plan import Conv3x3, Depthwise, HeadSlice, KernelPlan, Layer, Pointwise

TO_NCHW = [0, 3, 1, 2]
TO_NHWC = [0, 2, 3, 1]


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _clip_bounds(node: onnx.NodeProto, init: dict[str, np.ndarray]) -> tuple[float, float]:
    a = _attrs(node)
    lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
    if len(node.input) > 1 and node.input[1]:
        lo = float(init[node.input[1]])
    if len(node.input) > 2 and node.input[2]:
        hi = float(init[node.input[2]])
    return float(lo), float(hi)


def lower_onnx(path: Path) -> KernelPlan:
    """The float plan of the ONNX model at ``path`` (pointwise weights still fp32)."""
    model = onnx.load(str(path))
    g = model.graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inputs = [i for i in g.input if i.name not in init]
    if len(inputs) != 1:
        raise ConversionError(f"{path}: the kernels take one image input; the model has {len(inputs)}")
    outputs = [o.name for o in g.output]
    needed, live = set(outputs), []
    for node in reversed(g.node):  # nodes whose results reach no output (a dangling Transpose) are left out
        if any(o in needed for o in node.output):
            live.append(node)
            needed.update(node.input)
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in reversed(live):
        for name in node.input:
            consumers.setdefault(name, []).append(node)

    def only(name: str, node: onnx.NodeProto) -> onnx.NodeProto | None:
        users = consumers.get(name, [])
        if len(users) > 1:
            raise ConversionError(f"{path}: node '{node.name}': its output feeds {len(users)} nodes; "
                                  "the kernels run a chain")
        return users[0] if users else None

    def unsupported(node: onnx.NodeProto, why: str) -> ConversionError:
        return ConversionError(f"{path}: node '{node.name}' (op {node.op_type}) has no Edgeward kernel: {why}")

    first = only(inputs[0].name, onnx.NodeProto(name=inputs[0].name))
    if first is None or first.op_type != "Transpose" or list(_attrs(first).get("perm", [])) != TO_NCHW:
        raise ConversionError(f"{path}: input '{inputs[0].name}' must be NHWC, transposed to NCHW by the first node")
    layers: list[Layer] = []
    current = first.output[0]
    heads: list[tuple[str, onnx.NodeProto]] = []
    while True:
        users = consumers.get(current, [])
        if users and all(u.op_type == "Conv" for u in users) and len(users) > 1:
            heads = [(current, u) for u in users]
            break
        if len(users) != 1:
            raise ConversionError(f"{path}: tensor '{current}' feeds {len(users)} nodes; the kernels run a chain")
        node = users[0]
        if node.op_type == "Transpose":
            raise unsupported(node, "a transpose inside the net")
        if node.op_type != "Conv":
            raise unsupported(node, "only Conv (with Clip 0..6) lowers")
        a = _attrs(node)
        w = init.get(node.input[1])
        if w is None:
            raise unsupported(node, "its weights are not a constant")
        b = init[node.input[2]] if len(node.input) > 2 else np.zeros(w.shape[0], np.float32)
        n, cin_g, kh, kw = w.shape
        group = int(a.get("group", 1))
        strides = list(a.get("strides", [1, 1]))
        pads = list(a.get("pads", [0, 0, 0, 0]))
        if list(a.get("dilations", [1, 1])) != [1, 1] or strides[0] != strides[1] or strides[0] not in (1, 2):
            raise unsupported(node, f"strides {strides}, dilations {a.get('dilations')}")
        act = only(node.output[0], node)
        if act is None or act.op_type != "Clip" or _clip_bounds(act, init) != (0.0, 6.0):
            if kh == kw == 1 and group == 1:  # a head: 1×1 without activation
                heads = [(current, node)]
                break
            raise unsupported(node, "no ReLU6 (Clip 0..6) after it")
        if (kh, kw) == (3, 3) and pads == [1, 1, 1, 1] and group == 1 and not layers:
            layers.append(Conv3x3(strides[0], np.ascontiguousarray(w.transpose(2, 3, 1, 0)).astype(np.float32),
                                  b.astype(np.float32)))
        elif (kh, kw) == (3, 3) and pads == [1, 1, 1, 1] and group == n and cin_g == 1:
            layers.append(Depthwise(strides[0], np.ascontiguousarray(w.reshape(n, 9).T).astype(np.float32),
                                    b.astype(np.float32)))
        elif (kh, kw) == (1, 1) and group == 1 and pads == [0, 0, 0, 0] and strides[0] == 1:
            layers.append(Pointwise(np.ascontiguousarray(w[:, :, 0, 0].T).astype(np.float32), b.astype(np.float32),
                                    "u7"))
        else:
            raise unsupported(node, f"kernel {kh}×{kw}, group {group}, pads {pads}")
        current = act.output[0]
    weights, biases, slices = [], [], []
    start = 0
    for _, node in heads:
        a = _attrs(node)
        w = init.get(node.input[1])
        if (w is None or w.shape[2:] != (1, 1) or int(a.get("group", 1)) != 1
                or list(a.get("strides", [1, 1])) != [1, 1]):
            raise unsupported(node, "an output convolution must be 1×1, stride 1, group 1")
        t = only(node.output[0], node)
        if (t is None or t.op_type != "Transpose" or list(_attrs(t).get("perm", [])) != TO_NHWC
                or t.output[0] not in outputs):
            raise unsupported(node, "an output convolution must be transposed to NHWC as a model output")
        weights.append(w[:, :, 0, 0].T)
        biases.append(init[node.input[2]] if len(node.input) > 2 else np.zeros(w.shape[0], np.float32))
        slices.append(HeadSlice(t.output[0], start, w.shape[0]))
        start += w.shape[0]
    if sorted(s.name for s in slices) != sorted(outputs):
        raise ConversionError(f"{path}: outputs {outputs} are not all 1×1 convolutions of the last activation")
    layers.append(Pointwise(np.concatenate(weights, axis=1).astype(np.float32),
                            np.concatenate(biases).astype(np.float32), "f32", outputs=slices))
    for prev, layer in pairwise(layers):  # each pointwise writes what its next layer reads
        if isinstance(prev, Pointwise):
            prev.mode = "f32-padded" if isinstance(layer, Depthwise) else "u7"
            if prev.weight.shape[1] % 8:
                raise ConversionError(f"{path}: a 1×1 convolution with {prev.weight.shape[1]} outputs feeds another "
                                      "layer; the kernels write those 8 channels at a time (a multiple of 8)")
    if not isinstance(layers[0], Conv3x3) or any(isinstance(a, Depthwise) and not isinstance(b, Pointwise)
                                                for a, b in pairwise(layers)):
        raise ConversionError(f"{path}: the kernels need a first 3×3 convolution and a 1×1 after each depthwise one")
    return KernelPlan(inputs[0].name, layers, outputs)


@dataclass
class InputStats:
    """Per pointwise layer, over the calibration images: the largest value of its input, and each input
    channel's mean."""
    maxima: list[float]
    means: list[np.ndarray]


def input_stats(plan: KernelPlan, images: Sequence[np.ndarray],
                progress: Callable[[float], None] | None = None) -> InputStats:
    """:class:`InputStats` of the float ``plan`` over ``images`` (fp32, NHWC)."""
    maxima: list[float] = []
    sums: list[np.ndarray] = []
    for n, image in enumerate(images):
        seen: list[tuple[float, np.ndarray]] = []
        run_float(plan, image, seen)
        if not maxima:
            maxima, sums = [m for m, _ in seen], [s.astype(np.float64) for _, s in seen]
        else:
            maxima = [max(a, m) for a, (m, _) in zip(maxima, seen, strict=True)]
            sums = [a + s for a, (_, s) in zip(sums, seen, strict=True)]
        if progress:
            progress((n + 1) / len(images))
    return InputStats(maxima, [s / len(images) for s in sums])


def quantize(plan: KernelPlan, stats: InputStats) -> KernelPlan:
    """The float ``plan`` with its 1×1 convolutions int8: each input in 7 bits over [0, its maximum] (at most 6),
    each output channel's weights symmetric in [-127, 127], and the bias corrected for the weights' rounding
    (minus Σ_k mean input_k · (dequantized w - w): ReLU6 inputs have a positive mean, so the rounding errors
    of one output channel's weights shift it; on PoseNet's held-out photos this takes keypoint agreement at
    257×257 from 95.0 % to 96.5 %)."""
    layers: list[Layer] = []
    points = [i for i, layer in enumerate(plan.layers) if isinstance(layer, Pointwise)]
    maxima = stats.maxima
    if len(maxima) != len(points) or len(stats.means) != len(points):
        raise ValueError(f"statistics for {len(maxima)} pointwise layers, the plan has {len(points)}")
    means = dict(zip(points, stats.means, strict=True))
    in_scale: dict[int, np.float32] = {}
    for i, m in zip(points, maxima, strict=True):
        in_scale[i] = np.float32(min(max(m, 1e-3), 6.0) / 127)
    for i, layer in enumerate(plan.layers):
        nxt = in_scale.get(i + 1)
        out_scale = float(np.float32(1 / nxt)) if nxt is not None else 1.0
        if isinstance(layer, Pointwise):
            w = layer.weight.astype(np.float64)
            w_scale = np.abs(w).max(axis=0) / 127
            w_scale[w_scale == 0] = 1.0
            q = np.clip(np.rint(w / w_scale), -127, 127).astype(np.int8)
            bias = layer.bias.astype(np.float64) - means[i] @ (q * w_scale - w)
            layers.append(replace(layer, weight=q, bias=bias.astype(np.float32),
                                  scale=(float(in_scale[i]) * w_scale).astype(np.float32), out_scale=out_scale))
        elif isinstance(layer, Depthwise):
            layers.append(replace(layer, out_scale=out_scale))
        else:
            layers.append(layer)
    return KernelPlan(plan.input_name, layers, list(plan.outputs))
