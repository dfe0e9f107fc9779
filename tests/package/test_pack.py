"""``edgeward pack``: validation (schema, sizes, sha256) and writing, to a folder or an npm tarball."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgeward.cli import app as cli
from edgeward.errors import IntegrityError, ManifestError
from edgeward.package.manifest import read_manifest
from edgeward.package.npm import pack_npm
from edgeward.package.pack import pack, validate_package


@pytest.fixture
def pkg(posenet_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "pkg"
    shutil.copytree(posenet_dir, d)
    data = json.loads((d / "manifest.json").read_text())  # fp32 only (the store may have int8, fp16 too)
    for variant in [v for v in data["files"] if v != "fp32"]:
        (d / data["files"].pop(variant)["path"]).unlink()
    (d / "manifest.json").write_text(json.dumps(data, indent=2) + "\n")
    (d / "notes.txt").write_text("not listed: not packed")
    return d


def test_pack_validates_and_writes_only_listed_files(pkg: Path, tmp_path: Path) -> None:
    out = pack(pkg, tmp_path / "out")
    assert out == tmp_path / "out" / "posenet" / "1.0.0"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "model.fp32.onnx"]
    assert read_manifest(out / "manifest.json") == read_manifest(pkg / "manifest.json")


def test_pack_refuses_a_bad_file_or_manifest(pkg: Path, tmp_path: Path) -> None:
    model = pkg / "model.fp32.onnx"
    good = model.read_bytes()
    model.write_bytes(good[:-10])
    with pytest.raises(IntegrityError, match=r"model\.fp32\.onnx: \d+ bytes, manifest says \d+"):
        pack(pkg, tmp_path / "out")
    model.write_bytes(good[:100] + bytes([good[100] ^ 1]) + good[101:])
    with pytest.raises(IntegrityError, match=r"model\.fp32\.onnx: sha256 .* does not match"):
        validate_package(pkg)
    model.unlink()
    with pytest.raises(IntegrityError, match=r"model\.fp32\.onnx: file listed in the manifest is missing"):
        validate_package(pkg)
    model.write_bytes(good)
    data = json.loads((pkg / "manifest.json").read_text())
    data["quantization"] = "int8"
    (pkg / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ManifestError, match=r"unknown field 'quantization'"):
        validate_package(pkg)
    assert not (tmp_path / "out").exists()


def test_npm_tarball_layout_and_reproducibility(pkg: Path, tmp_path: Path) -> None:
    a = pack_npm(pkg, tmp_path / "a")
    b = pack_npm(pkg, tmp_path / "b")
    assert a.name == "edgeward-models-posenet-1.0.0.tgz"
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    with tarfile.open(a) as tar:
        assert tar.getnames() == ["package/package.json", "package/manifest.json", "package/model.fp32.onnx"]
        meta = json.load(tar.extractfile("package/package.json"))  # type: ignore[arg-type]
        model = tar.extractfile("package/model.fp32.onnx").read()  # type: ignore[union-attr]
    assert meta["name"] == "@edgeward-models/posenet" and meta["version"] == "1.0.0"
    assert meta["files"] == ["manifest.json", "model.fp32.onnx"]
    assert meta["edgeward"]["sha256"]["model.fp32.onnx"] == hashlib.sha256(model).hexdigest()
    assert meta["license"] == "SEE LICENSE IN manifest.json"  # the manifest's license is not an SPDX id


def test_cli_pack(pkg: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["pack", str(pkg), "-o", str(tmp_path / "store")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["pack", str(pkg), "--npm", "-o", str(tmp_path), "--scope", "@acme"])
    assert r.exit_code == 0 and (tmp_path / "acme-posenet-1.0.0.tgz").is_file(), r.output
    (pkg / "model.fp32.onnx").write_bytes(b"x")
    r = runner.invoke(cli, ["pack", str(pkg), "--npm", "-o", str(tmp_path)])
    assert r.exit_code == 1 and "model.fp32.onnx: 1 bytes, manifest says" in r.output
    assert "Traceback" not in r.output
