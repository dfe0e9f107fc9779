"""--json on every command that prints data: stdout is one JSON document, notes go to stderr."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgeward.cli import app
from edgeward.cli.output import Column, print_json, table
from edgeward.package.manifest import read_manifest
from tests.convert.tfjs_fixtures import small_cnn

runner = CliRunner()


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_print_json_writes_what_commands_return(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"path": Path("/a/b"), "vector": np.arange(3, dtype=np.float32), "score": np.float32(0.5)})
    assert json.loads(capsys.readouterr().out) == {"path": "/a/b", "vector": [0.0, 1.0, 2.0], "score": 0.5}


def test_table_formats_cells() -> None:
    shown = table([{"name": "[PAD]", "score": 0.12345, "tags": ["x", "y"]}, {"name": "b"}],
                  [Column("name"), Column("score", fmt=".2f", right=True), Column("tags")])
    cells = [[str(cell) for cell in c.cells] for c in shown.columns]
    assert cells == [["[PAD]", "b"], ["0.12", "-"], ["x, y", "-"]]  # a label in brackets is not markup


def test_zoo_list_and_list(posenet_dir: Path) -> None:
    zoo = _json(["zoo", "list", "--json"])
    assert isinstance(zoo, list)
    posenet = next(p for p in zoo if p["name"] == "posenet")
    assert posenet["task"] == "pose" and "fp32" in posenet["variants"]
    listed = _json(["list", "posenet", "--json"])
    assert isinstance(listed, list) and {p["name"] for p in listed} >= {"posenet"}
    assert set(listed[0]) == {"name", "latest", "versions", "task"}
    assert "packages in the local store" in runner.invoke(app, ["zoo", "list"]).output


def test_pack_json(posenet_dir: Path, tmp_path: Path) -> None:
    found = _json(["pack", str(shutil.copytree(posenet_dir, tmp_path / "pkg")), "-o", str(tmp_path / "store"),
                   "--json"])
    assert found == {"path": str(tmp_path / "store" / "posenet" / "1.0.0"), "format": "folder"}


def test_quantize_if_missing_json(posenet_dir: Path) -> None:
    if "fp16" not in read_manifest(posenet_dir / "manifest.json").files:
        pytest.skip("the store's posenet has no fp16 variant (scripts/setup.sh makes it)")
    found = _json(["quantize", str(posenet_dir), "--to", "fp16", "--if-missing", "--json"])
    assert found == {"package": str(posenet_dir), "variant": "fp16", "path": str(posenet_dir / "model.fp16.onnx"),
                     "written": False}


def test_convert_json(tmp_path: Path, astronaut: Path) -> None:
    model_json = small_cnn(tmp_path / "m", (32, 32))
    result = runner.invoke(app, ["convert", str(model_json), "-o", str(tmp_path / "m.onnx"), "--image",
                                 str(astronaut), "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["framework"] == "tfjs" and found["cases"] and max(found["max_abs_diff"].values()) < 2e-3
    assert "ok" in result.stderr  # the verdict for people, beside the JSON


def test_embed_json_and_table(coffee: Path) -> None:
    features = _json(["embed", str(coffee), "--json"])
    assert isinstance(features, list) and len(features) == 1280
    shown = runner.invoke(app, ["embed", str(coffee)])
    assert shown.exit_code == 0 and "l2_norm" in shown.output and "1280" in shown.output
