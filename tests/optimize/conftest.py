"""One int8 PoseNet per test session, made on a copy of the real package (the store stays as it is)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edgeward.optimize.quantize import QuantizeResult, quantize_package


@pytest.fixture(scope="session")
def posenet_copy(posenet_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("quantize") / "posenet"
    copy.mkdir()
    for name in ("manifest.json", "model.fp32.onnx"):  # fp32 only: this session makes the variants
        shutil.copyfile(posenet_dir / name, copy / name)
    manifest = copy / "manifest.json"
    import json

    data = json.loads(manifest.read_text())
    data["files"] = {"fp32": data["files"]["fp32"]}
    manifest.write_text(json.dumps(data, indent=2) + "\n")
    return copy


@pytest.fixture(scope="session")
def posenet_int8(posenet_copy: Path) -> QuantizeResult:
    return quantize_package(posenet_copy, "int8")
