"""PoseNet decoding on constructed tensors, where the right answer is known exactly."""

from __future__ import annotations

import numpy as np

from edgeward.tasks.posenet import decode_multiple, decode_single
from edgeward.zoo.posenet import POSE_CHAIN

K, E, STRIDE, GRID = 17, 16, 16, 10
CHAIN = [(a, b) for a, b in POSE_CHAIN]


def empty() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (np.full((GRID, GRID, K), 0.01, np.float32), np.zeros((GRID, GRID, 2 * K), np.float32),
            np.zeros((GRID, GRID, 2 * E), np.float32), np.zeros((GRID, GRID, 2 * E), np.float32))


def place_person(scores: np.ndarray, offsets: np.ndarray, fwd: np.ndarray, bwd: np.ndarray,
                 cells: dict[int, tuple[int, int]], score: float) -> None:
    """Put every keypoint k at cell cells[k] with a small offset, and link the tree's displacements."""
    for k, (y, x) in cells.items():
        scores[y, x, k] = score
        offsets[y, x, k], offsets[y, x, K + k] = 1.5, -2.0
    for e, (parent, child) in enumerate(CHAIN):
        (py, px), (cy, cx) = cells[parent], cells[child]
        fwd[py, px, e], fwd[py, px, E + e] = (cy - py) * STRIDE, (cx - px) * STRIDE
        bwd[cy, cx, e], bwd[cy, cx, E + e] = (py - cy) * STRIDE, (px - cx) * STRIDE


def person(x0: int) -> dict[int, tuple[int, int]]:
    rows = [0, 0, 0, 0, 0, 2, 2, 4, 4, 5, 5, 6, 6, 8, 8, 9, 9]
    cols = [1, 2, 0, 3, -1, 2, 0, 3, -1, 3, -1, 2, 0, 2, 0, 2, 0]
    return {k: (rows[k], min(max(x0 + cols[k], 0), GRID - 1)) for k in range(K)}


def test_single_pose_takes_argmax_plus_offsets() -> None:
    scores, offsets, _, _ = empty()
    cells = person(1)
    for k, (y, x) in cells.items():
        scores[y, x, k] = 0.9
        offsets[y, x, k], offsets[y, x, K + k] = 3.0, -1.0
    pose = decode_single(scores, offsets, STRIDE)
    for k, (y, x) in cells.items():
        assert pose.ys[k] == y * STRIDE + 3.0 and pose.xs[k] == x * STRIDE - 1.0
    assert abs(pose.score - 0.9) < 1e-6


def test_multi_pose_finds_two_people_by_following_displacements() -> None:
    scores, offsets, fwd, bwd = empty()
    a, b = person(1), person(6)
    place_person(scores, offsets, fwd, bwd, a, 0.95)
    place_person(scores, offsets, fwd, bwd, b, 0.8)
    poses = decode_multiple(scores, offsets, fwd, bwd, STRIDE, CHAIN, max_poses=5, score_threshold=0.5,
                            nms_radius=8)
    assert len(poses) == 2
    assert poses[0].score > poses[1].score
    for pose, cells in zip(poses, (a, b), strict=True):
        for k, (y, x) in cells.items():
            assert (pose.ys[k], pose.xs[k]) == (y * STRIDE + 1.5, x * STRIDE - 2.0), k


def test_multi_pose_respects_max_poses_and_threshold() -> None:
    scores, offsets, fwd, bwd = empty()
    place_person(scores, offsets, fwd, bwd, person(1), 0.95)
    place_person(scores, offsets, fwd, bwd, person(6), 0.4)
    args = (scores, offsets, fwd, bwd, STRIDE, CHAIN)
    assert len(decode_multiple(*args, max_poses=1, score_threshold=0.3, nms_radius=8)) == 1
    assert len(decode_multiple(*args, max_poses=5, score_threshold=0.5, nms_radius=8)) == 1


def test_nms_suppresses_second_root_on_same_person() -> None:
    scores, offsets, fwd, bwd = empty()
    cells = person(2)
    place_person(scores, offsets, fwd, bwd, cells, 0.95)
    # A second, weaker local maximum of the nose two cells away: within a 40 px radius → suppressed.
    scores[2, 8, 0] = 0.9
    kwargs = {"max_poses": 5, "score_threshold": 0.5}
    assert len(decode_multiple(scores, offsets, fwd, bwd, STRIDE, CHAIN, nms_radius=200, **kwargs)) == 1
    found = decode_multiple(scores, offsets, fwd, bwd, STRIDE, CHAIN, nms_radius=1, **kwargs)
    assert len(found) >= 1 and all(p.score >= 0.5 for p in found)
