"""int8-wasm at the package's other input sizes (edgeward.optimize.size_variants): PoseNet's int8-wasm graph
declared at 257x257, judged by the gate at that size on onnxruntime-web's outputs, written only if it passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnx
import pytest

from edgeward.optimize.gate import GateSpec
from edgeward.optimize.size_variants import add_size_variants, at_input_size
from edgeward.package.manifest import MANIFEST_FILE, read_manifest
from edgeward.package.store import verify_file

KEY = "int8-wasm@257x257"


@pytest.fixture
def package(posenet_dir: Path, tmp_path: Path) -> Path:
    """A copy of the zoo's PoseNet without its int8-wasm at 257 (setup makes one)."""
    if "int8-wasm" not in read_manifest(posenet_dir / MANIFEST_FILE).files:
        pytest.fail("the posenet package has no int8-wasm: scripts/setup.sh makes it (edgeward quantize --target wasm)")
    folder = Path(shutil.copytree(posenet_dir, tmp_path / "posenet"))
    data = json.loads((folder / MANIFEST_FILE).read_text())
    if KEY in data["files"]:
        (folder / data["files"].pop(KEY)["path"]).unlink()
        (folder / MANIFEST_FILE).write_text(json.dumps(data))
    return folder


def test_the_graph_is_declared_at_the_size_and_shapes_are_left_to_infer(posenet_dir: Path) -> None:
    model = onnx.load(str(posenet_dir / "model.int8-wasm.onnx"))
    at = at_input_size(model, (257, 193))
    assert [d.dim_value for d in at.graph.input[0].type.tensor_type.shape.dim] == [1, 257, 193, 3]
    assert not at.graph.value_info and all(not o.type.tensor_type.HasField("shape") for o in at.graph.output)
    assert [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim] == [1, 385, 385, 3]  # a copy


def test_written_with_the_gate_judged_on_wasm_and_its_timings(package: Path) -> None:
    (made,) = add_size_variants(package, "int8-wasm", wasm_runs=3)
    assert made.key == KEY and made.not_written is None and made.gate.passed
    entry = read_manifest(package / MANIFEST_FILE).files[KEY]
    verify_file(package, entry)
    assert entry.path == "model.int8-wasm.257x257.onnx" and entry.report is not None
    r = entry.report
    assert r.target == "wasm" and r.gate_passed and "judged on onnxruntime-web WASM's outputs" in r.gate
    assert r.metrics["keypoint_agreement"] >= 0.95 and r.metrics["mean_px_error"] <= 2.0
    assert "native_keypoint_agreement" in r.metrics  # native onnxruntime's reading of the file, for the record
    assert set(r.wasm_ms) == {"fp32_1thread", "int8-wasm_1thread", "fp32_2threads", "int8-wasm_2threads"}
    assert r.bytes_ratio < 0.35
    assert add_size_variants(package, "int8-wasm", wasm_runs=3) == []  # nothing left to make


def test_a_failed_gate_writes_nothing(package: Path) -> None:
    before = (package / MANIFEST_FILE).read_bytes()
    (made,) = add_size_variants(package, "int8-wasm", GateSpec(min_agreement=1.0, max_mean_px=0.0), wasm_runs=3)
    assert made.not_written is not None and made.not_written.startswith("accuracy gate failed")
    assert (package / MANIFEST_FILE).read_bytes() == before
    assert not (package / "model.int8-wasm.257x257.onnx").exists()
