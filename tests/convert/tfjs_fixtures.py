"""Write small TF.js graph models (model.json + one shard) for converter tests."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np


def s(text: str) -> dict[str, str]:
    return {"s": base64.b64encode(text.encode()).decode()}


def ints(values: list[int]) -> dict[str, Any]:
    return {"list": {"i": [str(v) for v in values]}}


def strs(values: list[str]) -> dict[str, Any]:
    return {"list": {"s": [s(v)["s"] for v in values]}}


def placeholder(name: str, shape: list[int]) -> dict[str, Any]:
    return {"name": name, "op": "Placeholder",
            "attr": {"shape": {"shape": {"dim": [{"size": str(d)} for d in shape]}},
                     "dtype": {"type": "DT_FLOAT"}}}


def const(name: str, dtype: str = "DT_FLOAT") -> dict[str, Any]:
    return {"name": name, "op": "Const", "attr": {"dtype": {"type": dtype}}}


def op(name: str, kind: str, inputs: list[str], **attr: Any) -> dict[str, Any]:
    return {"name": name, "op": kind, "input": inputs, "attr": attr}


def conv(name: str, op: str, inputs: list[str], stride: int, fused: list[str], padding: str = "SAME") -> dict:
    attr = {"strides": ints([1, stride, stride, 1]), "padding": s(padding), "data_format": s("NHWC"),
            "dilations": ints([1, 1, 1, 1]), "T": {"type": "DT_FLOAT"}}
    if fused:
        attr["fused_ops"] = strs(fused)
        attr["num_args"] = {"i": str(len(inputs) - 2)}
    return {"name": name, "op": op, "input": inputs, "attr": attr}


def _encode(value: np.ndarray, quant: str | None) -> tuple[bytes, dict[str, Any] | None]:
    if value.dtype == np.int32:
        return value.astype("<i4").tobytes(), None
    if quant is None:
        return value.astype("<f4").tobytes(), None
    if quant == "float16":
        return value.astype("<f2").tobytes(), {"dtype": "float16", "original_dtype": "float32"}
    levels = 255 if quant == "uint8" else 65535
    lo, hi = float(value.min()), float(value.max())
    scale = (hi - lo) / levels or 1.0
    q = np.round((value - lo) / scale).astype("u1" if quant == "uint8" else "<u2")
    return q.tobytes(), {"dtype": quant, "min": lo, "scale": scale, "original_dtype": "float32"}


def write_model(folder: Path, nodes: list[dict], weights: dict[str, np.ndarray], outputs: list[str],
                quant: str | None = None, shard: str = "group1-shard1of1.bin") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    specs, blobs = [], []
    for name, value in weights.items():
        raw, q = _encode(value, quant)
        dtype = "int32" if value.dtype == np.int32 else "float32"
        spec: dict[str, Any] = {"name": name, "shape": list(value.shape), "dtype": dtype}
        if q:
            spec["quantization"] = q
        specs.append(spec)
        blobs.append(raw)
    (folder / shard).write_bytes(b"".join(blobs))
    model = {
        "format": "graph-model", "generatedBy": "edgeward tests", "convertedBy": None,
        "modelTopology": {"node": nodes, "library": {}, "versions": {}},
        "signature": {"outputs": {f"{o}:0": {"name": f"{o}:0"} for o in outputs}},
        "weightsManifest": [{"paths": [shard], "weights": specs}],
    }
    path = folder / "model.json"
    path.write_text(json.dumps(model))
    return path


def small_cnn(folder: Path, size: tuple[int, int], quant: str | None = None, seed: int = 0) -> Path:
    """A MobileNet-like block: conv s2 + relu6, depthwise s2 + relu, pointwise + bias, depthwise s1."""
    rng = np.random.default_rng(seed)
    w = {
        "w0": rng.normal(0, 0.3, (3, 3, 3, 8)).astype(np.float32), "b0": rng.normal(0, 0.1, 8).astype(np.float32),
        "w1": rng.normal(0, 0.3, (3, 3, 8, 1)).astype(np.float32), "b1": rng.normal(0, 0.1, 8).astype(np.float32),
        "w2": rng.normal(0, 0.3, (1, 1, 8, 6)).astype(np.float32), "b2": rng.normal(0, 0.1, 6).astype(np.float32),
        "w3": rng.normal(0, 0.3, (5, 5, 6, 2)).astype(np.float32),
    }
    nodes = [
        placeholder("image", [1, size[0], size[1], 3]),
        *[const(k) for k in w],
        conv("c0", "_FusedConv2D", ["image", "w0", "b0"], 2, ["BiasAdd", "Relu6"]),
        conv("c1", "FusedDepthwiseConv2dNative", ["c0", "w1", "b1"], 2, ["BiasAdd", "Relu"]),
        conv("c2", "_FusedConv2D", ["c1", "w2", "b2"], 1, ["BiasAdd"]),
        conv("out", "DepthwiseConv2dNative", ["c2", "w3"], 1, []),
    ]
    return write_model(folder, nodes, w, ["out", "c2"], quant=quant)
