"""Pose estimation with the real PoseNet on real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from edgeward.errors import EdgewardError, ImageError
from edgeward.runtime.image import load_image
from edgeward.tasks.handles import TaskHandle

NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
         "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
         "left_knee", "right_knee", "left_ankle", "right_ankle"]


def by_name(pose: dict) -> dict[str, dict]:
    return {k["name"]: k for k in pose["keypoints"]}


def test_astronaut_face_and_shoulders(posenet: TaskHandle, astronaut: Path) -> None:
    poses = posenet.estimate_poses(astronaut, score_threshold=0.3)
    assert len(poses) == 1
    kp = by_name(poses[0])
    assert [k["name"] for k in poses[0]["keypoints"]] == NAMES
    # The astronaut faces the camera: her left eye/shoulder is on the image's right.
    assert 170 < kp["nose"]["x"] < 270 and 80 < kp["nose"]["y"] < 180
    assert kp["left_eye"]["x"] > kp["nose"]["x"] > kp["right_eye"]["x"]
    assert kp["left_shoulder"]["x"] > kp["right_shoulder"]["x"]
    assert kp["left_shoulder"]["y"] > kp["nose"]["y"]
    assert min(kp[n]["score"] for n in ("nose", "left_eye", "right_eye")) > 0.9


def test_default_threshold_drops_low_scoring_pose(posenet: TaskHandle, astronaut: Path, camera: Path) -> None:
    # The astronaut is half-length: her legs are out of frame, so her pose scores below 0.5.
    assert posenet.estimate_poses(astronaut) == []
    assert len(posenet.estimate_poses(camera)) == 1


def test_keypoints_map_back_through_letterbox(posenet: TaskHandle, astronaut: Path) -> None:
    """The same photo padded into a wide canvas and scaled gives the same keypoints, moved.

    In the wide canvas the person gets half the model's input resolution, hence a few px of slack."""
    img = load_image(astronaut)
    canvas = np.zeros((512, 1024, 3), np.uint8)
    canvas[:, 300:812] = img
    wide = Image.fromarray(canvas).resize((2048, 1024), Image.Resampling.BILINEAR)
    base = by_name(posenet.estimate_poses(img, score_threshold=0.3)[0])
    moved = by_name(posenet.estimate_poses(np.asarray(wide), score_threshold=0.3)[0])
    for name in ("nose", "left_eye", "right_eye", "left_shoulder"):
        assert abs(moved[name]["x"] / 2 - 300 - base[name]["x"]) < 6, name
        assert abs(moved[name]["y"] / 2 - base[name]["y"]) < 6, name


def test_flip_mirrors_x_only(posenet: TaskHandle, camera: Path) -> None:
    plain = posenet.estimate_poses(camera)[0]
    flipped = posenet.estimate_poses(camera, flip_horizontal=True)[0]
    for a, b in zip(plain["keypoints"], flipped["keypoints"], strict=True):
        assert a["name"] == b["name"]
        assert b["x"] == pytest.approx(511 - a["x"]) and b["y"] == a["y"]


def test_multi_pose_finds_the_person(posenet: TaskHandle, camera: Path) -> None:
    poses = posenet.estimate_poses(camera, max_poses=5, score_threshold=0.3)
    assert 1 <= len(poses) <= 5
    kp = by_name(poses[0])
    single = by_name(posenet.estimate_poses(camera)[0])
    assert abs(kp["nose"]["x"] - single["nose"]["x"]) < 2 and abs(kp["nose"]["y"] - single["nose"]["y"]) < 2


def test_multi_pose_returns_poses_best_first(posenet: TaskHandle, party_photo: np.ndarray) -> None:
    poses = posenet.estimate_poses(party_photo, max_poses=6, score_threshold=0.2)
    scores = [p["score"] for p in poses]
    assert len(scores) >= 3, scores  # a group photo: the order is something to check
    assert scores == sorted(scores, reverse=True), f"poses not best first: {scores}"


def test_bad_arguments(posenet: TaskHandle, tmp_path: Path, camera: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        posenet.estimate_poses(tmp_path / "missing.jpg")
    with pytest.raises(EdgewardError, match="max_poses must be at least 1"):
        posenet.estimate_poses(camera, max_poses=0)
