"""`edgeward quantize --to fp16`: a summary table, and the variant with its figures in the manifest."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

import edgeward
from edgeward.cli import app
from edgeward.package.manifest import read_manifest


def test_quantize_fp16_cli(posenet_copy: Path, tmp_path: Path, camera: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name in ("manifest.json", "model.fp32.onnx"):
        shutil.copyfile(posenet_copy / name, pkg / name)
    result = CliRunner().invoke(app, ["quantize", str(pkg), "--to", "fp16"])
    assert result.exit_code == 0, result.output
    assert "accuracy gate passed" in result.output and "keypoint agreement" in result.output
    entry = read_manifest(pkg / "manifest.json").files["fp16"]
    assert entry.report is not None and 0.45 < entry.report.bytes_ratio < 0.55
    assert entry.report.metrics["mean_px_error"] < 0.5
    model = edgeward.load(str(pkg), variant="fp16")  # float32 in and out: the same runtime contract
    assert model.model.session.get_inputs()[0].type == "tensor(float)"
    assert model.estimate_poses(camera, score_threshold=0.3)


def test_quantize_bad_variant_is_one_line(posenet_copy: Path) -> None:
    result = CliRunner().invoke(app, ["quantize", str(posenet_copy), "--to", "int4"])
    assert result.exit_code == 2  # Typer's usage error: --to is an Enum
    assert "'int4' is not one of 'int8', 'fp16'" in result.output and "Traceback" not in result.output
