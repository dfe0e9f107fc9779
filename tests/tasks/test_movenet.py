"""MoveNet on real photos: its decoding, and agreement with PoseNet (an independent model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgeward.tasks.handles import TaskHandle
from edgeward.tasks.movenet import decode_movenet


def test_decode_single_maps_normalised_rows_to_input_pixels() -> None:
    out = np.zeros((1, 1, 17, 3), np.float32)
    out[0, 0, :, 0], out[0, 0, :, 1], out[0, 0, :, 2] = 0.25, 0.5, 0.8
    (pose,) = decode_movenet(out, 17, 192, 192, multipose=False, max_poses=1, score_threshold=0.5)
    assert np.allclose(pose.ys, 0.25 * 192 - 0.5) and np.allclose(pose.xs, 0.5 * 192 - 0.5)
    assert pose.score == pytest.approx(0.8)
    assert decode_movenet(out, 17, 192, 192, multipose=False, max_poses=1, score_threshold=0.9) == []


def test_decode_multipose_uses_box_score_and_orders_best_first() -> None:
    out = np.zeros((1, 3, 56), np.float32)
    out[0, :, 55] = [0.3, 0.9, 0.6]
    poses = decode_movenet(out, 17, 256, 256, multipose=True, max_poses=2, score_threshold=0.5)
    assert [round(p.score, 2) for p in poses] == [0.9, 0.6]


@pytest.mark.parametrize("image", ["astronaut", "camera"])
@pytest.mark.parametrize("variant", ["movenet_lightning", "movenet_thunder"])
def test_movenet_agrees_with_posenet(posenet: TaskHandle, image: str, variant: str,
                                     request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(image)
    movenet: TaskHandle = request.getfixturevalue(variant)
    a = posenet.estimate_poses(path, score_threshold=0.2)[0]["keypoints"]
    b = movenet.estimate_poses(path, score_threshold=0.2)[0]["keypoints"]
    both = [(p, q) for p, q in zip(a, b, strict=True) if p["score"] >= 0.5 and q["score"] >= 0.5]
    assert len(both) >= 5, "too few confident keypoints to compare"
    for p, q in both:
        assert p["name"] == q["name"]
        assert np.hypot(p["x"] - q["x"], p["y"] - q["y"]) <= 15, (p, q)


def test_multipose_raw_rows_are_keypoints_then_a_box(movenet_multipose: TaskHandle, astronaut: Path) -> None:
    """The decoder's layout assumption, checked on the real model's output: [1, 6, 17·3 + 5] rows
    of (y, x, score) normalised to the input, then ymin, xmin, ymax, xmax, score."""
    from edgeward.runtime.image import load_image
    from edgeward.runtime.preprocess import letterbox, to_input_dtype

    spec = movenet_multipose.manifest.inputs[0]
    x, _ = letterbox(load_image(astronaut), movenet_multipose.manifest.preprocess)
    out = movenet_multipose.run({spec.name: to_input_dtype(x, spec.dtype)})["Identity"]
    assert out.shape == (1, 6, 56)
    best = out[0, int(np.argmax(out[0, :, 55]))]
    kp, (ymin, xmin, ymax, xmax, score) = best[:51].reshape(17, 3), best[51:]
    assert 0 <= ymin < ymax <= 1 and 0 <= xmin < xmax <= 1 and score >= 0.3
    confident = kp[kp[:, 2] >= 0.5]
    assert len(confident) >= 5
    assert np.all((confident[:, 0] >= ymin) & (confident[:, 0] <= ymax))  # the box holds its keypoints
    assert np.all((confident[:, 1] >= xmin) & (confident[:, 1] <= xmax))


@pytest.mark.parametrize("image", ["astronaut", "camera"])
def test_multipose_finds_the_single_person(movenet_multipose: TaskHandle, movenet_thunder: TaskHandle, image: str,
                                           request: pytest.FixtureRequest) -> None:
    """Its best pose is the same person Thunder sees: the face keypoints agree within 10 px.
    (Shoulders are placed differently by the two models on these photos, up to ~35 px.)"""
    path: Path = request.getfixturevalue(image)
    poses = movenet_multipose.estimate_poses(path, max_poses=6, score_threshold=0.2)
    assert len(poses) == 1, [p["score"] for p in poses]
    single = movenet_thunder.estimate_poses(path, score_threshold=0.2)[0]["keypoints"]
    face = {"nose", "left_eye", "right_eye", "left_ear", "right_ear"}
    both = [(p, q) for p, q in zip(poses[0]["keypoints"], single, strict=True)
            if p["name"] in face and p["score"] >= 0.5 and q["score"] >= 0.5]
    assert len(both) >= 3
    for p, q in both:
        assert np.hypot(p["x"] - q["x"], p["y"] - q["y"]) <= 10, (p, q)


def test_multipose_finds_several_people_in_a_group_photo(movenet_multipose: TaskHandle,
                                                         party_photo: np.ndarray) -> None:
    poses = movenet_multipose.estimate_poses(party_photo, max_poses=6, score_threshold=0.2)
    assert len(poses) >= 2
    centres = []
    for pose in poses:
        confident = [k for k in pose["keypoints"] if k["score"] >= 0.3]
        assert len(confident) >= 10
        centres.append((np.median([k["x"] for k in confident]), np.median([k["y"] for k in confident])))
    for i, a in enumerate(centres):  # different people, not one person found twice
        for b in centres[i + 1:]:
            assert np.hypot(a[0] - b[0], a[1] - b[1]) >= 100, centres
