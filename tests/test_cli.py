"""The CLI: success paths print results; bad inputs print one clear line and exit non-zero."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgeward.cli import app
from tests.convert.tfjs_fixtures import small_cnn

runner = CliRunner()


def test_convert_prints_parity_table(tmp_path: Path, astronaut: Path) -> None:
    model_json = small_cnn(tmp_path / "m", (32, 32))
    out = tmp_path / "m.onnx"
    result = runner.invoke(app, ["convert", str(model_json), "-o", str(out), "--image", str(astronaut)])
    assert result.exit_code == 0, result.output
    assert "max abs diff" in result.output and "ok" in result.output
    assert out.is_file()


def test_convert_corrupt_model_json(tmp_path: Path) -> None:
    bad = tmp_path / "model.json"
    bad.write_text("{not json")
    result = runner.invoke(app, ["convert", str(bad), "-o", str(tmp_path / "o.onnx")])
    assert result.exit_code == 2  # a bad input file (ModelFormatError)
    assert "error:" in result.output and "model.json: not a valid TF.js model.json" in result.output
    assert "Traceback" not in result.output


def test_pose_json_matches_library(posenet_dir: Path, camera: Path) -> None:
    result = runner.invoke(app, ["pose", str(camera), "--model", str(posenet_dir), "--json"])
    assert result.exit_code == 0, result.output
    poses = json.loads(result.output)
    assert len(poses) == 1 and len(poses[0]["keypoints"]) == 17


def test_pose_table_and_multi(posenet_dir: Path, camera: Path) -> None:
    result = runner.invoke(app, ["pose", str(camera), "--model", str(posenet_dir), "--multi"])
    assert result.exit_code == 0, result.output
    assert "pose 1: score" in result.output and "left_shoulder" in result.output


@pytest.mark.parametrize(("name", "content", "message"), [
    ("missing.png", None, "missing.png: no such file"),
    ("notes.png", b"plain text, not pixels", "notes.png: not an image"),
])
def test_pose_bad_image(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["pose", str(path)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_unknown_package(camera: Path) -> None:
    result = runner.invoke(app, ["pose", str(camera), "--model", "no-such-model"])
    assert result.exit_code == 2 and "package 'no-such-model' is not in" in result.output


def test_unknown_zoo_recipe() -> None:
    result = runner.invoke(app, ["zoo", "build", "nope"])
    assert result.exit_code == 2 and "no zoo recipe named 'nope'" in result.output


@pytest.mark.browser
def test_pose_browser_prints_the_same_json(posenet_dir: Path, camera: Path) -> None:
    # A real process: Playwright's sync API cannot nest inside the browser tests' own session.
    py = json.loads(runner.invoke(app, ["pose", str(camera), "--json", "--multi"]).output)
    result = subprocess.run([sys.executable, "-m", "edgeward.cli", "pose", str(camera), "--json", "--multi",
                             "--browser"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    js = json.loads(result.stdout)
    assert len(js) == len(py) >= 1
    for a, b in zip(py[0]["keypoints"], js[0]["keypoints"], strict=True):
        assert a["name"] == b["name"] and abs(a["x"] - b["x"]) < 1.5 and abs(a["y"] - b["y"]) < 1.5


def test_detect_table_and_json(coffee: Path) -> None:
    table = runner.invoke(app, ["detect", str(coffee)])
    assert table.exit_code == 0, table.output
    assert "cup" in table.output
    found = json.loads(runner.invoke(app, ["detect", str(coffee), "--json"]).output)
    assert found[0]["label"] == "cup" and len(found[0]["box"]) == 4
