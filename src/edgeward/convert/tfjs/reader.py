"""Read a TF.js graph model: model.json, its nodes, and its weight shards (with dequantization).

model.json is checked as a stranger's file: its size before it is read, strict JSON, every node's fields,
MAX_GRAPH_NODES, and the weights (edgeward.convert.tfjs.weights) sized from their declarations before any
shard is read. A node attribute that is not what its op needs is an error naming the node and attribute.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from edgeward import strict_json
from edgeward.convert.limits import MAX_GRAPH_NODES, MAX_MODEL_JSON_BYTES, mib
from edgeward.convert.tfjs.weights import plan, read_weights
from edgeward.errors import ConversionError, ModelFormatError

T = TypeVar("T")

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

    def _read(self, key: str, what: str, read: Callable[[dict[str, Any]], T]) -> T:
        """``read(attr[key])``, or an error naming the node and the attribute when it is not ``what``."""
        raw = self.attr.get(key, {})
        try:
            if not isinstance(raw, dict):
                raise TypeError(type(raw).__name__)
            return read(raw)
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError, binascii.Error) as err:
            raise ConversionError(f"op {self.op} (node '{self.name}'): attribute '{key}' is not {what} "
                                  f"({type(err).__name__}: {str(err)[:80]})") from None

    def attr_str(self, key: str, default: str | None = None) -> str | None:
        return self._read(key, "a string", lambda r: _b64(r["s"]) if "s" in r else default)

    def attr_strs(self, key: str) -> list[str]:
        return self._read(key, "a list of strings", lambda r: [_b64(s) for s in _list(r, "s")])

    def attr_ints(self, key: str) -> list[int]:
        return self._read(key, "a list of integers", lambda r: [_int(i) for i in _list(r, "i")])

    def attr_int(self, key: str, default: int = 0) -> int:
        return self._read(key, "an integer", lambda r: _int(r["i"]) if "i" in r else default)

    def attr_float(self, key: str, default: float = 0.0) -> float:
        return self._read(key, "a number", lambda r: float(r["f"]) if "f" in r else default)

    def attr_bool(self, key: str, default: bool = False) -> bool:
        return self._read(key, "a boolean", lambda r: bool(r["b"]) if "b" in r else default)

    def attr_dtype(self, key: str = "T", default: str = "float32") -> str:
        return self._read(key, "a dtype", lambda r: _TF_DTYPES.get(r.get("type", ""), default))

    def attr_shape(self, key: str = "shape") -> list[int] | None:
        def read(r: dict[str, Any]) -> list[int] | None:
            raw = r.get("shape")
            if raw is None or raw.get("unknownRank"):
                return None
            return [_int(d.get("size", -1)) for d in raw.get("dim", [])]

        return self._read(key, "a shape", read)


def _b64(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{type(text).__name__}, not base64 text")
    return base64.b64decode(text, validate=True).decode()


def _list(raw: dict[str, Any], kind: str) -> list[Any]:
    values = raw.get("list", {}).get(kind, [])
    if not isinstance(values, list):
        raise TypeError(f"'list.{kind}' is a {type(values).__name__}")
    return values


def _int(value: Any) -> int:
    """TF.js writes int64 attributes as decimal strings; a 64-bit integer, not a float or a bool."""
    if isinstance(value, bool) or not isinstance(value, int | str) or (isinstance(value, str) and len(value) > 20):
        raise TypeError(f"{str(value)[:24]!r} is not an integer")
    n = int(value)
    if not -(2**63) <= n < 2**63:
        raise OverflowError(f"{n} does not fit 64 bits")
    return n


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
    size = path.stat().st_size
    if size > MAX_MODEL_JSON_BYTES:
        raise _fail(path, f"{mib(size)}, over the {mib(MAX_MODEL_JSON_BYTES)} limit for a model.json; not read")
    try:
        data = strict_json.loads(path.read_bytes())
    except ValueError as err:
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


def _nodes(path: Path, raw_nodes: list[Any]) -> list[TfjsNode]:
    if len(raw_nodes) > MAX_GRAPH_NODES:
        raise _fail(path, f"field 'modelTopology.node' lists {len(raw_nodes)} nodes, over the {MAX_GRAPH_NODES} "
                    "node limit")
    nodes: list[TfjsNode] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_nodes):
        where = f"field 'modelTopology.node[{i}]'"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not isinstance(raw.get("op"), str):
            raise _fail(path, f"{where}: node #{i} has no 'name' or 'op' string")
        inputs, attr = raw.get("input", []), raw.get("attr", {})
        if not isinstance(inputs, list) or not all(isinstance(x, str) for x in inputs):
            raise _fail(path, f"{where} ('{raw['name']}'): 'input' must be a list of node names")
        if not isinstance(attr, dict):
            raise _fail(path, f"{where} ('{raw['name']}'): 'attr' must be an object")
        if raw["name"] in seen:
            raise _fail(path, f"{where}: node name '{raw['name']}' is also node #{seen[raw['name']]}'s")
        seen[raw["name"]] = i
        nodes.append(TfjsNode(raw["name"], raw["op"], list(inputs), attr))
    return nodes


def _signature(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    meta = data.get("userDefinedMetadata") or {}
    sig = data.get("signature") or (meta.get("signature") if isinstance(meta, dict) else None) or {}
    if not isinstance(sig, dict):
        raise _fail(path, "field 'signature' must be an object")
    for key in ("inputs", "outputs"):
        entries = sig.get(key) or {}
        if not isinstance(entries, dict) or not all(
                isinstance(v, dict) and isinstance(v.get("name", k), str) for k, v in entries.items()):
            raise _fail(path, f"field 'signature.{key}' must map names to objects with a 'name' string")
    return sig


def _signature_names(sig: dict[str, Any], key: str) -> list[str]:
    entries = sig.get(key, {}) or {}
    return [v.get("name", k).split(":")[0] for k, v in entries.items()]


def read_tfjs(model_path: Path) -> TfjsGraph:
    model_path = Path(model_path)
    data = _load_json(model_path)
    nodes = _nodes(model_path, data["modelTopology"]["node"])
    sig = _signature(model_path, data)
    weights = read_weights(model_path, plan(data["weightsManifest"], model_path))
    inputs = _signature_names(sig, "inputs") or [n.name for n in nodes if n.op == "Placeholder"]
    outputs = _signature_names(sig, "outputs")
    if not outputs:
        consumed = {i.split(":")[0].lstrip("^") for n in nodes for i in n.inputs}
        outputs = [n.name for n in nodes if n.name not in consumed and n.op not in ("Const", "Placeholder")]
    meta = {k: v for k, v in data.items() if k not in ("modelTopology", "weightsManifest")}
    return TfjsGraph(model_path, nodes, weights, inputs, outputs, meta)
