"""The digits set and its default 70/30 split, loaded once for the training tests."""

from __future__ import annotations

import numpy as np
import pytest

from edgeward.train.data import Dataset, digits
from edgeward.train.split import stratified_split


@pytest.fixture(scope="session")
def digits_data() -> Dataset:
    return digits()


@pytest.fixture(scope="session")
def digits_split(digits_data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    return stratified_split(digits_data.y, 0.3, 0)
