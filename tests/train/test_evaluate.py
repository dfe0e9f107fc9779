"""Accuracy, per-class accuracy and the confusion matrix [true][predicted]."""

from __future__ import annotations

import numpy as np
import pytest

from edgeward.errors import TrainingError
from edgeward.train.evaluate import confusion_matrix, evaluate


def test_the_confusion_matrix_counts_true_by_predicted() -> None:
    assert confusion_matrix(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]), 3) == [
        [1, 1, 0], [0, 1, 0], [1, 0, 1]]


def test_evaluate_reports_overall_and_per_class() -> None:
    r = evaluate(np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0]), ["cat", "dog", "owl"])
    assert r["accuracy"] == 3 / 5
    assert r["per_class"] == [{"label": "cat", "count": 2, "accuracy": 0.5},
                              {"label": "dog", "count": 3, "accuracy": 2 / 3},
                              {"label": "owl", "count": 0, "accuracy": None}]
    assert r["confusion"] == [[1, 1, 0], [1, 2, 0], [0, 0, 0]]
    assert evaluate(np.array([], dtype=int), np.array([], dtype=int), ["a", "b"])["accuracy"] is None


def test_mismatched_or_out_of_range_classes_are_training_errors() -> None:
    with pytest.raises(TrainingError, match="2 true classes but 1 predictions"):
        confusion_matrix(np.array([0, 1]), np.array([0]), 2)
    with pytest.raises(TrainingError, match=r"a predicted class is outside 0\.\.1"):
        confusion_matrix(np.array([0, 1]), np.array([0, 2]), 2)
