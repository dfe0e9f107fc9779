"""A zoo package gains the input sizes its recipe carries without being rebuilt (``edgeward zoo build``
on a package already in the store: its quantized variants stay)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from edgeward.package.manifest import read_manifest
from edgeward.package.store import verify_file
from edgeward.zoo.posenet import RECIPE
from edgeward.zoo.tfjs_recipe import add_sizes


def test_missing_sizes_are_added_and_nothing_else_changes(posenet_dir: Path, tmp_path: Path) -> None:
    assert RECIPE.sizes == ((257, 257),)
    built = json.loads((posenet_dir / "manifest.json").read_text())
    package = tmp_path / "posenet"
    shutil.copytree(posenet_dir, package)
    (package / "model.fp32.257x257.onnx").unlink()
    older = json.loads(json.dumps(built))
    del older["files"]["fp32@257x257"]
    (package / "manifest.json").write_text(json.dumps(older, indent=2) + "\n")  # the package before sizes
    steps: list[str] = []
    assert add_sizes(RECIPE, package, on_step=steps.append) == ["fp32@257x257"]
    assert any("257x257: verifying on" in s for s in steps)  # converted and checked against TF.js at 257
    manifest = read_manifest(package / "manifest.json")
    entry = manifest.files["fp32@257x257"]
    verify_file(package, entry)
    assert 0 < max(entry.parity_max_abs_diff.values()) <= RECIPE.tolerance
    after = json.loads((package / "manifest.json").read_text())
    assert after["files"].pop("fp32@257x257") == built["files"]["fp32@257x257"]  # the conversion is deterministic
    assert after == older  # the variants and every other field as they were
    text = (package / "manifest.json").read_text()
    assert add_sizes(RECIPE, package) == []  # idempotent: nothing to do, nothing written
    assert (package / "manifest.json").read_text() == text
