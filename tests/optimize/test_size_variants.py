"""int8-wasm at the package's other input sizes (edgeward.optimize.size_variants): PoseNet's int8-wasm graph
declared at 257x257, judged by the gate at that size on onnxruntime-web's outputs, written only if it passes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import onnx
import pytest

from edgeward.optimize.calibration import calibration_inputs
from edgeward.optimize.gate import GateSpec
from edgeward.optimize.quantize import Recipe, _followers, quantize_int8
from edgeward.optimize.size_variants import add_size_variants, at_input_size
from edgeward.package.manifest import MANIFEST_FILE, VariantReport, read_manifest
from edgeward.package.store import install_variant, verify_file
from edgeward.zoo.photos import calibration_photos

KEY = "int8-wasm@257x257"


# The convolutions this int8-wasm keeps fp32: those `edgeward quantize --target wasm` kept on the machine
# these tests were written on (the first, the depthwise ones, the first three pointwise ones). The plan
# itself follows each machine's WASM timings, so the file setup makes differs between machines; the
# tests judge one fixed graph instead, so that their outcome does not depend on the CPU.
FP32_CONVS = re.compile(r"Conv2d_0/|Conv2d_\d+_depthwise/|Conv2d_[123]_pointwise/")


@pytest.fixture(scope="module")
def fixed_int8_wasm(posenet_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PoseNet's int8 with FP32_CONVS (and their Relu6) fp32, made as `quantize --target wasm` makes it."""
    manifest = read_manifest(posenet_dir / MANIFEST_FILE)
    fp32 = posenet_dir / manifest.files["fp32"].path
    keep = [n.name for n in onnx.load(str(fp32)).graph.node if n.op_type == "Conv" and FP32_CONVS.search(n.name)]
    assert len(keep) == 17, keep
    out = tmp_path_factory.mktemp("int8-wasm") / "model.int8-wasm.onnx"
    inputs = calibration_inputs(calibration_photos(), manifest, views_per_photo=Recipe().views_per_photo)
    quantize_int8(fp32, out, manifest.inputs[0].name, inputs, exclude=keep + _followers(fp32, keep))
    return out


@pytest.fixture
def package(posenet_dir: Path, fixed_int8_wasm: Path, tmp_path: Path) -> Path:
    """A copy of the zoo's PoseNet whose int8-wasm is the fixed graph, without an int8-wasm at 257."""
    folder = Path(shutil.copytree(posenet_dir, tmp_path / "posenet"))
    data = json.loads((folder / MANIFEST_FILE).read_text())
    for key in ("int8-wasm", KEY):
        if key in data["files"]:
            (folder / data["files"].pop(key)["path"]).unlink()
    (folder / MANIFEST_FILE).write_text(json.dumps(data))
    install_variant(folder, "int8-wasm", fixed_int8_wasm,
                    VariantReport(method="fixed for the tests", bytes_ratio=0.3, gate="", gate_passed=True,
                                  target="wasm", tool="tests"))
    return folder


def test_the_graph_is_declared_at_the_size_and_shapes_are_left_to_infer(fixed_int8_wasm: Path) -> None:
    model = onnx.load(str(fixed_int8_wasm))
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
