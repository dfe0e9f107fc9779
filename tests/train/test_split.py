"""The stratified split: its exact definition, its properties on digits, and its refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edgeward.errors import OptionError, TrainingError
from edgeward.train.data import Dataset
from edgeward.train.prng import Rng
from edgeward.train.split import stratified_split


def test_each_class_holds_out_round_half_up_of_its_share(digits_data: Dataset,
                                                         digits_split: tuple[np.ndarray, np.ndarray]) -> None:
    train, test = digits_split
    for c, n_c in enumerate(digits_data.counts):
        assert np.count_nonzero(digits_data.y[test] == c) == math.floor(n_c * 0.3 + 0.5)
    assert len(test) == 539 and len(train) == 1797 - 539


def test_the_parts_are_sorted_disjoint_and_cover_everything(digits_split: tuple[np.ndarray, np.ndarray]) -> None:
    train, test = digits_split
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    assert sorted([*train.tolist(), *test.tolist()]) == list(range(1797))


def test_the_split_is_the_documented_draws() -> None:
    y = np.array([1, 0, 1, 0, 1, 1, 0, 1])
    rng = Rng(9)
    train, test = [], []
    for c in (0, 1):
        members = np.flatnonzero(y == c)
        shuffled = members[rng.shuffle(len(members))]
        n_test = math.floor(len(members) * 0.5 + 0.5)
        test += shuffled[:n_test].tolist()
        train += shuffled[n_test:].tolist()
    got = stratified_split(y, 0.5, 9)
    assert got[0].tolist() == sorted(train) and got[1].tolist() == sorted(test)


def test_the_seed_decides_the_split(digits_data: Dataset) -> None:
    a = stratified_split(digits_data.y, 0.3, 0)[1]
    assert np.array_equal(a, stratified_split(digits_data.y, 0.3, 0)[1])
    assert not np.array_equal(a, stratified_split(digits_data.y, 0.3, 1)[1])


def test_halves_round_up() -> None:
    # 5 * 0.3 = 1.5 → 2 held out; 3 * 0.5 = 1.5 → 2; 2.5 → 3
    assert len(stratified_split(np.array([0] * 5 + [1] * 5), 0.3)[1]) == 4
    assert len(stratified_split(np.array([0] * 5 + [1] * 3), 0.5)[1]) == 3 + 2


def test_no_test_split_keeps_everything_for_training() -> None:
    train, test = stratified_split(np.array([0, 1, 1, 0]), 0.0)
    assert train.tolist() == [0, 1, 2, 3] and test.tolist() == []


def test_a_class_left_without_training_examples_is_a_training_error() -> None:
    with pytest.raises(TrainingError, match="class 1 has 1 example"):
        stratified_split(np.array([0, 0, 0, 0, 1]), 0.5)
    with pytest.raises(TrainingError, match="class 0 has 2 example"):
        stratified_split(np.array([0, 0, 1, 1, 1, 1]), 0.75)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5, "0.3", None, True])
def test_a_bad_test_split_is_an_option_error(fraction: object) -> None:
    with pytest.raises(OptionError, match="test_split"):
        stratified_split(np.array([0, 1]), fraction)  # type: ignore[arg-type]
