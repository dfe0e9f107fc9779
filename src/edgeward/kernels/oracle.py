"""The kernels' outputs in numpy, bit for bit as web/kernels/kernels.ts computes them (the oracle the browser
is tested against), and the same net in plain fp32 (:func:`run_float`: calibration, and checking a lowering
against onnxruntime).

Bit-exactness rests on the order of operations: every fp32 sum is taken in the kernels' order with a
separately rounded multiply and add; the int8 sums are exact integers (float64 sums of integer products,
well inside 2**53), converted to fp32 as WASM's f32x4.convert_i32x4_s does (round to nearest even).
"""

from __future__ import annotations

import numpy as np

from edgeward.kernels.plan import Conv3x3, Depthwise, KernelPlan, Layer, Pointwise

F32 = np.float32


def _taps(x: np.ndarray, stride: int) -> list[np.ndarray]:
    """x [H+2, W+2, C] (zero border) → its 9 taps [Ho, Wo, C], ky·3 + kx order, for a 3×3 at ``stride``."""
    h, w = x.shape[0] - 2, x.shape[1] - 2
    ho, wo = (h - 1) // stride + 1, (w - 1) // stride + 1
    return [x[ky:ky + stride * (ho - 1) + 1:stride, kx:kx + stride * (wo - 1) + 1:stride]
            for ky in range(3) for kx in range(3)]


def _border(x: np.ndarray) -> np.ndarray:
    return np.pad(x, ((1, 1), (1, 1), (0, 0)))


def _relu6(y: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(y, F32(0)), F32(6))


def _to_u7(y: np.ndarray, inv: float) -> np.ndarray:
    return np.minimum(np.rint(y * F32(inv)), F32(127)).astype(np.uint8)


def _conv3x3(x: np.ndarray, layer: Conv3x3) -> np.ndarray:
    cin = x.shape[2]
    y = np.broadcast_to(layer.bias, (1, 1, layer.bias.size)).astype(F32)
    for t, tap in enumerate(_taps(_border(x), layer.stride)):
        for ci in range(cin):
            y = y + tap[:, :, ci:ci + 1] * layer.weight[t // 3, t % 3, ci]
    return _relu6(y)


def _depthwise_f32(x: np.ndarray, layer: Depthwise) -> np.ndarray:
    y = layer.bias.astype(F32)
    for t, tap in enumerate(_taps(_border(x), layer.stride)):
        y = y + tap * layer.weight[t]
    return _relu6(y)


def run_layers(image: np.ndarray, layers: list[Layer]) -> np.ndarray:
    """The quantized plan's layers on one image [H, W, C] (fp32): the last layer's output [H', W', n]."""
    x: np.ndarray = image.astype(F32)
    for layer in layers:
        if isinstance(layer, Conv3x3):
            x = _conv3x3(x, layer)
        elif isinstance(layer, Depthwise):
            x = _to_u7(_depthwise_f32(x, layer), layer.out_scale)
        else:
            assert layer.scale is not None
            h, w, k = x.shape
            acc = x.reshape(-1, k).astype(np.float64) @ layer.weight.astype(np.float64)
            y = acc.astype(F32) * layer.scale + layer.bias
            if layer.mode != "f32":
                y = _relu6(y)
            if layer.mode == "u7":
                y = _to_u7(y, layer.out_scale)
            x = y.reshape(h, w, -1)
    return x


def _split(plan: KernelPlan, y: np.ndarray) -> dict[str, np.ndarray]:
    last = plan.layers[-1]
    assert isinstance(last, Pointwise)
    by_name = {s.name: y[None, :, :, s.start:s.start + s.count] for s in last.outputs}
    return {name: np.ascontiguousarray(by_name[name]) for name in plan.outputs}


def run(plan: KernelPlan, image: np.ndarray) -> dict[str, np.ndarray]:
    """The plan's outputs (NHWC, batch 1) for ``image`` [1, H, W, C] or [H, W, C], as the kernels give them."""
    return _split(plan, run_layers(image.reshape(image.shape[-3:]), plan.layers))


def run_float(plan: KernelPlan, image: np.ndarray,
              record: list[tuple[float, np.ndarray]] | None = None) -> dict[str, np.ndarray]:
    """A float plan (pointwise weights fp32, nothing quantized) in fp32; ``record`` gets, per pointwise layer,
    the largest value of its input and each input channel's mean."""
    x: np.ndarray = image.reshape(image.shape[-3:]).astype(F32)
    for layer in plan.layers:
        if isinstance(layer, Conv3x3):
            x = _conv3x3(x, layer)
        elif isinstance(layer, Depthwise):
            x = _depthwise_f32(x, layer)
        else:
            if record is not None:
                record.append((float(x.max()), x.reshape(-1, x.shape[2]).mean(axis=0)))
            h, w, k = x.shape
            y = x.reshape(-1, k) @ layer.weight.astype(F32) + layer.bias
            x = (y if layer.mode == "f32" else _relu6(y)).reshape(h, w, -1)
    return _split(plan, x)
