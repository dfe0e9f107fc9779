"""Training data: a validated ``Dataset`` and its sources (scikit-learn's digits, a CSV file).

Image folders and pose keypoints become datasets through a base package (train/images.py); whatever
the source, a Dataset is float64 features [n, d], class indices [n] and the class names.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.errors import MissingExtraError, OptionError, TrainingError


@dataclass(frozen=True)
class Dataset:
    """Features ``x`` float64 [n, d], class indices ``y`` [n] into ``labels``; ``source`` names where
    they came from (a file, ``sklearn:load_digits``) and is quoted by every error."""

    x: np.ndarray
    y: np.ndarray
    labels: list[str]
    source: str

    def __post_init__(self) -> None:
        x = _matrix(self.x, self.source)
        y = np.asarray(self.y)
        if y.ndim != 1 or len(y) != len(x):
            raise TrainingError(f"{self.source}: {len(x)} feature rows but labels of shape {list(y.shape)}")
        if len(y) and not np.issubdtype(y.dtype, np.integer):
            raise TrainingError(f"{self.source}: class indices must be integers, got dtype {y.dtype}")
        labels = [str(label) for label in self.labels]
        if len(set(labels)) != len(labels):
            raise TrainingError(f"{self.source}: labels repeat: {labels}")
        if len(labels) < 2:
            raise TrainingError(f"{self.source}: {len(labels)} class ({labels}); training needs at least 2")
        bad = np.flatnonzero((y < 0) | (y >= len(labels)))
        if bad.size:
            raise TrainingError(f"{self.source}: example {int(bad[0])} has class {int(y[bad[0]])}, "
                                f"outside 0..{len(labels) - 1}")
        counts = np.bincount(y.astype(np.int64), minlength=len(labels))
        empty = [labels[c] for c in np.flatnonzero(counts == 0)]
        if empty:
            raise TrainingError(f"{self.source}: class {empty[0]!r} has no examples (classes: {labels})")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y.astype(np.int64))
        object.__setattr__(self, "labels", labels)

    @property
    def counts(self) -> list[int]:
        """Examples per class, in class order."""
        return [int(c) for c in np.bincount(self.y, minlength=len(self.labels))]


def _matrix(x: Any, source: str) -> np.ndarray:
    """``x`` as a finite float64 [n, d] with n, d >= 1; ragged rows and NaN/inf are named."""
    if isinstance(x, Sequence) and not isinstance(x, str | bytes):
        lengths = [len(row) for row in x]
        for i, n in enumerate(lengths):
            if n != lengths[0]:
                raise TrainingError(f"{source}: row {i} has {n} features, row 0 has {lengths[0]}")
    try:
        a = np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TrainingError(f"{source}: features are not numbers ({e})") from None
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise TrainingError(f"{source}: features must be a non-empty [examples, features] matrix, "
                            f"got shape {list(a.shape)}")
    bad = np.argwhere(~np.isfinite(a))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise TrainingError(f"{source}: example {i}, feature {j} is {a[i, j]} (features must be finite)")
    return a


def digits() -> Dataset:
    """scikit-learn's 1,797 8×8 digit images (shipped with the package): 64 pixels / 16 in [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise MissingExtraError("the digits data set ships with scikit-learn: "
                                "pip install 'edgeward[sklearn]'") from None
    d = load_digits()
    return Dataset(np.asarray(d.data, dtype=np.float64) / 16.0, np.asarray(d.target, dtype=np.int64),
                   [str(c) for c in range(10)], "sklearn:load_digits")


def from_csv(path: str | Path, label_column: str | None = None) -> Dataset:
    """A CSV whose first line names the columns: every column but ``label_column`` (default: the last)
    is a number; the label column's values are the classes, ordered numerically when they all are
    numbers, else as strings. Errors name the file, line and column."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            if not header:
                raise TrainingError(f"{path}: empty file (line 1 must name the columns)")
            if label_column is None:
                target = len(header) - 1
            elif label_column in header:
                target = header.index(label_column)
            else:
                raise OptionError(f"{path}: no label column {label_column!r}; the columns are {header}")
            rows, names = [], []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank lines
                if len(row) != len(header):
                    raise TrainingError(f"{path}, line {reader.line_num}: {len(row)} cells, "
                                        f"the header has {len(header)}")
                rows.append([_number(path, reader.line_num, header[j], j, cell)
                             for j, cell in enumerate(row) if j != target])
                names.append(row[target].strip())
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise TrainingError(f"{path}: cannot read it as CSV ({e})") from None
    if len(header) < 2:
        raise TrainingError(f"{path}: {len(header)} column; needs feature columns and a label column")
    if not rows:
        raise TrainingError(f"{path}: no examples after the header line")
    labels = sorted(set(names), key=_label_key(names))
    index = {label: c for c, label in enumerate(labels)}
    return Dataset(np.array(rows, dtype=np.float64), np.array([index[n] for n in names], dtype=np.int64),
                   labels, str(path))


def _number(path: Path, line: int, name: str, column: int, cell: str) -> float:
    where = f"{path}, line {line}, column {column + 1} ({name!r})"
    try:
        value = float(cell)
    except ValueError:
        raise TrainingError(f"{where}: {cell.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise TrainingError(f"{where}: {cell.strip()!r} is not a finite number")
    return value


def _label_key(names: list[str]) -> Any:
    """Numeric order when every label is a number ("2" before "10"), else string order."""
    try:
        for n in set(names):
            float(n)
    except ValueError:
        return str
    return lambda n: (float(n), n)


def data_hash(dataset: Dataset) -> str:
    """sha256 (hex) of ``edgeward-data/1 {n} {d}\\n``, x as little-endian float64 (row-major), y as
    little-endian int32 and the labels as compact JSON (UTF-8): what the training report records."""
    n, d = dataset.x.shape
    h = hashlib.sha256(f"edgeward-data/1 {n} {d}\n".encode())
    h.update(np.ascontiguousarray(dataset.x, dtype="<f8").tobytes())
    h.update(np.ascontiguousarray(dataset.y, dtype="<i4").tobytes())
    h.update(json.dumps(dataset.labels, ensure_ascii=False, separators=(",", ":")).encode())
    return h.hexdigest()
