"""Datasets: digits, CSV files (and each bad input named by file, line and column), validation, hash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgeward.errors import OptionError, TrainingError
from edgeward.train.data import Dataset, data_hash, from_csv


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


def test_digits_is_sklearns_set_scaled_to_the_unit_interval(digits_data: Dataset) -> None:
    d = digits_data
    assert d.x.shape == (1797, 64) and d.x.dtype == np.float64
    assert d.x.min() == 0.0 and d.x.max() == 1.0
    assert d.labels == [str(c) for c in range(10)]
    assert sum(d.counts) == 1797 and min(d.counts) == 174
    assert d.source == "sklearn:load_digits"


def test_a_csv_takes_the_last_column_as_the_label(tmp_path: Path) -> None:
    d = from_csv(_csv(tmp_path, "a,b,kind\n1,2,cat\n3,4.5,dog\n\n5,-6e-1,cat\n"))
    assert d.x.tolist() == [[1, 2], [3, 4.5], [5, -0.6]]
    assert d.labels == ["cat", "dog"] and d.y.tolist() == [0, 1, 0]


def test_a_named_label_column_and_numeric_labels_in_numeric_order(tmp_path: Path) -> None:
    d = from_csv(_csv(tmp_path, "digit,a,b\n10,1,2\n2,3,4\n10,5,6\n"), label_column="digit")
    assert d.labels == ["2", "10"] and d.y.tolist() == [1, 0, 1]
    assert d.x.tolist() == [[1, 2], [3, 4], [5, 6]]


@pytest.mark.parametrize(("text", "message"), [
    ("a,b,y\n1,2,x\n3,nan,z\n", r"data.csv, line 3, column 2 \('b'\): 'nan' is not a finite number"),
    ("a,b,y\n1,2,x\n3,four,z\n", r"data.csv, line 3, column 2 \('b'\): 'four' is not a number"),
    ("a,b,y\n1,,x\n3,4,z\n", r"line 2, column 2 \('b'\): '' is not a number"),
    ("a,b,y\n1,2,x\n3,4,x\n", r"data.csv: 1 class \(\['x'\]\); training needs at least 2"),
    ("a,b,y\n1,2,x\n3,z\n", r"data.csv, line 3: 2 cells, the header has 3"),
    ("a,b,y\n", r"no examples after the header"),
    ("", r"empty file"),
])
def test_bad_csv_data_is_a_training_error_naming_where(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        from_csv(_csv(tmp_path, text))


def test_an_unknown_label_column_is_an_option_error_listing_the_columns(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"data.csv: no label column 'label'; the columns are \['a', 'b', 'y'\]"):
        from_csv(_csv(tmp_path, "a,b,y\n1,2,x\n3,4,z\n"), label_column="label")


def test_a_missing_file_is_a_training_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingError, match=r"nope\.csv"):
        from_csv(tmp_path / "nope.csv")


def test_a_dataset_refuses_what_cannot_be_trained_on() -> None:
    x = np.zeros((4, 2))
    with pytest.raises(TrainingError, match=r"src: class 'c' has no examples"):
        Dataset(x, np.array([0, 1, 0, 1]), ["a", "b", "c"], "src")
    with pytest.raises(TrainingError, match="1 class"):
        Dataset(x, np.zeros(4, dtype=int), ["a"], "src")
    with pytest.raises(TrainingError, match=r"src: example 1, feature 0 is inf"):
        Dataset(np.array([[0.0, 1], [np.inf, 2]]), np.array([0, 1]), ["a", "b"], "src")
    with pytest.raises(TrainingError, match=r"src: row 1 has 1 features, row 0 has 2"):
        Dataset([[0.0, 1.0], [2.0]], np.array([0, 1]), ["a", "b"], "src")  # type: ignore[arg-type]
    with pytest.raises(TrainingError, match=r"outside 0\.\.1"):
        Dataset(np.zeros((2, 2)), np.array([0, 2]), ["a", "b"], "src")
    with pytest.raises(TrainingError, match="4 feature rows but labels of shape"):
        Dataset(x, np.array([0, 1]), ["a", "b"], "src")


def test_the_data_hash_is_stable_and_sees_every_part(digits_data: Dataset) -> None:
    h = data_hash(digits_data)
    assert len(h) == 64 and h == data_hash(Dataset(digits_data.x.copy(), digits_data.y, digits_data.labels, "copy"))
    x = digits_data.x.copy()
    x[5, 5] += 1e-12
    y = digits_data.y.copy()
    y[[0, 1]] = y[[1, 0]]  # classes 0 and 1
    changed = [Dataset(x, digits_data.y, digits_data.labels, "x"), Dataset(digits_data.x, y, digits_data.labels, "y"),
               Dataset(digits_data.x, digits_data.y, [*digits_data.labels[:9], "nine"], "labels")]
    assert len({h, *(data_hash(d) for d in changed)}) == 4
