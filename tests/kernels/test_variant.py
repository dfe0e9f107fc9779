"""``edgeward quantize PKG --to int8 --target kernels`` on a copy of the real PoseNet package: written only if
the accuracy gate passes at every input size the package carries; then the Python runtime runs the file at
each of them, bit for bit as its oracle (and the browser, tests/browser/test_kernels.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import edgeward
from edgeward.cli import app
from edgeward.errors import OptionError
from edgeward.kernels import oracle
from edgeward.kernels.plan import read_plan
from edgeward.kernels.variant import make_kernels_variant
from edgeward.optimize.gate import GateSpec
from edgeward.package.manifest import read_manifest
from edgeward.runtime.model import Model


@pytest.fixture(scope="module")
def package(posenet_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fp32 at both sizes, no variants."""
    copy = tmp_path_factory.mktemp("kernels") / "posenet"
    copy.mkdir()
    data = json.loads((posenet_dir / "manifest.json").read_text())
    data["files"] = {k: data["files"][k] for k in ("fp32", "fp32@257x257")}
    for entry in data["files"].values():
        shutil.copyfile(posenet_dir / entry["path"], copy / entry["path"])
    (copy / "manifest.json").write_text(json.dumps(data, indent=2) + "\n")
    return copy


def test_a_gate_it_cannot_pass_writes_nothing_and_says_at_which_size(package: Path) -> None:
    result = make_kernels_variant(package, gate=GateSpec(min_agreement=0.999))
    assert not result.passed and not result.installed
    assert "int8-kernels" not in read_manifest(package / "manifest.json").files
    assert not list(package.glob("*.ewk"))
    explained = result.explain()
    assert explained.startswith("int8-kernels variant not written: accuracy gate at 385x385: failed: "
                                "keypoint agreement")
    assert "at 257x257: failed: keypoint agreement" in explained and "< 99.9%" in explained


def test_written_and_run_by_python_at_every_size_as_the_oracle_computes(package: Path) -> None:
    out = CliRunner().invoke(app, ["quantize", str(package), "--to", "int8", "--target", "kernels", "--json"])
    assert out.exit_code == 0, out.output
    manifest = read_manifest(package / "manifest.json")
    entry = manifest.files["int8-kernels"]
    assert entry.path == "model.int8-kernels.ewk" and entry.report is not None
    report = entry.report
    assert report.target == "kernels" and report.gate_passed
    for suffix in ("", "@257x257"):  # judged at both sizes, each against its own fp32 file
        assert report.metrics[f"keypoint_agreement{suffix}"] >= 0.95
        assert report.metrics[f"mean_px_error{suffix}"] <= 2.0
    assert report.bytes_ratio <= 0.35
    assert "one file for every input size (385x385, 257x257)" in report.method

    plan = read_plan(package / entry.path)
    model = Model(package, "int8-kernels")
    x = np.random.default_rng(0).uniform(-1, 1, (1, 385, 385, 3)).astype(np.float32)
    small = np.random.default_rng(1).uniform(-1, 1, (1, 257, 257, 3)).astype(np.float32)
    for name, value in model.run({"image": x}).items():
        assert np.array_equal(value, oracle.run(plan, x)[name])
    at257 = model.runner_at((257, 257))({"image": small})
    assert {k: v.shape[1:3] for k, v in at257.items()} == {k: (17, 17) for k in at257}
    with pytest.raises(OptionError, match="193x193"):
        model.runner_at((193, 193))

    handle = edgeward.load(str(package), variant="int8-kernels")
    fp32 = edgeward.load(str(package))
    from edgeward.runtime.samples import sample_path

    photo = sample_path("astronaut.png")
    poses, ref = (h.estimate_poses(photo, max_poses=1, score_threshold=0.3) for h in (handle, fp32))
    near = [abs(a["x"] - b["x"]) <= 8 and abs(a["y"] - b["y"]) <= 8
            for a, b in zip(ref[0]["keypoints"], poses[0]["keypoints"], strict=True) if a["score"] >= 0.5]
    assert len(near) >= 5 and all(near)

    again = CliRunner().invoke(app, ["quantize", str(package), "--to", "int8", "--target", "kernels",
                                     "--if-missing", "--json"])
    assert again.exit_code == 0 and json.loads(again.output)["written"] is False
