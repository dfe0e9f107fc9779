"""The ``.ewk`` file: a lowered convolution net for Edgeward's WASM kernels (web/src/kernels/net.js reads it).

Layout: ``EWK1``, the header's byte length (u32, little-endian), the header (UTF-8 JSON), zero padding to a
multiple of 16, then the blob. Every array in the blob starts at a multiple of 16 (the WASM side copies
them into its memory as they are) and is named in the header as ``[offset, byte length]`` from the blob's
start. Layers run in order, each on the previous one's output:

- ``conv3x3``: the first layer, fp32 3×3 over the image (padding 1), ReLU6. weight f32 [3][3][cin][n].
- ``depthwise``: fp32 3×3 per channel (padding 1), ReLU6, quantized to 7 bits for the 1×1 convolution
  after it (``out_scale`` = 1 / that convolution's input scale). weight f32 [9][c] (tap-major).
- ``pointwise``: 1×1, int8 weights × u7 inputs. weight i8 packed [n/8][k/4][8][4]; the int32 sum times
  ``scale[n]`` (input scale × weight scale) plus ``bias[n]``. ``mode``: ``f32-padded`` (ReLU6, feeds a
  3×3), ``u7`` (ReLU6, quantized with ``out_scale``, feeds another 1×1), ``f32`` (no activation: the model's
  outputs, ``outputs`` naming each one's channels).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np

from edgeward.errors import ModelFormatError

MAGIC = b"EWK1"
FORMAT = "edgeward-kernels"
VERSION = 1
SUFFIX = ".ewk"
MODES = ("f32-padded", "u7", "f32")
Mode = Literal["f32-padded", "u7", "f32"]


@dataclass
class Conv3x3:
    stride: int
    weight: np.ndarray
    """f32 [3, 3, cin, n]."""
    bias: np.ndarray
    """f32 [n]."""


@dataclass
class Depthwise:
    stride: int
    weight: np.ndarray
    """f32 [9, c], tap ky·3 + kx first."""
    bias: np.ndarray
    out_scale: float = 1.0
    """1 / the u7 scale of the output (a float32 value)."""


@dataclass
class HeadSlice:
    name: str
    start: int
    count: int


@dataclass
class Pointwise:
    weight: np.ndarray
    """int8 [k, n] (fp32 in a float net, before quantization)."""
    bias: np.ndarray
    mode: Mode
    scale: np.ndarray | None = None
    """f32 [n]: input scale × the output channel's weight scale (None in a float net)."""
    out_scale: float = 1.0
    outputs: list[HeadSlice] = field(default_factory=list)


Layer = Conv3x3 | Depthwise | Pointwise


@dataclass
class KernelPlan:
    input_name: str
    layers: list[Layer]
    outputs: list[str]
    """The model's output names, in its order."""

    @property
    def channels_in(self) -> int:
        first = self.layers[0]
        assert isinstance(first, Conv3x3)
        return int(first.weight.shape[2])

    def output_shapes(self, height: int, width: int) -> dict[str, list[int]]:
        """Each output's NHWC shape for an input of ``height`` × ``width``."""
        for layer in self.layers:
            if not isinstance(layer, Pointwise):
                height, width = (height - 1) // layer.stride + 1, (width - 1) // layer.stride + 1
        last = self.layers[-1]
        assert isinstance(last, Pointwise)
        by_name = {s.name: [1, height, width, s.count] for s in last.outputs}
        return {name: by_name[name] for name in self.outputs}


def pad8(n: int) -> int:
    return -(-n // 8) * 8


def pack_pointwise(weight: np.ndarray) -> np.ndarray:
    """int8 [k, n] → [n/8][k/4][8][4] (n padded to a multiple of 8 with zeros): one 16-byte load holds four
    inputs of four outputs, as i32x4.relaxed_dot_i8x16_i7x16_add_s takes them."""
    k, n = weight.shape
    w = np.zeros((k, pad8(n)), np.int8)
    w[:, :n] = weight
    return np.ascontiguousarray(w.reshape(k // 4, 4, pad8(n) // 8, 8).transpose(2, 0, 3, 1))


def unpack_pointwise(packed: np.ndarray, k: int, n: int) -> np.ndarray:
    n8 = pad8(n)
    return np.ascontiguousarray(packed.reshape(n8 // 8, k // 4, 8, 4).transpose(1, 3, 0, 2).reshape(k, n8)[:, :n])


class _Blob:
    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, array: np.ndarray) -> list[int]:
        data = np.ascontiguousarray(array).tobytes()
        where = [self.size, len(data)]
        pad = -len(data) % 16
        self.parts.append(data + b"\0" * pad)
        self.size += len(data) + pad
        return where


def _padded(values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, np.float32)
    out[:len(values)] = values
    return out


def write_plan(plan: KernelPlan, path: Path) -> None:
    blob = _Blob()
    layers: list[dict[str, object]] = []
    for layer in plan.layers:
        if isinstance(layer, Conv3x3):
            _, _, cin, n = layer.weight.shape
            layers.append({"op": "conv3x3", "stride": layer.stride, "cin": cin, "n": n,
                           "weight": blob.add(layer.weight.astype(np.float32)),
                           "bias": blob.add(layer.bias.astype(np.float32))})
        elif isinstance(layer, Depthwise):
            layers.append({"op": "depthwise", "stride": layer.stride, "c": layer.weight.shape[1],
                           "weight": blob.add(layer.weight.astype(np.float32)),
                           "bias": blob.add(layer.bias.astype(np.float32)), "out_scale": layer.out_scale})
        else:
            if layer.scale is None or layer.weight.dtype != np.int8:
                raise ValueError("write_plan: a pointwise layer is not quantized")
            k, n = layer.weight.shape
            entry: dict[str, object] = {
                "op": "pointwise", "k": k, "n": n, "mode": layer.mode, "weight": blob.add(pack_pointwise(layer.weight)),
                "scale": blob.add(_padded(layer.scale, pad8(n))), "bias": blob.add(_padded(layer.bias, pad8(n))),
                "out_scale": layer.out_scale}
            if layer.outputs:
                entry["outputs"] = [{"name": s.name, "start": s.start, "count": s.count} for s in layer.outputs]
            layers.append(entry)
    header = json.dumps({"format": FORMAT, "version": VERSION, "input": {"name": plan.input_name},
                         "outputs": plan.outputs, "layers": layers}, separators=(",", ":")).encode()
    head = MAGIC + struct.pack("<I", len(header)) + header
    head += b"\0" * (-len(head) % 16)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(head + b"".join(blob.parts))
    tmp.replace(path)


def _fail(path: Path, what: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: {what}")


def read_plan(path: Path) -> KernelPlan:
    """The plan in ``path``; a ModelFormatError naming the file and field if it is not a valid ``.ewk``."""
    data = path.read_bytes()
    if data[:4] != MAGIC or len(data) < 8:
        raise _fail(path, f"not an Edgeward kernels file (no '{MAGIC.decode()}' magic)")
    (length,) = struct.unpack("<I", data[4:8])
    if 8 + length > len(data):
        raise _fail(path, f"truncated: the header claims {length} bytes, the file has {len(data) - 8}")
    try:
        header = json.loads(data[8:8 + length])
    except ValueError as err:
        raise _fail(path, f"the header is not JSON ({err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") != VERSION:
        raise _fail(path, f"field 'format'/'version': expected '{FORMAT}' version {VERSION}")
    start = 8 + length + (-(8 + length) % 16)
    blob = data[start:]

    def array(layer: int, entry: dict[str, object], key: str, dtype: type, count: int) -> np.ndarray:
        where = entry.get(key)
        nbytes = count * np.dtype(dtype).itemsize
        if (not isinstance(where, list) or len(where) != 2 or not all(isinstance(v, int) for v in where)
                or where[0] < 0 or where[0] % 16 or where[1] != nbytes or where[0] + nbytes > len(blob)):
            raise _fail(path, f"layers[{layer}].{key}: {where!r} is not {nbytes} bytes at a 16-byte offset "
                              f"inside the {len(blob)}-byte blob")
        return np.frombuffer(blob, dtype, count, where[0]).copy()

    def number(layer: int, entry: dict[str, object], key: str, allowed: tuple[int, ...] | None = None) -> int:
        v = entry.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0 or (allowed and v not in allowed):
            raise _fail(path, f"layers[{layer}].{key}: {v!r} is not " + (f"one of {allowed}" if allowed else "a count"))
        return v

    layers: list[Layer] = []
    entries = header.get("layers")
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "field 'layers': no layers")
    for i, e in enumerate(entries):
        op = e.get("op") if isinstance(e, dict) else None
        if op == "conv3x3":
            cin, n = number(i, e, "cin"), number(i, e, "n")
            if n % 4:
                raise _fail(path, f"layers[{i}].n: {n} is not a multiple of 4")
            layers.append(Conv3x3(number(i, e, "stride", (1, 2)),
                                  array(i, e, "weight", np.float32, 9 * cin * n).reshape(3, 3, cin, n),
                                  array(i, e, "bias", np.float32, n)))
        elif op == "depthwise":
            c = number(i, e, "c")
            if c % 4:
                raise _fail(path, f"layers[{i}].c: {c} is not a multiple of 4")
            layers.append(Depthwise(number(i, e, "stride", (1, 2)),
                                    array(i, e, "weight", np.float32, 9 * c).reshape(9, c),
                                    array(i, e, "bias", np.float32, c), _scale(path, i, e)))
        elif op == "pointwise":
            k, n = number(i, e, "k"), number(i, e, "n")
            if k % 4:
                raise _fail(path, f"layers[{i}].k: {k} is not a multiple of 4")
            mode = e.get("mode")
            if mode not in MODES:
                raise _fail(path, f"layers[{i}].mode: {mode!r} is not one of {MODES}")
            if mode != "f32" and n % 8:
                raise _fail(path, f"layers[{i}].n: {n} is not a multiple of 8 (a 1×1 convolution another layer reads)")
            packed = array(i, e, "weight", np.int8, k * pad8(n))
            slices = [HeadSlice(s["name"], s["start"], s["count"]) for s in e.get("outputs", [])
                      if isinstance(s, dict)]
            layers.append(Pointwise(unpack_pointwise(packed, k, n), array(i, e, "bias", np.float32, pad8(n))[:n],
                                    mode, array(i, e, "scale", np.float32, pad8(n))[:n], _scale(path, i, e), slices))
        else:
            raise _fail(path, f"layers[{i}].op: {op!r} is not conv3x3, depthwise or pointwise")
    inp = header.get("input")
    outputs = header.get("outputs")
    if not isinstance(inp, dict) or not isinstance(inp.get("name"), str):
        raise _fail(path, "field 'input.name' is missing")
    if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
        raise _fail(path, "field 'outputs' is not a list of names")
    plan = KernelPlan(inp["name"], layers, outputs)
    check_chain(plan, str(path))
    return plan


def _scale(path: Path, i: int, e: dict[str, object]) -> float:
    v = e.get("out_scale")
    if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v) or v <= 0:
        raise _fail(path, f"layers[{i}].out_scale: {v!r} is not a positive number")
    return float(v)


def check_chain(plan: KernelPlan, where: str) -> None:
    """Each layer takes what the one before gives: channels, and the layout its mode writes."""
    def fail(i: int, what: str) -> ModelFormatError:
        return ModelFormatError(f"{where}: layers[{i}]: {what}")

    if not isinstance(plan.layers[0], Conv3x3):
        raise fail(0, "the first layer must be conv3x3 (over the image)")
    channels = int(plan.layers[0].weight.shape[3])
    for i, (prev, layer) in enumerate(pairwise(plan.layers), start=1):
        gives = "f32-padded" if isinstance(prev, Conv3x3) else "u7" if isinstance(prev, Depthwise) else prev.mode
        if isinstance(layer, Conv3x3):
            raise fail(i, "conv3x3 only runs first")
        takes = "f32-padded" if isinstance(layer, Depthwise) else "u7"
        if gives != takes:
            raise fail(i, f"takes {takes} input, the layer before gives {gives}")
        k = layer.weight.shape[1] if isinstance(layer, Depthwise) else layer.weight.shape[0]
        if k != channels:
            raise fail(i, f"takes {k} channels, the layer before gives {channels}")
        channels = int(layer.weight.shape[1])
    last = plan.layers[-1]
    if not isinstance(last, Pointwise) or last.mode != "f32":
        raise fail(len(plan.layers) - 1, "the last layer must be a pointwise one in mode f32 (the outputs)")
    names = {s.name for s in last.outputs}
    if sorted(names) != sorted(plan.outputs) or len(names) != len(last.outputs):
        raise fail(len(plan.layers) - 1, f"its outputs {sorted(names)} are not the plan's {sorted(plan.outputs)}")
    for s in last.outputs:
        if s.start < 0 or s.count <= 0 or s.start + s.count > channels:
            raise fail(len(plan.layers) - 1, f"output '{s.name}' (channels {s.start}..{s.start + s.count}) "
                                             f"is outside its {channels} channels")
