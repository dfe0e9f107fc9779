"""Greedy class-wise non-maximum suppression, the oracle for web/src/tasks/nms.js."""

from __future__ import annotations

import numpy as np


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two [x1, y1, x2, y2] boxes (0 when either has no area)."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def nms(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou_threshold: float,
        max_detections: int) -> list[int]:
    """Indices kept, best first. Candidates are visited by score, ties in index order; a box is
    dropped when it overlaps a kept box of the same class by more than ``iou_threshold``."""
    order = sorted(range(len(scores)), key=lambda i: -float(scores[i]))  # stable: ties keep index order
    kept: list[int] = []
    for i in order:
        if len(kept) >= max_detections:
            break
        if all(classes[j] != classes[i] or iou(boxes[i], boxes[j]) <= iou_threshold for j in kept):
            kept.append(i)
    return kept
