"""Accuracy-gated int8 PoseNet: the must-show figures, the manifest entry, and a gate that fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

import edgeward
from edgeward.optimize.gate import GateSpec, measure, reference_inputs
from edgeward.optimize.quantize import QuantizeResult, Recipe, quantize_package
from edgeward.optimize.timing import slow_prefix
from edgeward.package.manifest import read_manifest
from edgeward.runtime.samples import sample_path
from edgeward.runtime.session import build_session as session
from edgeward.runtime.session import runner
from edgeward.zoo.photos import Photo, calibration_photos, heldout_photos, looks_alike


def test_calibration_and_heldout_photos_are_disjoint() -> None:
    held, calib = heldout_photos(), calibration_photos()
    assert len(held) == 12 and len(calib) >= 30
    assert not {p.name for p in held} & {p.name for p in calib}
    assert not [(h.name, c.name) for h in held for c in calib if looks_alike(h.rgb, c.rgb)]


def test_posenet_int8_passes_the_gate_with_the_must_show_figures(posenet_int8: QuantizeResult) -> None:
    r = posenet_int8.entry.report  # type: ignore[attr-defined]
    assert posenet_int8.passed and posenet_int8.installed, posenet_int8.explain()
    assert r.bytes_ratio <= 0.3
    assert r.metrics["keypoint_agreement"] >= 0.95
    assert r.metrics["mean_px_error"] <= 2.0  # over matched poses, misses included
    assert r.metrics["keypoints"] >= 300 and r.metrics["poses"] >= 25  # multi-pose, group photos included
    assert len(r.heldout) == 12 and len(r.calibration) >= 30
    assert "pair-saturation guard" in r.method and "bias correction" in r.method
    # For scale: fp32 against itself with ±1 grey level of noise.
    assert 0.95 <= r.metrics["fp32_noise_keypoint_agreement"] < 1.0
    # Speed is the bench's and the report's business (a shared machine's timings do not belong in a
    # test): here the timings must be recorded, and the speed-up figure must be the one they give.
    assert all(r.native_ms[k] > 0 for k in ("fp32", "int8", "fp32_1thread", "int8_1thread")), r.native_ms
    assert r.metrics["native_speedup_1thread"] == pytest.approx(
        r.native_ms["fp32_1thread"] / r.native_ms["int8_1thread"], rel=1e-2)


def test_search_keeps_slow_leading_convolutions_fp32(posenet_int8: QuantizeResult) -> None:
    """The nodes kept fp32 are a prefix of the graph that onnxruntime runs no faster in int8 (on
    this machine: the 3×3 convolution on the image and the first depthwise one), plus any the
    mixed-precision search added; the timings behind the choice are kept."""
    search = posenet_int8.search
    assert search is not None and search.node_ms, "the per-convolution timings were not kept"
    fp32 = posenet_int8.directory / "model.fp32.onnx"
    # The decision follows the timings: exactly the leading convolutions not faster in int8, up to the
    # first that is (on one CPU that prefix may be empty, on another not: what matters is that the
    # quantizer did what its own measurements say), and every one of them is kept fp32.
    assert search.slow_in_int8 == slow_prefix(fp32, search.node_ms)
    first = next(n.name for n in onnx.load(str(fp32)).graph.node if n.op_type == "Conv" and n.name in search.node_ms)
    assert (first in search.slow_in_int8) == (search.node_ms[first][1] >= search.node_ms[first][0])
    assert set(search.slow_in_int8) <= set(search.excluded)


def test_int8_variant_is_in_the_manifest_and_loads(posenet_int8: QuantizeResult, astronaut: Path) -> None:
    manifest = read_manifest(posenet_int8.directory / "manifest.json")
    entry = manifest.files["int8"]
    assert entry.path == "model.int8.onnx" and entry.report is not None
    assert entry.bytes == (posenet_int8.directory / entry.path).stat().st_size
    fp32 = edgeward.load(str(posenet_int8.directory))
    int8 = edgeward.load(str(posenet_int8.directory), variant="int8")  # sha256-verified before use
    a = fp32.estimate_poses(astronaut, score_threshold=0.3)[0]["keypoints"]
    b = int8.estimate_poses(astronaut, score_threshold=0.3)[0]["keypoints"]
    close = [np.hypot(p["x"] - q["x"], p["y"] - q["y"]) < 8 for p, q in zip(a, b, strict=True) if p["score"] >= 0.5]
    assert sum(close) >= 0.9 * len(close)


def test_too_tight_a_gate_fails_with_a_clear_message(posenet_int8: QuantizeResult) -> None:
    directory = posenet_int8.directory
    manifest = read_manifest(directory / "manifest.json")
    feeds = reference_inputs(heldout_photos(), manifest)
    reference = [runner(session(directory / "model.fp32.onnx"))(f) for f in feeds]
    result = measure(manifest, feeds, reference, runner(session(directory / "model.int8.onnx")),
                     GateSpec(max_mean_px=0.1))
    assert not result.passed
    assert result.message.startswith("failed: mean keypoint error") and "> 0.1 px" in result.message


def test_naive_calibration_fails_the_gate_and_writes_nothing(posenet_copy: Path, tmp_path: Path) -> None:
    """Calibrated on photos without people, with none of the refinements and no mixed-precision
    search, int8 PoseNet fails."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name in ("manifest.json", "model.fp32.onnx"):
        shutil.copyfile(posenet_copy / name, pkg / name)
    before = (pkg / "manifest.json").read_text()
    no_people = tmp_path / "no-people"
    no_people.mkdir()
    for name in ("coffee.png", "chelsea.png", "rocket.jpg", "coins.png"):
        shutil.copyfile(sample_path(name), no_people / name)
    naive = Recipe(pair_guard=False, bias_correction=False, speed_aware=False)
    result = quantize_package(pkg, "int8", calibration_dir=no_people, steps=(), recipe=naive, timing_runs=5)
    assert not result.passed and not result.installed
    message = result.explain()
    assert message.startswith("int8 variant not written: accuracy gate failed: keypoint agreement"), message
    assert (pkg / "manifest.json").read_text() == before and not (pkg / "model.int8.onnx").exists()


def test_calibration_folder_errors(tmp_path: Path) -> None:
    from edgeward.errors import EdgewardError
    from edgeward.optimize.calibration import photos_from_dir

    with pytest.raises(EdgewardError, match="calibration folder not found"):
        photos_from_dir(tmp_path / "missing")
    with pytest.raises(EdgewardError, match="no images"):
        photos_from_dir(tmp_path)


def test_photo_type_is_plain() -> None:
    p = Photo("x", "test", np.zeros((4, 4, 3), np.uint8))
    assert p.rgb.shape == (4, 4, 3)
