"""The stratified, seeded train/test split, mirrored exactly by web/src/train/split.js.

For each class in increasing class index, that class's example indices (ascending) are permuted by
one ``Rng(seed)``'s shuffle — one Rng for the whole split, classes drawn in order — and the first
``floor(n_c * test_split + 0.5)`` of them (round half up, the same in both languages) are held out.
Both index lists are returned sorted ascending.
"""

from __future__ import annotations

import math

import numpy as np

from edgeward.errors import OptionError, TrainingError
from edgeward.train.prng import Rng

DEFAULT_TEST_SPLIT = 0.3


def check_test_split(test_split: object) -> float:
    """``test_split`` as a float in [0, 1), or OptionError."""
    if isinstance(test_split, bool) or not isinstance(test_split, int | float) or not 0 <= test_split < 1:
        raise OptionError(f"test_split must be a number in [0, 1), got {test_split!r}")
    return float(test_split)


def stratified_split(y: np.ndarray, test_split: float = DEFAULT_TEST_SPLIT,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, test_idx), int64, each ascending. TrainingError when a class would keep no
    training example; classes are 0..max(y) and an empty one is skipped (Dataset refuses those)."""
    fraction = check_test_split(test_split)
    y = np.asarray(y, dtype=np.int64)
    rng = Rng(seed)
    train: list[int] = []
    test: list[int] = []
    for c in range(int(y.max()) + 1 if len(y) else 0):
        members = np.flatnonzero(y == c)
        shuffled = members[rng.shuffle(len(members))]
        n_test = math.floor(len(members) * fraction + 0.5)
        if len(members) and n_test >= len(members):
            raise TrainingError(f"class {c} has {len(members)} example(s): a test split of {fraction} "
                                f"holds out {n_test}, leaving none to train on")
        test.extend(int(i) for i in shuffled[:n_test])
        train.extend(int(i) for i in shuffled[n_test:])
    return np.array(sorted(train), dtype=np.int64), np.array(sorted(test), dtype=np.int64)
