"""KNN on frozen features: TF.js knn-classifier semantics, its tie rules, and digits."""

from __future__ import annotations

import numpy as np
import pytest

from edgeward.errors import OptionError, TrainingError
from edgeward.train.data import Dataset
from edgeward.train.evaluate import evaluate
from edgeward.train.knn import fit_knn, normalize


def test_vectors_are_unit_normalised_and_zero_stays_zero() -> None:
    out = normalize(np.array([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]]))
    assert out.dtype == np.float32
    assert out.tolist() == [[0.6000000238418579, 0.800000011920929], [0.0, 0.0], [-1.0, 0.0]]


def test_neighbours_vote_and_confidence_is_votes_over_k() -> None:
    x = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.2, 0.8]])
    model = fit_knn(x, np.array([0, 0, 1, 1, 1]), ["a", "b"])
    cls, conf = model.predict(np.array([10.0, 1.0]))  # scale does not matter: cosine
    assert cls == 0 and conf.tolist() == [2 / 3, 1 / 3]
    cls, conf = model.predict(np.array([0.0, 3.0]))
    assert cls == 1 and conf.tolist() == [0.0, 1.0]


def test_equal_similarities_go_to_the_lower_example_index() -> None:
    # examples 1, 2 and 3 are the same vector: with k = 2 the nearest are 1 and 2 (classes 1, 2)
    x = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    model = fit_knn(x, np.array([0, 1, 2, 0]), ["a", "b", "c"], k=2)
    cls, conf = model.predict(np.array([1.0, 0.0]))
    assert conf.tolist() == [0.0, 0.5, 0.5] and cls == 1  # a vote tie too: the lower class wins


def test_equal_votes_go_to_the_lower_class_index() -> None:
    x = np.array([[1.0, 0.0], [1.0, 0.1]])
    model = fit_knn(x, np.array([1, 0]), ["a", "b"], k=2)
    cls, conf = model.predict(np.array([1.0, 0.0]))
    assert cls == 0 and conf.tolist() == [0.5, 0.5]  # the nearest is class 1, yet the tie goes to 0


def test_k_is_capped_at_the_number_of_examples() -> None:
    model = fit_knn(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1]), ["a", "b"], k=5)
    cls, conf = model.predict(np.array([1.0, 0.2]))
    assert cls == 0 and conf.tolist() == [0.5, 0.5]


def test_a_zero_query_has_zero_similarity_to_everything() -> None:
    model = fit_knn(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 2.0]]), np.array([1, 0, 0]), ["a", "b"], k=1)
    assert model.similarities(np.zeros(2)).tolist() == [0.0, 0.0, 0.0]
    assert model.predict(np.zeros(2))[0] == 1  # all tied: example 0


def test_knn_on_digits_is_accurate(digits_data: Dataset, digits_split: tuple[np.ndarray, np.ndarray]) -> None:
    train, test = digits_split
    model = fit_knn(digits_data.x[train], digits_data.y[train], digits_data.labels)
    classes, conf = model.predict_many(digits_data.x[test])
    assert conf.shape == (len(test), 10) and np.allclose(conf.sum(axis=1), 1.0)
    assert evaluate(digits_data.y[test], classes, digits_data.labels)["accuracy"] > 0.97


def test_bad_inputs() -> None:
    model = fit_knn(np.eye(3), np.array([0, 1, 1]), ["a", "b"])
    with pytest.raises(TrainingError, match="features have length 2; the examples have 3"):
        model.predict(np.zeros(2))
    with pytest.raises(OptionError, match="k must be an integer >= 1, got 0"):
        fit_knn(np.eye(3), np.array([0, 1, 1]), ["a", "b"], k=0)
    with pytest.raises(TrainingError, match="finite"):
        fit_knn(np.array([[np.nan, 1.0], [0.0, 1.0]]), np.array([0, 1]), ["a", "b"])
    with pytest.raises(TrainingError, match=r"0\.\.1"):
        fit_knn(np.eye(2), np.array([0, 2]), ["a", "b"])
