"""Linear and MLP heads: gradients by finite differences, the documented draws, options, early
stopping, and the blank-training target on digits (>= 97 % held out after 10 epochs)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from edgeward.errors import OptionError, TrainingError
from edgeward.train.backprop import loss_and_grads
from edgeward.train.data import Dataset
from edgeward.train.head import HeadTrainer, glorot, standardizer, train_head
from edgeward.train.options import HeadOptions
from edgeward.train.prng import Rng

Split = tuple[np.ndarray, np.ndarray]


@pytest.mark.parametrize("dropout", [False, True])
def test_gradients_match_finite_differences(dropout: bool) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(6, 5)), np.array([0, 1, 2, 1, 0, 2])
    layers = [(rng.normal(size=(5, 4)), rng.normal(size=4)), (rng.normal(size=(4, 3)), rng.normal(size=3))]
    masks = [np.where(rng.uniform(size=(6, 4)) >= 0.3, 1 / 0.7, 0.0)] if dropout else None
    _, grads = loss_and_grads(layers, x, y, masks)
    h = 1e-6
    for (w, b), (gw, gb) in zip(layers, grads, strict=True):
        for p, g in ((w, gw), (b, gb)):
            numeric = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                keep = p[i]
                p[i] = keep + h
                up = loss_and_grads(layers, x, y, masks)[0]
                p[i] = keep - h
                down = loss_and_grads(layers, x, y, masks)[0]
                p[i] = keep
                numeric[i] = (up - down) / (2 * h)
            assert np.allclose(g, numeric, rtol=1e-6, atol=1e-8)


def test_the_loss_is_the_mean_cross_entropy() -> None:
    layers = [(np.zeros((2, 3)), np.log(np.array([1.0, 2.0, 5.0])))]
    loss, _ = loss_and_grads(layers, np.ones((2, 2)), np.array([2, 0]))
    assert math.isclose(loss, -(math.log(5 / 8) + math.log(1 / 8)) / 2, rel_tol=1e-15)


def test_initialisation_is_glorot_uniform_drawn_layer_by_layer_row_major() -> None:
    layers = glorot(Rng(4), [3, 5, 2])
    twin = Rng(4)
    for w, b in layers:
        limit = math.sqrt(6 / sum(w.shape))
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                assert w[i, j] == (2 * twin.uniform() - 1) * limit
        assert not b.any()


def test_standardisation_uses_the_training_rows_and_leaves_constant_features_alone() -> None:
    x = np.array([[1.0, 5.0, 0.1], [3.0, 5.0, 0.1], [5.0, 5.0, 0.1]])
    mean, std = standardizer(x)
    assert mean.tolist()[:2] == [3.0, 5.0] and std.tolist() == [math.sqrt(8 / 3), 1.0, 1.0]


def test_the_draw_order_is_init_then_a_shuffle_per_epoch_then_masks_per_batch() -> None:
    x, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
    trainer = HeadTrainer((x, y), np.arange(8), np.array([8, 9]),
                          {"head": "mlp", "hidden": 3, "batch_size": 3, "dropout": 0.5, "epochs": 2})
    twin = Rng(0)
    twin.uniforms(2 * 3 + 3 * 2)  # init
    twin.shuffle(8)
    twin.uniforms(3 * 3)  # first batch's mask
    assert trainer.step() is None
    twin.uniforms(3 * 3 + 2 * 3)  # batches of 3 and 2
    assert trainer.step() is None and trainer.step()["epoch"] == 1  # type: ignore[index]
    assert trainer.rng.state == twin.state


def test_training_is_deterministic_and_the_seed_matters(digits_data: Dataset, digits_split: Split) -> None:
    opts: dict[str, Any] = {"epochs": 2, "head": "linear"}
    a, b = train_head(digits_data, *digits_split, opts), train_head(digits_data, *digits_split, opts)
    c = train_head(digits_data, *digits_split, {**opts, "seed": 1})
    assert all(np.array_equal(p, q) for (p, _), (q, _) in zip(a.layers, b.layers, strict=True))
    assert not np.array_equal(a.layers[0][0], c.layers[0][0])


def test_the_mlp_learns_digits_from_scratch(digits_data: Dataset, digits_split: Split) -> None:
    seen: list[dict[str, Any]] = []
    head = train_head(digits_data, *digits_split, on_epoch_end=seen.append)  # the defaults
    assert head.kind == "mlp" and head.history == seen and [r["epoch"] for r in seen] == list(range(1, 11))
    assert set(seen[0]) == {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy"}
    assert seen[-1]["test_accuracy"] >= 0.97
    assert seen[-1]["train_loss"] < seen[0]["train_loss"]
    assert [w.shape for w, _ in head.layers] == [(64, 128), (128, 10)]
    probs = head.predict_proba(digits_data.x[digits_split[1]])
    assert np.allclose(probs.sum(axis=1), 1.0)
    accuracy = np.mean(head.predict(digits_data.x[digits_split[1]]) == digits_data.y[digits_split[1]])
    assert accuracy == seen[-1]["test_accuracy"]


@pytest.mark.parametrize("options", [{"head": "linear"}, {"optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9},
                                     {"dropout": 0.2}])
def test_other_heads_and_optimizers_learn_digits(digits_data: Dataset, digits_split: Split,
                                                 options: dict[str, Any]) -> None:
    head = train_head(digits_data, *digits_split, {**options, "epochs": 5})
    assert head.history[-1]["test_accuracy"] > 0.9


def test_early_stopping_keeps_the_best_epoch(digits_data: Dataset, digits_split: Split) -> None:
    head = train_head(digits_data, *digits_split, {"epochs": 60, "patience": 2, "learning_rate": 0.05})
    losses = [r["test_loss"] for r in head.history]
    best = int(np.argmin(losses)) + 1
    assert len(losses) < 60 and len(losses) == best + 2 and head.best_epoch == best
    x, y = digits_data.x[digits_split[1]], digits_data.y[digits_split[1]]
    p = head.predict_proba(x)[np.arange(len(y)), y]
    assert math.isclose(-np.mean(np.log(p)), losses[best - 1], rel_tol=1e-12)


def test_no_held_out_part_gives_no_test_scores() -> None:
    x, y = np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 0, 1])
    head = train_head((x, y, ["even", "odd"]), np.arange(6), np.array([], dtype=int), {"epochs": 1})
    assert head.history[0]["test_loss"] is None and head.labels == ["even", "odd"]
    with pytest.raises(TrainingError, match="patience"):
        train_head((x, y), np.arange(6), np.array([], dtype=int), {"patience": 1})


@pytest.mark.parametrize(("options", "message"), [
    ({"head": "knn"}, "head must be one of linear, mlp"), ({"epochs": 0}, "epochs"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"learning_rate": 0}, "learning_rate"), ({"learning_rate": float("nan")}, "learning_rate"),
    ({"optimizer": "rmsprop"}, "optimizer"), ({"dropout": 1.0}, "dropout"), ({"momentum": -0.1}, "momentum"),
    ({"hidden": 0}, "hidden"), ({"patience": 0}, "patience"), ({"seed": -1}, "seed"), ({"epoch": 3}, "unknown"),
])
def test_bad_options_are_option_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(OptionError, match=message):
        HeadOptions.of(options)


def test_features_of_the_wrong_length_are_refused(digits_data: Dataset, digits_split: Split) -> None:
    head = train_head(digits_data, *digits_split, {"epochs": 1, "head": "linear"})
    with pytest.raises(TrainingError, match="features have length 63; this head takes 64"):
        head.predict_proba(np.zeros((1, 63)))
    assert head.predict_proba(np.zeros((0, 64))).shape == (0, 10) and head.predict(np.zeros((0, 64))).shape == (0,)
