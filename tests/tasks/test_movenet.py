"""MoveNet on real photos: its decoding, and agreement with PoseNet (an independent model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgeward.runtime.model import Model
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
def test_movenet_agrees_with_posenet(posenet: Model, image: str, variant: str,
                                     request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(image)
    movenet: Model = request.getfixturevalue(variant)
    a = posenet.estimate_poses(path, score_threshold=0.2)[0]["keypoints"]
    b = movenet.estimate_poses(path, score_threshold=0.2)[0]["keypoints"]
    both = [(p, q) for p, q in zip(a, b, strict=True) if p["score"] >= 0.5 and q["score"] >= 0.5]
    assert len(both) >= 5, "too few confident keypoints to compare"
    for p, q in both:
        assert p["name"] == q["name"]
        assert np.hypot(p["x"] - q["x"], p["y"] - q["y"]) <= 15, (p, q)
