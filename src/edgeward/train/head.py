"""Linear (softmax regression) and MLP heads, trained by mini-batch gradient descent: the oracle of
web/src/train/head.js, which draws the same random numbers in the same order and sums in the same order.

The draws of one ``Rng(options.seed)``, in order:
  1. initialisation: Glorot-uniform weights, layer by layer, each W [in, out] row-major,
     W[i, j] = (2u - 1) * sqrt(6 / (in + out)); biases are zero (no draws);
  2. per epoch: one Fisher–Yates shuffle of the training indices (n_train - 1 draws); the shuffled
     order is cut into batches of ``batch_size`` (the last one may be smaller);
  3. per batch, only when dropout > 0: one mask per hidden layer, [batch, units] row-major, a unit
     kept when u >= dropout.
Features are standardised with the training split's mean and (population) std, std 1 for a feature
that is constant there; ``mean`` and ``std`` belong to the model. ``history`` records per epoch the
training figures as that epoch's running means over its batches (cross-entropy weighted by batch size,
accuracy counted on the same forward passes, dropout applied — as Keras reports them, and free: a
clean pass over the training split would cost about a third of an epoch), and the held-out split
scored without dropout after the epoch.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgeward.errors import TrainingError
from edgeward.train import ops
from edgeward.train.backprop import Layer, forward, scores, softmax, train_batch
from edgeward.train.data import Dataset
from edgeward.train.optim import Adam, Sgd
from edgeward.train.options import HeadOptions
from edgeward.train.prng import Rng

Data = Dataset | tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, list[str]]


@dataclass
class TrainedHead:
    """A trained head: ``predict_proba(features)`` standardises, runs the layers and applies softmax.
    ``best_epoch`` is the epoch whose weights these are (the last one unless early stopping)."""

    kind: str
    labels: list[str]
    mean: np.ndarray
    std: np.ndarray
    layers: list[Layer]
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities [m, classes] (float64) for raw features x [m, d]."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.shape[1] != len(self.mean):
            raise TrainingError(f"features have length {x.shape[1]}; this head takes {len(self.mean)}")
        if len(x) == 0:
            return np.zeros((0, len(self.labels)), dtype=np.float64)
        return softmax(forward(self.layers, (x - self.mean) / self.std)[0])

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The most probable class per row (the lower index on a tie)."""
        return np.argmax(self.predict_proba(x), axis=1)


def standardizer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) per feature over the rows of x, summed in row order; std 1 where x is constant."""
    n = len(x)
    mean = ops.sum_rows(x) / n
    diff = x - mean
    std = np.sqrt(ops.sum_rows(diff * diff) / n)
    std[x.max(axis=0) == x.min(axis=0)] = 1.0
    return mean, std


def glorot(rng: Rng, sizes: list[int]) -> list[Layer]:
    """Layers for ``sizes`` = [in, hidden…, out], drawn as the module docstring says."""
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        limit = math.sqrt(6.0 / (n_in + n_out))
        w = np.array([(2.0 * rng.uniform() - 1.0) * limit for _ in range(n_in * n_out)]).reshape(n_in, n_out)
        layers.append((w, np.zeros(n_out, dtype=np.float64)))
    return layers


def _unpack(data: Data) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if isinstance(data, Dataset):
        return data.x, data.y, data.labels
    x, y = np.asarray(data[0], dtype=np.float64), np.asarray(data[1], dtype=np.int64)
    labels = list(data[2]) if len(data) == 3 else [str(c) for c in range(int(y.max()) + 1)]
    d = Dataset(x, y, labels, "training data")
    return d.x, d.y, d.labels


class HeadTrainer:
    """One batch per ``step()``, so a caller (the CLI's progress bar, the browser worker) can report
    and cancel between batches. ``train_head`` runs it to the end."""

    def __init__(self, data: Data, train_idx: np.ndarray, test_idx: np.ndarray,
                 options: HeadOptions | Mapping[str, Any] | None = None) -> None:
        self.options = HeadOptions.of(options)
        x, y, self.labels = _unpack(data)
        self.train_idx = np.asarray(train_idx, dtype=np.int64)
        self.test_idx = np.asarray(test_idx, dtype=np.int64)
        if len(self.train_idx) == 0:
            raise TrainingError("the training split is empty")
        if self.options.patience is not None and len(self.test_idx) == 0:
            raise TrainingError("early stopping (patience) needs a held-out split; test_split is 0")
        self.mean, self.std = standardizer(x[self.train_idx])
        self.x = (x - self.mean) / self.std
        self.y = y
        o = self.options
        hidden = [o.hidden] if o.head == "mlp" else []
        self.rng = Rng(o.seed)
        self.layers = glorot(self.rng, [x.shape[1], *hidden, len(self.labels)])
        self.optimizer = (Adam(self.layers, o.learning_rate) if o.optimizer == "adam"
                          else Sgd(self.layers, o.learning_rate, o.momentum))
        self.history: list[dict[str, Any]] = []
        self.epoch = 0  # epochs completed
        self.batch = 0  # batches done in the current epoch
        self.order = self.train_idx
        self.best: tuple[float, int, list[Layer]] | None = None  # (test loss, epoch, layers)
        self.loss_sum, self.correct = 0.0, 0  # the running epoch's training loss × examples, hits
        self.done = False

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.train_idx) // self.options.batch_size)

    def step(self) -> dict[str, Any] | None:
        """Train on the next batch; at the end of an epoch, score it and return its history record."""
        if self.done:
            raise TrainingError("training has finished; call result()")
        o = self.options
        if self.batch == 0:
            self.order = self.train_idx[self.rng.shuffle(len(self.train_idx))]
            self.loss_sum, self.correct = 0.0, 0
        idx = self.order[self.batch * o.batch_size:(self.batch + 1) * o.batch_size]
        masks = None
        if o.dropout > 0:
            keep = 1.0 / (1.0 - o.dropout)
            masks = [np.where(self.rng.uniforms(len(idx) * w.shape[1]) >= o.dropout, keep, 0.0)
                     .reshape(len(idx), w.shape[1]) for w, _ in self.layers[:-1]]
        loss, correct, grads = train_batch(self.layers, self.x[idx], self.y[idx], masks)
        self.loss_sum += loss * len(idx)  # in batch order, as the JS adds it
        self.correct += correct
        self.optimizer.step(self.layers, grads)
        self.batch += 1
        if self.batch < self.batches_per_epoch:
            return None
        return self._end_epoch()

    def _end_epoch(self) -> dict[str, Any]:
        self.batch = 0
        self.epoch += 1
        n = len(self.train_idx)
        record: dict[str, Any] = {"epoch": self.epoch, "train_loss": self.loss_sum / n,
                                  "train_accuracy": self.correct / n,
                                  "test_loss": None, "test_accuracy": None}
        if len(self.test_idx):
            record["test_loss"], record["test_accuracy"] = scores(self.layers, self.x[self.test_idx],
                                                                  self.y[self.test_idx])
        self.history.append(record)
        patience = self.options.patience
        if patience is not None:
            if self.best is None or record["test_loss"] < self.best[0]:
                self.best = (record["test_loss"], self.epoch, [(w.copy(), b.copy()) for w, b in self.layers])
            elif self.epoch - self.best[1] >= patience:
                self.done = True
        if self.epoch == self.options.epochs:
            self.done = True
        return record

    def result(self) -> TrainedHead:
        """The trained head (the best epoch's weights under early stopping)."""
        epoch, layers = self.epoch, self.layers
        if self.best is not None:
            epoch, layers = self.best[1], self.best[2]
        return TrainedHead(self.options.head, list(self.labels), self.mean.copy(), self.std.copy(),
                           [(w.copy(), b.copy()) for w, b in layers], list(self.history), epoch,
                           self.options.to_dict())


def train_head(data: Data, train_idx: np.ndarray, test_idx: np.ndarray,
               options: HeadOptions | Mapping[str, Any] | None = None,
               on_epoch_end: Callable[[dict[str, Any]], object] | None = None) -> TrainedHead:
    """Train a linear or MLP head on ``data`` (a Dataset, or (x, y[, labels])) rows ``train_idx``,
    scoring rows ``test_idx`` after every epoch; ``on_epoch_end`` gets each history record."""
    trainer = HeadTrainer(data, train_idx, test_idx, options)
    while not trainer.done:
        record = trainer.step()
        if record is not None and on_epoch_end is not None:
            on_epoch_end(record)
    return trainer.result()
