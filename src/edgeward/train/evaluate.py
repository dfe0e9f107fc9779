"""Scores of predictions against the truth, mirrored by web/src/train/evaluate.js."""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeward.errors import TrainingError


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> list[list[int]]:
    """counts[true][predicted]."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise TrainingError(f"{len(y_true)} true classes but {len(y_pred)} predictions")
    for name, ys in (("true", y_true), ("predicted", y_pred)):
        if len(ys) and (ys.min() < 0 or ys.max() >= n_classes):
            raise TrainingError(f"a {name} class is outside 0..{n_classes - 1}")
    counts = [[0] * n_classes for _ in range(n_classes)]
    for t, p in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        counts[t][p] += 1
    return counts


def evaluate(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """{accuracy, per_class: [{label, count, accuracy}], confusion}. A class with no true examples has
    accuracy None; so has the whole when there are no examples at all."""
    confusion = confusion_matrix(y_true, y_pred, len(labels))
    per_class = []
    for c, label in enumerate(labels):
        count = sum(confusion[c])
        per_class.append({"label": label, "count": count, "accuracy": confusion[c][c] / count if count else None})
    total = len(np.asarray(y_true))
    correct = sum(confusion[c][c] for c in range(len(labels)))
    return {"accuracy": correct / total if total else None, "per_class": per_class, "confusion": confusion}
