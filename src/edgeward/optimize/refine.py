"""Graph-level fixes applied to onnxruntime's static QDQ int8 model after quantization.

* :func:`guard_pair_saturation` — on x86 CPUs without VNNI (AVX2, AVX-512F), onnxruntime's
  u8×s8 convolution kernels multiply adjacent pairs along the reduction axis with ``vpmaddubsw``,
  which *saturates* each pair sum at int16 (±32,767). With uint8 activations up to 255 and
  per-channel int8 weights up to 127, a pair of same-sign weights adding up to more than 128 can
  clip: measured here, the fused model then drifts 1.5–3 dB of output SQNR away from what its own
  QDQ graph computes. The guard widens a channel's weight scale just enough that no such pair
  exceeds 128 (255 × 128 < 32,768), so the kernels compute exactly what the graph says; for
  convolutions whose reduction order we do not know (k×k, not depthwise), the two largest
  magnitudes of the channel must fit. Depthwise convolutions use other kernels and are left alone.
* :func:`drop_dead_nodes` — the tf2onnx graph of PoseNet ends one branch in a Transpose that
  nothing reads; the quantizer gives it a quantize/dequantize pair that onnxruntime then runs on
  every frame. Nodes whose outputs nobody reads are removed.
* :func:`keep_float_inputs` — onnxruntime (1.2x, native and web alike) re-quantizes a float
  convolution whose input comes from a per-tensor DequantizeLinear (its WeightBiasQuantization
  pass: per-tensor int8 weights, then a fused QLinearConv), so a convolution "kept in fp32" in the
  middle of a QDQ graph would silently run in int8, with coarser weights than the quantizer's. Its
  input is dequantized instead by a DequantizeLinear of its own with the same scale and zero point
  repeated per channel: the same numbers, which that pass and the QDQ fusions leave alone.
* :func:`correct_bias` — empirical bias correction (Nagel et al., *Data-Free Quantization*,
  2019, §4.2, applied with calibration data): quantization shifts the mean of each convolution's
  output channels (int8 weights are off by a little in a consistent direction, clipping and
  ReLU6 of noisy inputs are not zero-mean). Layer by layer in graph order, the per-channel mean
  of the quantized model's pre-activation output is compared with fp32's on calibration inputs,
  and the difference is subtracted from the bias — after the layers before it are corrected, so
  each layer only removes what is left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import onnx
from onnx import numpy_helper

from edgeward.runtime.session import build_session

PAIR_LIMIT = 128
"""Largest same-sign sum of two paired int8 weights: 255 × 128 = 32,640 fits int16."""


def _attr(node: onnx.NodeProto, name: str, default: int) -> int:
    return next((int(a.i) for a in node.attribute if a.name == name), default)


def _worst_pair(wq: np.ndarray, pointwise: bool) -> np.ndarray:
    """Per output channel, the largest |w_a| + |w_b| that can saturate (same sign)."""
    k = wq.reshape(wq.shape[0], -1).astype(np.int64)
    if not pointwise:  # reduction order unknown: assume the two largest magnitudes meet
        top = np.sort(np.abs(k), axis=1)
        return top[:, -1] + (top[:, -2] if top.shape[1] > 1 else 0)
    if k.shape[1] % 2:
        k = np.concatenate([k, np.zeros((k.shape[0], 1), np.int64)], axis=1)
    a, b = k[:, 0::2], k[:, 1::2]
    same = (a * b) > 0
    return np.where(same, np.abs(a) + np.abs(b), np.maximum(np.abs(a), np.abs(b))).max(axis=1)


def guard_pair_saturation(fp32: onnx.ModelProto, qdq: onnx.ModelProto, limit: int = PAIR_LIMIT) -> dict[str, float]:
    """Re-quantize per-channel int8 weights of ``qdq`` (in place) so that no weight pair can saturate.

    Returns, per convolution that changed, the mean factor its channel scales grew by.
    """
    fp_init = {i.name: i for i in fp32.graph.initializer}
    fp_nodes = {n.name: n for n in fp32.graph.node}
    q_init = {i.name: i for i in qdq.graph.initializer}
    producer = {o: n for n in qdq.graph.node for o in n.output}
    changed: dict[str, float] = {}
    for node in qdq.graph.node:
        original = fp_nodes.get(node.name)
        if node.op_type != "Conv" or original is None or _attr(node, "group", 1) != 1:
            continue
        w_dq = producer.get(node.input[1])
        if w_dq is None or w_dq.op_type != "DequantizeLinear" or original.input[1] not in fp_init:
            continue
        wq_name, ws_name = w_dq.input[0], w_dq.input[1]
        if wq_name not in q_init or ws_name not in q_init:
            continue
        wq = numpy_helper.to_array(q_init[wq_name])
        zero = numpy_helper.to_array(q_init[w_dq.input[2]]) if len(w_dq.input) > 2 and w_dq.input[2] in q_init else 0
        scale = numpy_helper.to_array(q_init[ws_name]).astype(np.float64)
        if wq.dtype != np.int8 or np.any(zero != 0) or scale.size != wq.shape[0]:
            continue  # only symmetric per-channel int8 weights
        w = numpy_helper.to_array(fp_init[original.input[1]]).astype(np.float64)
        per_channel = scale.reshape(-1)
        pointwise = int(np.prod(w.shape[2:])) == 1
        new = per_channel.copy()
        q = wq
        for _ in range(32):
            q = np.clip(np.round(w / new.reshape(-1, *([1] * (w.ndim - 1)))), -127, 127).astype(np.int8)
            worst = _worst_pair(q, pointwise)
            if (worst <= limit).all():
                break
            new = np.where(worst > limit, new * (worst / limit) * 1.0001, new)
        if np.array_equal(new, per_channel):
            continue
        q_init[wq_name].CopyFrom(numpy_helper.from_array(q, wq_name))
        q_init[ws_name].CopyFrom(numpy_helper.from_array(new.reshape(scale.shape).astype(np.float32), ws_name))
        changed[node.name] = float(np.mean(new / per_channel))
        if len(node.input) > 2 and len(original.input) > 2 and original.input[2] in fp_init:
            b_dq = producer.get(node.input[2])
            if b_dq is not None and b_dq.op_type == "DequantizeLinear" and b_dq.input[1] in q_init:
                b = numpy_helper.to_array(fp_init[original.input[2]]).astype(np.float64)
                b_scale = numpy_helper.to_array(q_init[b_dq.input[1]]).astype(np.float64) * (new / per_channel)
                q_init[b_dq.input[0]].CopyFrom(numpy_helper.from_array(
                    np.round(b / b_scale).astype(np.int32), b_dq.input[0]))
                q_init[b_dq.input[1]].CopyFrom(numpy_helper.from_array(b_scale.astype(np.float32), b_dq.input[1]))
    return changed


def drop_dead_nodes(model: onnx.ModelProto) -> int:
    """Remove (in place) nodes whose outputs are neither read nor graph outputs, and the
    initializers no node reads any more. Returns how many nodes went."""
    graph = model.graph
    wanted = {o.name for o in graph.output}
    removed = 0
    while True:
        read = {i for n in graph.node for i in n.input} | wanted
        dead = [n for n in graph.node if not any(o in read for o in n.output)]
        if not dead:
            break
        for n in dead:
            graph.node.remove(n)
        removed += len(dead)
    read = {i for n in graph.node for i in n.input}
    for init in [i for i in graph.initializer if i.name not in read]:
        graph.initializer.remove(init)
    return removed


def keep_float_inputs(model: onnx.ModelProto, names: Sequence[str]) -> list[str]:
    """Give each float Conv / Gemm in ``names`` whose input comes from a per-tensor DequantizeLinear a
    per-channel DequantizeLinear of its own (in place; see the module docstring). Returns the nodes changed."""
    graph = model.graph
    init = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    wanted = set(names)
    changed = []
    for node in list(graph.node):
        if node.name not in wanted or node.op_type not in ("Conv", "Gemm") or node.input[1] not in init:
            continue  # quantized weights come through a DequantizeLinear: nothing to keep float
        dq = producer.get(node.input[0])
        if dq is None or dq.op_type != "DequantizeLinear" or dq.input[1] not in init:
            continue
        scale = numpy_helper.to_array(init[dq.input[1]])
        has_zero = len(dq.input) > 2 and dq.input[2] in init
        zero = numpy_helper.to_array(init[dq.input[2]]) if has_zero else None
        if scale.size != 1:
            continue  # per-channel already: onnxruntime does not re-quantize
        w = list(init[node.input[1]].dims)
        if node.op_type == "Conv":
            channels = w[1] * _attr(node, "group", 1)
        else:  # Gemm: A is [M, K] (or [K, M] with transA)
            if _attr(node, "transA", 0):
                continue
            channels = w[1] if _attr(node, "transB", 0) else w[0]
        inputs = [dq.input[0], f"{node.name}_float_input_scale"]
        graph.initializer.append(numpy_helper.from_array(np.full(channels, scale.item(), scale.dtype), inputs[1]))
        if zero is not None:
            inputs.append(f"{node.name}_float_input_zero_point")
            graph.initializer.append(numpy_helper.from_array(np.full(channels, zero.item(), zero.dtype), inputs[2]))
        out = f"{node.name}_float_input"
        at = list(graph.node).index(node)
        graph.node.insert(at, onnx.helper.make_node("DequantizeLinear", inputs, [out], name=out, axis=1))
        node.input[0] = out
        changed.append(node.name)
    if changed:
        drop_dead_nodes(model)
    return changed


def _upstream(model: onnx.ModelProto, target: str) -> onnx.ModelProto:
    """The part of ``model`` that computes ``target``, with ``target`` as its only output."""
    producer = {o: n for n in model.graph.node for o in n.output}
    needed: set[str] = set()
    stack = [target]
    while stack:
        t = stack.pop()
        n = producer.get(t)
        if n is None or n.name in needed:
            continue
        needed.add(n.name)
        stack.extend(i for i in n.input if i)
    sub = onnx.ModelProto()
    sub.CopyFrom(model)
    nodes = [n for n in model.graph.node if n.name in needed]
    used = {i for n in nodes for i in n.input}
    del sub.graph.node[:]
    sub.graph.node.extend(nodes)
    inits = [i for i in model.graph.initializer if i.name in used]
    del sub.graph.initializer[:]
    sub.graph.initializer.extend(inits)
    del sub.graph.output[:]
    sub.graph.output.append(onnx.ValueInfoProto(name=target))
    return sub


def _channel_means(model: onnx.ModelProto, tensors: Sequence[str], input_name: str,
                   inputs: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    m.graph.output.extend(onnx.ValueInfoProto(name=t) for t in tensors if t not in have)
    sess = build_session(m)
    sums: dict[str, np.ndarray] = {}
    for x in inputs:
        for t, v in zip(tensors, sess.run(list(tensors), {input_name: x}), strict=True):
            mean = v.astype(np.float64).mean(axis=tuple(a for a in range(v.ndim) if a != 1))
            sums[t] = sums[t] + mean if t in sums else mean
    return {t: s / len(inputs) for t, s in sums.items()}


def correct_bias(fp32: onnx.ModelProto, qdq: onnx.ModelProto, input_name: str, inputs: Sequence[np.ndarray],
                 progress: Callable[[float], None] | None = None) -> int:
    """Empirical bias correction of ``qdq`` (in place), convolution by convolution in graph order.

    Returns how many convolutions were corrected.
    """
    fp_nodes = {n.name: n for n in fp32.graph.node if n.op_type == "Conv"}
    q_init = {i.name: i for i in qdq.graph.initializer}
    producer = {o: n for n in qdq.graph.node for o in n.output}
    todo = []
    for node in qdq.graph.node:
        if node.op_type != "Conv" or node.name not in fp_nodes or len(node.input) < 3:
            continue
        bias = node.input[2]
        b_dq = producer.get(bias)
        if b_dq is not None and b_dq.op_type == "DequantizeLinear" and b_dq.input[0] in q_init:
            todo.append((node.output[0], fp_nodes[node.name].output[0], b_dq.input[0], b_dq.input[1]))
        elif bias in q_init:  # a convolution kept in fp32: its bias is a float initializer
            todo.append((node.output[0], fp_nodes[node.name].output[0], bias, None))
    reference = _channel_means(fp32, [t[1] for t in todo], input_name, inputs)
    for i, (q_out, fp_out, b_name, s_name) in enumerate(todo):
        got = _channel_means(_upstream(qdq, q_out), [q_out], input_name, inputs)[q_out]
        shift = got - reference[fp_out]
        b = numpy_helper.to_array(q_init[b_name])
        if s_name is None:
            new = (b.astype(np.float64) - shift).astype(b.dtype)
        else:
            step = numpy_helper.to_array(q_init[s_name]).astype(np.float64)
            new = (b.astype(np.int64) - np.round(shift / step).astype(np.int64)).astype(b.dtype)
        q_init[b_name].CopyFrom(numpy_helper.from_array(new, b_name))
        if progress:
            progress((i + 1) / len(todo))
    return len(todo)
