"""Read a TF.js graph model: model.json, its nodes, and its weight shards (with dequantization)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.errors import ModelFormatError

# Bytes per element as stored in a shard (after quantization, if any).
_STORED_DTYPES: dict[str, np.dtype[Any]] = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("u1"),
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
    "float16": np.dtype("<f2"),
}

_TF_DTYPES = {
    "DT_FLOAT": "float32",
    "DT_INT32": "int32",
    "DT_BOOL": "bool",
    "DT_HALF": "float16",
    "DT_INT64": "int64",
    "DT_UINT8": "uint8",
}


@dataclass
class TfjsNode:
    name: str
    op: str
    inputs: list[str]
    attr: dict[str, Any] = field(default_factory=dict)

    def _raw(self, key: str) -> Any:
        return self.attr.get(key, {})

    def attr_str(self, key: str, default: str | None = None) -> str | None:
        raw = self._raw(key)
        return base64.b64decode(raw["s"]).decode() if "s" in raw else default

    def attr_strs(self, key: str) -> list[str]:
        return [base64.b64decode(s).decode() for s in self._raw(key).get("list", {}).get("s", [])]

    def attr_ints(self, key: str) -> list[int]:
        return [int(i) for i in self._raw(key).get("list", {}).get("i", [])]

    def attr_int(self, key: str, default: int = 0) -> int:
        raw = self._raw(key)
        return int(raw["i"]) if "i" in raw else default

    def attr_float(self, key: str, default: float = 0.0) -> float:
        raw = self._raw(key)
        return float(raw["f"]) if "f" in raw else default

    def attr_bool(self, key: str, default: bool = False) -> bool:
        raw = self._raw(key)
        return bool(raw["b"]) if "b" in raw else default

    def attr_dtype(self, key: str = "T", default: str = "float32") -> str:
        raw = self._raw(key)
        return _TF_DTYPES.get(raw.get("type", ""), default)

    def attr_shape(self, key: str = "shape") -> list[int] | None:
        raw = self._raw(key).get("shape")
        if raw is None or raw.get("unknownRank"):
            return None
        return [int(d.get("size", -1)) for d in raw.get("dim", [])]


@dataclass
class TfjsGraph:
    path: Path
    nodes: list[TfjsNode]
    weights: dict[str, np.ndarray]
    inputs: list[str]
    outputs: list[str]
    meta: dict[str, Any]


def _fail(path: Path, msg: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: {msg}")


def _load_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise _fail(path, "model.json not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise _fail(path, f"not a valid TF.js model.json ({err})") from None
    if not isinstance(data, dict):
        raise _fail(path, "not a valid TF.js model.json (top level is not an object)")
    topo = data.get("modelTopology")
    if not isinstance(topo, dict) or not isinstance(topo.get("node"), list):
        raise _fail(path, "field 'modelTopology.node' is missing: not a TF.js graph model "
                    "(layers models are not supported; convert them with the Keras importer)")
    if not isinstance(data.get("weightsManifest"), list):
        raise _fail(path, "field 'weightsManifest' is missing or not a list")
    return data


def _dequantize(raw: bytes, spec: dict[str, Any], path: Path) -> np.ndarray:
    name, shape, dtype = spec["name"], [int(s) for s in spec["shape"]], spec["dtype"]
    quant = spec.get("quantization")
    stored = quant["dtype"] if quant else dtype
    if stored not in _STORED_DTYPES:
        raise _fail(path, f"weight '{name}': unsupported stored dtype '{stored}'")
    arr = np.frombuffer(raw, dtype=_STORED_DTYPES[stored]).reshape(shape)
    if quant is None:
        return arr.astype(np.bool_ if dtype == "bool" else arr.dtype.newbyteorder("="))
    if stored == "float16":
        return arr.astype(np.float32)
    # Affine uint8 / uint16 quantization: value = q * scale + min.
    out = arr.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
    return out.astype(np.int32) if dtype == "int32" else out


def _weight_nbytes(spec: dict[str, Any]) -> int:
    quant = spec.get("quantization")
    stored = quant["dtype"] if quant else spec["dtype"]
    if stored not in _STORED_DTYPES:
        raise ModelFormatError(f"weight '{spec.get('name')}': unsupported dtype '{stored}'")
    return int(np.prod([int(s) for s in spec["shape"]], dtype=np.int64)) * _STORED_DTYPES[stored].itemsize


def _read_group(model_path: Path, group: dict[str, Any]) -> dict[str, np.ndarray]:
    specs = group.get("weights", [])
    expected = sum(_weight_nbytes(s) for s in specs)
    chunks: list[bytes] = []
    for rel in group.get("paths", []):
        shard = (model_path.parent / rel).resolve()
        if model_path.parent.resolve() not in shard.parents:
            raise _fail(model_path, f"weight shard path '{rel}' points outside the model folder")
        if not shard.is_file():
            raise ModelFormatError(
                f"{shard}: weight shard listed in {model_path.name} is missing "
                f"(its group needs {expected} bytes in {len(group['paths'])} shard(s))"
            )
        chunks.append(shard.read_bytes())
    buf = b"".join(chunks)
    if len(buf) < expected:
        last = model_path.parent / group["paths"][-1]
        raise ModelFormatError(
            f"{last}: weight shard is truncated: the weights in {model_path.name} need {expected} bytes, "
            f"the shards ({', '.join(group['paths'])}) hold {len(buf)}"
        )
    if len(buf) > expected:
        raise ModelFormatError(
            f"{model_path.parent / group['paths'][-1]}: weight shards hold {len(buf)} bytes, "
            f"{model_path.name} describes {expected}: shards and model.json do not belong together"
        )
    out, pos = {}, 0
    for spec in specs:
        n = _weight_nbytes(spec)
        out[spec["name"]] = _dequantize(buf[pos : pos + n], spec, model_path)
        pos += n
    return out


def _signature_names(sig: dict[str, Any], key: str) -> list[str]:
    entries = sig.get(key, {}) or {}
    return [v.get("name", k).split(":")[0] for k, v in entries.items()]


def read_tfjs(model_path: Path) -> TfjsGraph:
    model_path = Path(model_path)
    data = _load_json(model_path)
    nodes: list[TfjsNode] = []
    for i, raw in enumerate(data["modelTopology"]["node"]):
        if not isinstance(raw, dict) or "name" not in raw or "op" not in raw:
            raise _fail(model_path, f"node #{i} in 'modelTopology.node' has no 'name' or 'op'")
        nodes.append(TfjsNode(raw["name"], raw["op"], list(raw.get("input", [])), raw.get("attr", {})))
    weights: dict[str, np.ndarray] = {}
    for group in data["weightsManifest"]:
        weights.update(_read_group(model_path, group))

    sig = data.get("signature") or data.get("userDefinedMetadata", {}).get("signature") or {}
    inputs = _signature_names(sig, "inputs") or [n.name for n in nodes if n.op == "Placeholder"]
    outputs = _signature_names(sig, "outputs")
    if not outputs:
        consumed = {i.split(":")[0].lstrip("^") for n in nodes for i in n.inputs}
        outputs = [n.name for n in nodes if n.name not in consumed and n.op not in ("Const", "Placeholder")]
    meta = {k: v for k, v in data.items() if k not in ("modelTopology", "weightsManifest")}
    return TfjsGraph(model_path, nodes, weights, inputs, outputs, meta)
