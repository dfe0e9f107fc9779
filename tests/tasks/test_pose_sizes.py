"""Pose estimation at another input size the package carries (``input_size=257``: PoseNet's fp32@257x257 file)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import edgeward
from edgeward.errors import IntegrityError, ManifestError, OptionError
from edgeward.package.manifest import read_manifest
from edgeward.runtime.image import load_image
from edgeward.runtime.preprocess import letterbox
from edgeward.runtime.session import build_session, runner
from edgeward.tasks.handles import PoseHandle
from edgeward.tasks.pose import Frame, PoseOptions, decode_poses

SMALL = (257, 257)


def manual(posenet_dir: Path, image: np.ndarray, options: PoseOptions, roi: tuple[int, int, int, int] | None = None
           ) -> list[dict]:
    """Letterbox to 257 by hand, run the 257 file in a session of its own, decode at 257."""
    manifest = read_manifest(posenet_dir / "manifest.json")
    assert manifest.preprocess is not None
    pre = manifest.preprocess.model_copy(update={"size": list(SMALL)})
    frame = Frame(0, 0, image.shape[1])
    if roi is not None:
        x0, y0, x1, y1 = roi
        image, frame = image[y0:y1, x0:x1], Frame(x0, y0, image.shape[1])
    x, box = letterbox(image, pre)
    assert x.shape == (1, *SMALL, 3)
    run = runner(build_session(posenet_dir / manifest.files["fp32@257x257"].path))
    out = run({manifest.inputs[0].name: x})
    assert out[manifest.postprocess.outputs["heatmap"]].shape == (1, 17, 17, 17)  # type: ignore[union-attr]
    return decode_poses(manifest.postprocess, out, box, options, SMALL, frame)


def points(pose: dict) -> np.ndarray:
    return np.array([[k["x"], k["y"]] for k in pose["keypoints"]])


def test_257_is_a_letterbox_to_257_and_the_257_file(posenet: PoseHandle, posenet_dir: Path, astronaut: Path) -> None:
    image = load_image(astronaut)
    got = posenet.estimate_poses(image, score_threshold=0.0, input_size=257)
    assert got == manual(posenet_dir, image, PoseOptions(score_threshold=0.0))
    assert posenet.estimate_poses(image, score_threshold=0.0, input_size=[257, 257]) == got


def test_257_is_close_to_385_and_not_the_same(posenet: PoseHandle, astronaut: Path) -> None:
    small = posenet.estimate_poses(astronaut, score_threshold=0.0, input_size=257)[0]
    full = posenet.estimate_poses(astronaut, score_threshold=0.0)[0]
    sure = [i for i, (a, b) in enumerate(zip(small["keypoints"], full["keypoints"], strict=True))
            if min(a["score"], b["score"]) >= 0.9]
    assert len(sure) >= 5  # the face and the left shoulder
    distance = np.hypot(*(points(small) - points(full))[sure].T)
    assert distance.max() < 10, distance  # the same person, within a 385 heatmap cell (16 px at 512 / 385)
    assert distance.max() > 0.5 and small["score"] != full["score"]  # and the 257 file did run


def test_257_with_roi_and_mirroring(posenet: PoseHandle, posenet_dir: Path, astronaut: Path) -> None:
    image = load_image(astronaut)
    roi = (100, 0, 400, 330)
    options = PoseOptions(score_threshold=0.0, flip_horizontal=True)
    got = posenet.estimate_poses(image, score_threshold=0.0, flip_horizontal=True, roi=roi, input_size=257)
    assert got == manual(posenet_dir, image, options, roi)
    plain = posenet.estimate_poses(image, score_threshold=0.0, roi=roi, input_size=257)
    assert np.allclose(points(got[0])[:, 0], image.shape[1] - 1 - points(plain[0])[:, 0])


def test_one_session_per_size_made_on_first_use(posenet_dir: Path, astronaut: Path) -> None:
    handle = edgeward.load(str(posenet_dir))
    assert handle.model._sized == {}
    assert handle.model.runner_at((385, 385)) is handle.model.runner_at(None) is handle.model._run
    handle.estimate_poses(astronaut, input_size=257)
    first = handle.model.runner_at(SMALL)
    handle.estimate_poses(astronaut, input_size=(257, 257))
    assert list(handle.model._sized) == [SMALL] and handle.model.runner_at(SMALL) is first


def test_a_size_the_package_lacks(posenet: PoseHandle, astronaut: Path) -> None:
    with pytest.raises(OptionError, match=r"^posenet has no 300x300 input size \(it carries 385x385, 257x257\)$"):
        posenet.estimate_poses(astronaut, input_size=300)
    with pytest.raises(OptionError, match=r"input_size must be an integer or \[height, width\]"):
        posenet.estimate_poses(astronaut, input_size=(257,))


def test_int8_runs_fp32s_257_file(posenet_dir: Path, astronaut: Path) -> None:
    if "int8" not in read_manifest(posenet_dir / "manifest.json").files:
        pytest.fail("setup makes PoseNet's int8 variant (scripts/setup.sh: edgeward quantize posenet --to int8)")
    int8, fp32 = edgeward.load(str(posenet_dir), variant="int8"), edgeward.load(str(posenet_dir))
    assert int8.estimate_poses(astronaut, input_size=257) == fp32.estimate_poses(astronaut, input_size=257)
    assert int8.estimate_poses(astronaut, score_threshold=0.0) != fp32.estimate_poses(astronaut, score_threshold=0.0)


def test_a_size_file_is_no_variant(posenet_dir: Path) -> None:
    with pytest.raises(ManifestError, match="'fp32@257x257' is a file for another input size, not a variant"):
        edgeward.load(str(posenet_dir), variant="fp32@257x257")


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_the_size_file_is_checked_before_use(posenet_dir: Path, tmp_path: Path, astronaut: Path,
                                             damage: str) -> None:
    package = tmp_path / "posenet"
    shutil.copytree(posenet_dir, package)
    small = package / "model.fp32.257x257.onnx"
    if damage == "corrupt":
        data = bytearray(small.read_bytes())
        data[len(data) // 2] ^= 0xFF  # same size, another sha256
        small.write_bytes(bytes(data))
    else:
        small.unlink()
    handle = edgeward.load(str(package))  # the main file is intact
    assert handle.estimate_poses(astronaut, score_threshold=0.0)
    words = "sha256 .* does not match manifest" if damage == "corrupt" else "file listed in the manifest is missing"
    with pytest.raises(IntegrityError, match=rf"model\.fp32\.257x257\.onnx: {words}"):
        handle.estimate_poses(astronaut, input_size=257)
    assert handle.model._sized == {}  # nothing unverified was opened
