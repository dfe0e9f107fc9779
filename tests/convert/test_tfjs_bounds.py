"""The TF.js reader's bounds hold whatever model.json declares: sizes are checked before anything is read
or allocated, in a fresh process measured from /proc/self/status (VmHWM: its own peak RSS)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edgeward.convert.tfjs import reader, weights
from edgeward.convert.tfjs.reader import read_tfjs
from edgeward.errors import ModelFormatError

PROBE = (  # read_tfjs(argv[1]) in a fresh process: seconds, peak RSS in kB, the error
    "import re, sys, time\n"
    "from edgeward.errors import EdgewardError\n"
    "from edgeward.convert.tfjs.reader import read_tfjs\n"
    "t = time.perf_counter()\n"
    "try:\n"
    "    read_tfjs(sys.argv[1])\n"
    "except EdgewardError as e:\n"
    "    hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read())[1]\n"
    "    print(f'{time.perf_counter() - t:.3f}', hwm, e)\n"
)


def _model(folder: Path, specs: list[dict], shard_bytes: int, sparse: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shard = folder / "group1-shard1of1.bin"
    if sparse:  # a file that says it is large without taking the disk (or memory, unless read)
        with shard.open("wb") as f:
            f.truncate(shard_bytes)
    else:
        shard.write_bytes(b"\0" * shard_bytes)
    path = folder / "model.json"
    path.write_text(json.dumps({"modelTopology": {"node": [{"name": s["name"], "op": "Const"} for s in specs]},
                                "weightsManifest": [{"paths": [shard.name], "weights": specs}]}))
    return path


def _probe(path: Path) -> tuple[float, int, str]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    seconds, kb, message = out.split(" ", 2)
    return float(seconds), int(kb), message.strip()


def test_an_absurd_weight_shape_fails_in_under_a_second_in_bounded_memory(tmp_path: Path) -> None:
    """[1000000, 1000000] float32 is 4 TB: refused on its declaration, before the shard is opened."""
    path = _model(tmp_path / "m", [{"name": "w", "shape": [1000000, 1000000], "dtype": "float32"}], 64)
    seconds, kb, message = _probe(path)
    assert seconds < 1.0 and kb < 100_000, (seconds, kb, message)
    assert message == (f"{path}: the weights declared up to field 'weightsManifest[0]' take 3.64 TiB in memory, "
                       "over the 2,048.0 MiB limit; no shard was read")


def test_a_shard_larger_than_declared_is_not_read(tmp_path: Path) -> None:
    """A 2 GB (sparse) shard for 16 declared bytes is refused on its size: it was read whole before."""
    path = _model(tmp_path / "m", [{"name": "w", "shape": [4], "dtype": "float32"}], 2 * 1024**3, sparse=True)
    seconds, kb, message = _probe(path)
    assert seconds < 1.0 and kb < 100_000, (seconds, kb, message)
    assert message.endswith(f"weight shards hold {2 * 1024**3} bytes, model.json describes 16: shards and "
                            "model.json do not belong together")


def test_overflowing_shapes_are_sized_exactly(tmp_path: Path) -> None:
    """[2**32, 2**32] float32 made numpy's int64 product 0: the empty shard matched and reshape failed."""
    path = _model(tmp_path / "m", [{"name": "w", "shape": [2**32, 2**32], "dtype": "float32"}], 0)
    with pytest.raises(ModelFormatError, match=r"take 6.71e\+07 TiB in memory, over the 2,048.0 MiB limit"):
        read_tfjs(path)


def test_the_weight_cap_counts_decoded_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """uint8-quantized weights decode to float32: four times their shard bytes count against the cap."""
    monkeypatch.setattr(weights, "MAX_WEIGHT_BYTES", 1000)
    spec = {"name": "w", "shape": [300], "dtype": "float32",
            "quantization": {"dtype": "uint8", "scale": 0.1, "min": 0.0}}
    path = _model(tmp_path / "m", [spec], 300)
    with pytest.raises(ModelFormatError, match=r"take 0.0 MiB in memory, over the 0.0 MiB limit; no shard was read"):
        read_tfjs(path)
    spec["shape"] = [250]
    assert read_tfjs(_model(tmp_path / "ok", [spec], 250)).weights["w"].shape == (250,)


def test_the_node_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_GRAPH_NODES", 3)
    path = _model(tmp_path / "m", [{"name": f"w{i}", "shape": [1], "dtype": "float32"} for i in range(4)], 16)
    with pytest.raises(ModelFormatError, match=r"'modelTopology\.node' lists 4 nodes, over the 3 node limit"):
        read_tfjs(path)


def test_a_huge_model_json_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_MODEL_JSON_BYTES", 100)
    path = _model(tmp_path / "m", [{"name": "w", "shape": [1], "dtype": "float32"}], 4)
    with pytest.raises(ModelFormatError, match=r"model\.json: 0\.0 MiB, over the 0\.0 MiB limit for a model\.json"):
        read_tfjs(path)


@pytest.mark.parametrize(("doc", "match"), [
    ('{"modelTopology": {"node": []}, "weightsManifest": [], "x": NaN}', r"not a valid TF\.js model\.json \(NaN"),
    ("[" * 100_000 + "]" * 100_000, r"not a valid TF\.js model\.json \(nested too deeply\)"),
    ('{"modelTopology": {"node": [{"name": "a", "op": "Const"}, {"name": "a", "op": "Relu"}]}, "weightsManifest": []}',
     r"'modelTopology\.node\[1\]': node name 'a' is also node #0's"),
    ('{"modelTopology": {"node": [{"name": "a", "op": "Relu", "input": "b"}]}, "weightsManifest": []}',
     r"'modelTopology\.node\[0\]' \('a'\): 'input' must be a list"),
    ('{"modelTopology": {"node": []}, "weightsManifest": [], "signature": {"outputs": {"y": 3}}}',
     r"field 'signature\.outputs' must map names to objects"),
    ('{"modelTopology": {"node": []}, "weightsManifest": [], "userDefinedMetadata": "x"}', None),
])
def test_malformed_model_json_names_the_field(tmp_path: Path, doc: str, match: str | None) -> None:
    """Each a crash the fuzzing found (RecursionError, TypeError, AttributeError) or a silent ambiguity."""
    path = tmp_path / "model.json"
    path.write_text(doc)
    if match is None:
        assert read_tfjs(path).nodes == []
    else:
        with pytest.raises(ModelFormatError, match=match):
            read_tfjs(path)
