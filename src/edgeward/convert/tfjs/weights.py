"""The ``weightsManifest`` of a TF.js model.json: checked, sized, then read from its shards.

Nothing here trusts the file. Every group and weight spec is checked (types, dtypes, quantization),
what it declares is sized with Python's integers (no int64 overflow: [2**32, 2**32] is not 0), the
total is held to ``MAX_WEIGHT_BYTES`` and each shard's size on disk to what the specs declare, all
before a shard byte is read or an array allocated. Shards are read once into one buffer of the size
declared; the arrays are decoded from views of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.convert.limits import MAX_WEIGHT_BYTES, mib
from edgeward.errors import ModelFormatError

# Bytes per element as stored in a shard (after quantization, if any).
STORED_DTYPES: dict[str, np.dtype[Any]] = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("u1"),
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
    "float16": np.dtype("<f2"),
}
_QUANTIZED = ("uint8", "uint16", "float16")  # what TF.js's converter quantizes to


@dataclass(frozen=True)
class WeightSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str
    """The weight's own dtype (what it decodes to)."""
    stored: str
    """Its dtype in the shard (the quantized one, if quantized)."""
    scale: float | None
    low: float | None
    nbytes: int
    """Bytes in the shard."""
    memory: int
    """Bytes once decoded."""


@dataclass(frozen=True)
class WeightGroup:
    paths: tuple[str, ...]
    specs: tuple[WeightSpec, ...]
    where: str

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.specs)


def _fail(path: Path, field: str, msg: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: field '{field}': {msg}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _spec(raw: Any, where: str, path: Path) -> WeightSpec:
    if not isinstance(raw, dict):
        raise _fail(path, where, "a weight spec must be an object with 'name', 'shape' and 'dtype'")
    name, shape, dtype = raw.get("name"), raw.get("shape"), raw.get("dtype")
    if not isinstance(name, str):
        raise _fail(path, f"{where}.name", "missing or not a string")
    where = f"{where} ('{name}')"
    if not isinstance(shape, list) or not all(_number(d) and float(d).is_integer() and d >= 0 for d in shape):
        raise _fail(path, f"{where}.shape", f"must be a list of non-negative integers, got {str(shape)[:80]}")
    dims = tuple(int(d) for d in shape)
    if not isinstance(dtype, str) or dtype not in STORED_DTYPES or dtype in ("uint8", "uint16"):
        raise _fail(path, f"{where}.dtype", f"unsupported dtype {str(dtype)[:40]!r} "
                                            "(supported: float32, int32, bool, float16)")
    quant = raw.get("quantization")
    stored, scale, low = dtype, None, None
    if quant is not None:
        qdtype = quant.get("dtype") if isinstance(quant, dict) else None
        if qdtype not in _QUANTIZED:
            raise _fail(path, f"{where}.quantization.dtype", f"unsupported {str(qdtype)[:40]!r} "
                                                             f"(supported: {', '.join(_QUANTIZED)})")
        stored = qdtype
        if qdtype != "float16":
            scale, low = quant.get("scale"), quant.get("min")
            if not (_number(scale) and _number(low)):
                raise _fail(path, f"{where}.quantization", f"{qdtype} needs finite numbers 'scale' and 'min'")
        elif dtype != "float32":
            raise _fail(path, f"{where}.quantization", f"float16 quantization of a {dtype} weight")
    elements = math.prod(dims)
    nbytes = elements * STORED_DTYPES[stored].itemsize
    memory = elements * (4 if quant is not None else STORED_DTYPES[dtype].itemsize)
    return WeightSpec(name, dims, dtype, stored, scale, low, nbytes, memory)


def plan(manifest: Any, path: Path) -> list[WeightGroup]:
    """The checked groups of ``weightsManifest``; refuses past MAX_WEIGHT_BYTES, before any shard is read."""
    if not isinstance(manifest, list):
        raise _fail(path, "weightsManifest", "missing or not a list")
    groups, names, total = [], set(), 0
    for g, raw in enumerate(manifest):
        where = f"weightsManifest[{g}]"
        if not isinstance(raw, dict):
            raise _fail(path, where, "a group must be an object with 'paths' and 'weights'")
        paths, weights = raw.get("paths", []), raw.get("weights", [])
        if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
            raise _fail(path, f"{where}.paths", "must be a list of shard file names")
        if not isinstance(weights, list):
            raise _fail(path, f"{where}.weights", "must be a list of weight specs")
        specs = tuple(_spec(w, f"{where}.weights[{i}]", path) for i, w in enumerate(weights))
        for s in specs:
            if s.name in names:
                raise _fail(path, f"{where}.weights", f"weight '{s.name}' is declared twice")
            names.add(s.name)
            total += s.memory
        if total > MAX_WEIGHT_BYTES:
            raise ModelFormatError(f"{path}: the weights declared up to field '{where}' take {mib(total)} in memory, "
                                   f"over the {mib(MAX_WEIGHT_BYTES)} limit; no shard was read")
        groups.append(WeightGroup(tuple(paths), specs, where))
    return groups


def _shards(path: Path, group: WeightGroup) -> list[Path]:
    """The group's shard files, each inside the model's folder and present, their sizes summing to the specs'."""
    folder = path.parent.resolve()
    files, found = [], 0
    for rel in group.paths:
        shard = (path.parent / rel).resolve()
        if folder not in shard.parents:
            raise ModelFormatError(f"{path}: weight shard path '{rel}' points outside the model folder")
        if not shard.is_file():
            raise ModelFormatError(f"{shard}: weight shard listed in {path.name} is missing "
                                   f"(its group needs {group.nbytes} bytes in {len(group.paths)} shard(s))")
        files.append(shard)
        found += shard.stat().st_size
    last = path.parent / group.paths[-1] if group.paths else path
    if found < group.nbytes:
        held = f"the shards ({', '.join(group.paths)}) hold" if group.paths else f"'{group.where}.paths' lists none:"
        raise ModelFormatError(f"{last}: weight shard is truncated: the weights in {path.name} need "
                               f"{group.nbytes} bytes, {held} {found}")
    if found > group.nbytes:
        raise ModelFormatError(f"{last}: weight shards hold {found} bytes, {path.name} describes {group.nbytes}: "
                               "shards and model.json do not belong together")
    return files


def _decode(view: memoryview, spec: WeightSpec) -> np.ndarray:
    arr = np.frombuffer(view, dtype=STORED_DTYPES[spec.stored]).reshape(spec.shape)
    if spec.stored == spec.dtype:
        return arr.astype(np.bool_ if spec.dtype == "bool" else arr.dtype.newbyteorder("="))  # a copy
    if spec.stored == "float16":
        return arr.astype(np.float32)
    # Affine uint8 / uint16 quantization: value = q * scale + min.
    out = arr.astype(np.float32) * np.float32(spec.scale) + np.float32(spec.low)
    return out.astype(np.int32) if spec.dtype == "int32" else out


def read_weights(path: Path, groups: list[WeightGroup]) -> dict[str, np.ndarray]:
    """Every weight of ``groups`` (from ``plan``), decoded."""
    weights: dict[str, np.ndarray] = {}
    for group in groups:
        files = _shards(path, group)
        buf = bytearray(group.nbytes)
        view, pos = memoryview(buf), 0
        for shard in files:
            with shard.open("rb") as f:
                while (n := f.readinto(view[pos:])) and pos < len(buf):
                    pos += n
        if pos != len(buf):  # the file changed under us
            raise ModelFormatError(f"{files[-1]}: weight shards changed while being read")
        pos = 0
        for spec in group.specs:
            weights[spec.name] = _decode(view[pos : pos + spec.nbytes], spec)
            pos += spec.nbytes
    return weights
