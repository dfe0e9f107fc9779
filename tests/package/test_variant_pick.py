"""Variants made for a backend: the report's ``target`` and ``wasm_ms``, the 'int8-wasm' file, and which
variant a runtime picks (pick_variant: the oracle web/src/variants.js is checked against)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from edgeward.errors import ManifestError
from edgeward.package.manifest import parse_manifest, pick_variant
from edgeward.runtime.model import Model
from tests.web.variant_fixtures import file_sets


def _manifest(posenet_dir: Path, files: dict[str, Any]) -> dict[str, Any]:
    data = json.loads((posenet_dir / "manifest.json").read_text())
    data["files"] = files
    return data


def test_a_report_says_what_it_was_tuned_for_and_what_it_measured(posenet_dir: Path) -> None:
    data = _manifest(posenet_dir, {})
    fp32 = json.loads((posenet_dir / "manifest.json").read_text())["files"]["fp32"]
    report = {"method": "m", "bytes_ratio": 0.3, "gate_passed": True, "target": "wasm",
              "wasm_ms": {"fp32_1thread": 100.0, "int8-wasm_1thread": 70.5}}
    data["files"] = {"fp32": fp32, "int8-wasm": {**fp32, "path": "model.int8-wasm.onnx", "report": report}}
    m = parse_manifest(data)
    r = m.files["int8-wasm"].report
    assert r is not None and r.target == "wasm" and r.wasm_ms["int8-wasm_1thread"] == 70.5
    assert parse_manifest(json.loads(m.to_json())) == m  # round-trips
    bad = copy.deepcopy(data)
    bad["files"]["int8-wasm"]["report"]["target"] = "tpu"
    with pytest.raises(ManifestError, match=r"field 'files\.int8-wasm\.report\.target'"):
        parse_manifest(bad)
    bad["files"] = {"fp32": fp32, "int4": fp32}
    with pytest.raises(ManifestError, match=r"files\.int4"):
        parse_manifest(bad)


def test_reports_written_before_targets_stay_byte_identical(posenet_dir: Path) -> None:
    """No 'target': null, no empty 'wasm_ms' in a report that has neither (a manifest written before targets
    existed); and the zoo's manifest as built now round-trips unchanged too."""
    built = json.loads((posenet_dir / "manifest.json").read_text())
    assert json.loads(parse_manifest(built).to_json()) == built
    older = copy.deepcopy(built)
    reports = [f["report"] for f in older["files"].values() if f.get("report")]
    assert reports, "the zoo's PoseNet has no variant with a report: the check compares nothing"
    for report in reports:
        report.pop("target", None)
        report.pop("wasm_ms", None)
    text = parse_manifest(older).to_json()
    assert '"target"' not in text and '"wasm_ms"' not in text
    assert json.loads(text) == older


@pytest.mark.parametrize("backend", ["cpu", "wasm", "webgpu"])
def test_the_variant_made_for_the_backend_is_picked_else_the_first(posenet_dir: Path, backend: str) -> None:
    fp32 = json.loads((posenet_dir / "manifest.json").read_text())["files"]["fp32"]
    sets = file_sets(fp32)
    pick = {name: pick_variant(parse_manifest(_manifest(posenet_dir, files)), backend)
            for name, files in sets.items()}
    assert pick["fp32 only"] == pick["untargeted int8"] == pick["int8-wasm that failed its gate"] == "fp32"
    assert pick["int8 for cpu, int8-wasm for wasm"] == {"cpu": "int8", "wasm": "int8-wasm", "webgpu": "fp32"}[backend]
    assert pick["fp16 for webgpu"] == ("fp16" if backend == "webgpu" else "fp32")
    assert pick["int8-wasm alone"] == "int8-wasm"  # the only model file, whatever it was made for
    assert pick["fp16 and int8, no fp32"] == "fp16"
    m = parse_manifest(_manifest(posenet_dir, sets["int8 for cpu, int8-wasm for wasm"]))
    assert pick_variant(m, backend, "fp32") == "fp32"  # asked for: always that one
    with pytest.raises(ManifestError, match=r"field 'files' has no 'fp16' variant \(has fp32, int8, int8-wasm\)"):
        pick_variant(m, backend, "fp16")


def test_python_auto_runs_the_variant_made_for_native_onnxruntime(posenet_dir: Path, tmp_path: Path) -> None:
    shutil.copyfile(posenet_dir / "model.fp32.onnx", tmp_path / "model.fp32.onnx")
    fp32 = json.loads((posenet_dir / "manifest.json").read_text())["files"]["fp32"]
    files = file_sets(fp32)["int8 for cpu, int8-wasm for wasm"]  # each entry is fp32's file: it verifies
    (tmp_path / "manifest.json").write_text(json.dumps(_manifest(posenet_dir, files)))
    assert Model(tmp_path, "auto").variant == "int8"
    assert Model(tmp_path).variant == "fp32"  # the default stays fp32: Python's results are the reference
