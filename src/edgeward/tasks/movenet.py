"""MoveNet output decoding, the oracle for web/src/tasks/movenet.js.

MoveNet decodes inside its graph; each output row holds K (y, x, score) triples normalised to
the model input (continuous coordinates: 0 is the input's top/left edge, 1 its bottom/right), and
multi-pose rows end with a box (ymin, xmin, ymax, xmax, score). Positions are returned in
model-input pixel-centre coordinates (``x · W − 0.5``), like PoseNet's, so one letterbox mapping
serves both. A single-pose model's pose score is the mean keypoint score; a multi-pose model's is
its box score. Poses below ``score_threshold`` are dropped; the rest come best first.
"""

from __future__ import annotations

import numpy as np

from edgeward.errors import ManifestError
from edgeward.tasks.posenet import RawPose


def decode_movenet(output: np.ndarray, num_keypoints: int, input_h: int, input_w: int, multipose: bool,
                   max_poses: int, score_threshold: float) -> list[RawPose]:
    k = num_keypoints
    width = output.shape[-1] if multipose else 3 * k  # single: [1, 1, K, 3]
    if output.size % width or width < 3 * k + (5 if multipose else 0):
        raise ManifestError(f"MoveNet output has shape {list(output.shape)}, expected rows of {3 * k}"
                            f"{' + 5' if multipose else ''} values")
    rows = output.reshape(-1, width)
    poses = []
    for row in rows:
        kp = row[: 3 * k].reshape(k, 3).astype(np.float64)
        scores = kp[:, 2]
        score = float(row[3 * k + 4]) if multipose else float(scores.mean())
        if score >= score_threshold:
            poses.append(RawPose(score, kp[:, 0] * input_h - 0.5, kp[:, 1] * input_w - 0.5, scores))
    poses.sort(key=lambda p: -p.score)  # stable: equal scores keep the model's order
    return poses[:max_poses]
