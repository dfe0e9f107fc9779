"""``edgeward pack --npm`` → ``npm install ./file.tgz`` in a fresh frontend project works, and the
installed folder is a verified package. tests/browser/test_npm_package.py loads it in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import edgeward
from edgeward.package.npm import pack_npm


@pytest.fixture(scope="module")
def frontend(posenet_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    project = tmp_path_factory.mktemp("frontend")
    (project / "package.json").write_text(json.dumps({"name": "frontend", "version": "0.0.0", "private": True}))
    tgz = pack_npm(posenet_dir, project)
    proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--offline", f"./{tgz.name}"],
                          cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return project


def test_npm_install_accepts_the_tarball(frontend: Path, posenet_dir: Path) -> None:
    installed = frontend / "node_modules" / "@edgeward-models" / "posenet"
    assert json.loads((frontend / "package.json").read_text())["dependencies"]["@edgeward-models/posenet"] == \
        "file:edgeward-models-posenet-1.0.0.tgz"
    assert (installed / "model.fp32.onnx").read_bytes() == (posenet_dir / "model.fp32.onnx").read_bytes()
    assert edgeward.load(str(installed)).manifest == edgeward.load(str(posenet_dir)).manifest  # verified in Python
