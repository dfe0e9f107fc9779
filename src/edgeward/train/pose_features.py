"""Pose features: one pose's keypoints → a fixed-length vector a head can learn. Mirrored, operation for
operation, by web/src/train/pose-features.js.

The vector (POSE_FEATURE_DIM = 51): for each of the 17 COCO keypoints in COCO order (``POSE_KEYPOINTS``,
PoseNet's and MoveNet's names; keypoints are found by name, not by position), three numbers ``x, y, v``:

* ``v`` is 1 when the keypoint scores at least ``threshold`` (default 0.3), else 0, and then ``x = y = 0``
  (masked: an unseen elbow says nothing about where it is);
* ``x, y`` are the keypoint relative to a **centre**, divided by a **scale** (y grows downwards, as in
  the image): the centre is the hips' midpoint when both hips are visible, else the shoulders'
  midpoint when both shoulders are, else the centre of the visible keypoints' bounding box; the scale
  is the torso — the distance between the shoulders' and the hips' midpoints — when all four are
  visible (and apart), else the longer side of that bounding box.

So the features do not change with where the person stands or how large they appear. A pose with fewer
than ``MIN_KEYPOINTS`` visible keypoints (or all of them at one point) is no pose to learn from: a
``TrainingError`` saying so. The arithmetic is float64 in a fixed order, rounded to float32 once at the
end, so the JS mirror gives the same float32 values for the same keypoints.

**Mirroring — the rule.** The features describe the subject as an unmirrored camera sees them, with the
subject's own left and right. Two different things mirror a pose:

* ``flip_horizontal=True`` (``estimate_poses``) mirrors x and keeps the model's names. On a picture as
  captured those names are the subject's own, so the features mirror x back: pass
  ``flip_horizontal=True`` and the pose gives the features of its unflipped estimate.
* A **mirrored picture** (a flipped photo, a camera that mirrors) shows the mirror image of the subject,
  and the model names the sides as they look there: measured on real photos of one person, PoseNet's
  and MoveNet's keypoints on the flipped photo, x mirrored back, lie a median 1-5 px from the original's
  keypoints of the *other* side (its left_wrist is their right_wrist). Pass ``mirrored=True``: left_*
  and right_* swap back.

x is negated when exactly one of the two holds; names swap when ``mirrored`` holds. A flipped photo
estimated with ``flip_horizontal=True`` (both) therefore gives the original photo's features up to model
noise, and a left-handed pose stays left-handed in every combination (tests/train/test_pose_features.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np

from edgeward.errors import OptionError, TrainingError

POSE_KEYPOINTS = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                  "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
                  "right_knee", "left_ankle", "right_ankle")
POSE_FEATURE_DIM = 3 * len(POSE_KEYPOINTS)
DEFAULT_THRESHOLD = 0.3
MIN_KEYPOINTS = 5
POSE_ESTIMATE = {"max_poses": 1, "score_threshold": 0.0}
"""How a training image's pose is estimated (Python and the browser worker): the best pose, whatever its
score — whether it is confident enough is decided per keypoint, above."""

_INDEX = {name: j for j, name in enumerate(POSE_KEYPOINTS)}
_LS, _RS, _LH, _RH = (_INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))


def swap_side(name: str) -> str:
    """left_X ↔ right_X; other names unchanged."""
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


def _keypoints(pose: Any) -> dict[str, tuple[float, float, float]]:
    """{name: (x, y, score)} of a pose ({score, keypoints} or its keypoints list), every COCO name once."""
    keypoints = pose.get("keypoints") if isinstance(pose, Mapping) else pose
    if not isinstance(keypoints, Sequence) or isinstance(keypoints, str):
        raise TrainingError("a pose is {score, keypoints: [{name, x, y, score}]} or its list of keypoints")
    found: dict[str, tuple[float, float, float]] = {}
    for i, kp in enumerate(keypoints):
        name = kp.get("name") if isinstance(kp, Mapping) else None
        if not isinstance(name, str) or name not in _INDEX:
            raise TrainingError(f"keypoint {i}: {name!r} is not one of the 17 COCO keypoints (PoseNet's, MoveNet's)")
        if name in found:
            raise TrainingError(f"keypoint '{name}' appears twice")
        values = []
        for field in ("x", "y", "score"):
            v = kp.get(field)
            if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v):
                raise TrainingError(f"keypoint '{name}': {field} is not a finite number")
            values.append(float(v))
        found[name] = (values[0], values[1], values[2])
    missing = [n for n in POSE_KEYPOINTS if n not in found]
    if missing:
        raise TrainingError(f"the pose has no '{missing[0]}' keypoint ({len(missing)} of the 17 COCO keypoints "
                            f"missing)")
    return found


def check_threshold(threshold: object) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or not 0 <= float(threshold) <= 1:
        raise OptionError(f"threshold must be a number in [0, 1], got {threshold!r}")
    return float(threshold)


def pose_features(pose: Any, *, threshold: float = DEFAULT_THRESHOLD, flip_horizontal: bool = False,
                  mirrored: bool = False) -> np.ndarray:
    """The float32 [POSE_FEATURE_DIM] features of ``pose`` (see the module's docstring for the rule)."""
    t = check_threshold(threshold)
    found = _keypoints(pose)
    # Canonical slot j holds the subject's own keypoint j: on a mirrored picture, the model's other side.
    pts = [found[swap_side(n) if mirrored else n] for n in POSE_KEYPOINTS]
    seen = [s >= t for _, _, s in pts]
    visible = sum(seen)
    if visible < MIN_KEYPOINTS:
        raise TrainingError(f"no confident pose: {visible} of 17 keypoints score at least {t} "
                            f"(pose features need {MIN_KEYPOINTS})")
    xs = [p[0] for p, ok in zip(pts, seen, strict=True) if ok]
    ys = [p[1] for p, ok in zip(pts, seen, strict=True) if ok]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def midpoint(a: int, b: int) -> tuple[float, float] | None:
        return (0.5 * (pts[a][0] + pts[b][0]), 0.5 * (pts[a][1] + pts[b][1])) if seen[a] and seen[b] else None

    hips, shoulders = midpoint(_LH, _RH), midpoint(_LS, _RS)
    cx, cy = hips or shoulders or (0.5 * (x0 + x1), 0.5 * (y0 + y1))
    scale = 0.0
    if hips is not None and shoulders is not None:
        dx, dy = shoulders[0] - hips[0], shoulders[1] - hips[1]
        scale = math.sqrt(dx * dx + dy * dy)
    if scale == 0.0:  # no torso, or a torso of no length
        scale = max(x1 - x0, y1 - y0)
    if scale == 0.0:
        raise TrainingError("no confident pose: its visible keypoints are all at one point")
    sign = -1.0 if flip_horizontal != mirrored else 1.0
    out = np.zeros(POSE_FEATURE_DIM, dtype=np.float64)
    for j, ((x, y, _), ok) in enumerate(zip(pts, seen, strict=True)):
        if ok:  # + 0.0: a mirrored 0 is +0, as in JS's Float32Array (no -0 in the features)
            out[3 * j] = sign * ((x - cx) / scale) + 0.0
            out[3 * j + 1] = (y - cy) / scale
            out[3 * j + 2] = 1.0
    return out.astype(np.float32)


def best_pose_features(poses: Sequence[Any], *, threshold: float = DEFAULT_THRESHOLD, flip_horizontal: bool = False,
                       mirrored: bool = False) -> np.ndarray:
    """``pose_features`` of the best (first) pose of an ``estimate_poses`` result; none is a TrainingError."""
    if not poses:
        raise TrainingError("no pose found")
    return pose_features(poses[0], threshold=threshold, flip_horizontal=flip_horizontal, mirrored=mirrored)
