"""k-nearest-neighbour classification on frozen features, mirrored by web/src/train/knn.js.

TF.js knn-classifier semantics: examples and queries are unit-normalised (a zero vector stays zero)
so cosine similarity is a dot product; the k = min(k, examples) most similar examples vote (ties in
similarity to the lower example index); the class with most votes wins (ties to the lower class
index) and each class's confidence is its votes / k.

Examples are stored as float32 (what an ONNX export holds); similarities are float64 dot products of
those float32 values summed in feature order (ops.py), so near-ties break the same way in JS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgeward.errors import OptionError, TrainingError
from edgeward.train import ops

DEFAULT_K = 3


def normalize(x: np.ndarray) -> np.ndarray:
    """Rows of x [n, d] divided by their L2 norm (summed in feature order), as float32; zero rows stay zero."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    norm = np.sqrt(ops.sum_cols(x * x))
    out = np.zeros_like(x)
    np.divide(x, norm[:, None], out=out, where=norm[:, None] > 0)
    return out.astype(np.float32)


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise OptionError(f"k must be an integer >= 1, got {k!r}")
    return int(k)


@dataclass(frozen=True)
class KnnModel:
    """``examples`` float32 [n, d], unit-normalised; ``example_labels`` their classes [n]."""

    examples: np.ndarray
    example_labels: np.ndarray
    k: int
    labels: list[str]

    def similarities(self, x: np.ndarray) -> np.ndarray:
        """Cosine similarity of one feature vector to every example (float64 [n])."""
        q = normalize(np.asarray(x, dtype=np.float64).reshape(1, -1))
        if q.shape[1] != self.examples.shape[1]:
            raise TrainingError(f"features have length {q.shape[1]}; the examples have {self.examples.shape[1]}")
        return ops.matmul(self.examples.astype(np.float64), q.astype(np.float64).T)[:, 0]

    def predict(self, x: np.ndarray) -> tuple[int, np.ndarray]:
        """(class index, confidences float64 [classes]) for one feature vector."""
        sims = self.similarities(x)
        k = min(self.k, len(sims))
        nearest = np.argsort(-sims, kind="stable")[:k]  # stable: equal similarities keep index order
        votes = np.bincount(self.example_labels[nearest], minlength=len(self.labels))
        return int(np.argmax(votes)), votes / k  # argmax: the first (lowest) class among equal votes

    def predict_many(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """predict() per row of x [m, d]: (classes [m], confidences [m, classes])."""
        results = [self.predict(row) for row in np.atleast_2d(x)]
        return (np.array([c for c, _ in results], dtype=np.int64),
                np.array([p for _, p in results], dtype=np.float64).reshape(len(results), len(self.labels)))


def fit_knn(x: np.ndarray, y: np.ndarray, labels: list[str], k: int = DEFAULT_K) -> KnnModel:
    """A KnnModel holding the normalised rows of x [n, d] with classes y [n] (indices into labels)."""
    y = np.asarray(y, dtype=np.int64)
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if len(x) == 0 or len(x) != len(y):
        raise TrainingError(f"KNN needs examples: {len(x)} feature rows, {len(y)} labels")
    if not np.isfinite(x).all():
        raise TrainingError("KNN examples must be finite (a NaN or inf is in the features)")
    if y.min() < 0 or y.max() >= len(labels):
        raise TrainingError(f"KNN example classes must be in 0..{len(labels) - 1}")
    return KnnModel(normalize(x), y, check_k(k), list(labels))
