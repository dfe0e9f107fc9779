"""Training: the Python oracle of the browser trainer (web/src/train/). Pure numpy; see DESIGN.md.

data (Dataset, digits, from_csv, data_hash) → split (stratified_split) → knn (fit_knn) or head
(train_head: linear / MLP) → evaluate. prng is the one seeded generator both languages share.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from edgeward.train.data import Dataset, data_hash, digits, from_csv
from edgeward.train.evaluate import confusion_matrix, evaluate
from edgeward.train.head import HeadTrainer, TrainedHead, train_head
from edgeward.train.knn import KnnModel, fit_knn
from edgeward.train.options import HeadOptions
from edgeward.train.prng import Rng
from edgeward.train.split import stratified_split


class _TrainModule(types.ModuleType):
    """``edgeward.train(data, name, **options)`` trains and packages (``edgeward.train.pipeline.train``).
    The package itself is callable because importing it rebinds the name ``edgeward.train`` to it."""

    def __call__(self, data: Any, name: str, **options: Any) -> Any:
        from edgeward.train.pipeline import train

        return train(data, name, **options)


sys.modules[__name__].__class__ = _TrainModule

__all__ = ["Dataset", "HeadOptions", "HeadTrainer", "KnnModel", "Rng", "TrainedHead", "confusion_matrix",
           "data_hash", "digits", "evaluate", "fit_knn", "from_csv", "stratified_split", "train_head"]
