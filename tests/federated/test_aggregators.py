"""Aggregation rules on hand-computed cases, their preconditions, and their robustness to 20 % Byzantine
clients (NaN deltas never get here: validate refuses them, test_validate checks it)."""

from __future__ import annotations

import numpy as np
import pytest

from edgeward.errors import AggregationError
from edgeward.federated.aggregators import (
    aggregate,
    check_preconditions,
    krum_scores,
    min_updates,
    squared_distances,
    trim_count,
)

ONES = np.ones(3)


def test_fedavg_weighs_by_example_counts_capped_at_max_count() -> None:
    d = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    # (1·[1, 2] + 1·[3, 4] + 2·[5, 6]) / 4
    np.testing.assert_array_equal(aggregate("fedavg", d, np.array([1, 1, 2])), [3.5, 4.5])
    # a client claiming 1000 examples weighs as much as max_count = 2: (1·[1, 2] + 2·[3, 4] + 2·[5, 6]) / 5
    np.testing.assert_array_equal(aggregate("fedavg", d, np.array([1, 1000, 2]), max_count=2), [3.4, 4.4])
    with pytest.raises(AggregationError, match="add up to 0"):
        aggregate("fedavg", d, np.zeros(3))


def test_median_is_per_coordinate_and_averages_the_middle_pair() -> None:
    d = np.array([[1.0, 10.0], [2.0, 20.0], [100.0, -5.0]])
    np.testing.assert_array_equal(aggregate("median", d, ONES), [2.0, 10.0])
    np.testing.assert_array_equal(aggregate("median", np.array([[1.0], [2.0], [3.0], [10.0]]), np.ones(4)), [2.5])


def test_trimmed_mean_drops_floor_beta_n_per_side() -> None:
    d = np.array([[1.0, 4.0], [2.0, -1.0], [3.0, 0.0], [10.0, 100.0]])
    # β = 0.25, n = 4: k = 1 per side; columns sorted [1, 2, 3, 10] → 2.5 and [-1, 0, 4, 100] → 2
    np.testing.assert_array_equal(aggregate("trimmed_mean", d, np.ones(4), trim=0.25), [2.5, 2.0])
    # β = 0.2, n = 4: k = 0, the plain mean
    np.testing.assert_array_equal(aggregate("trimmed_mean", d, np.ones(4), trim=0.2), [4.0, 25.75])
    assert trim_count(100, 0.29) == 29 and trim_count(10, 0.3) == 3  # no 28.999… → 28


# Five 1-D points (second coordinate 0). Squared distances: 0→{1: 1, 2: 4, 10: 100, 11: 121},
# 1→{0: 1, 2: 1, 10: 81, 11: 100}, 2→{0: 4, 1: 1, 10: 64, 11: 81}, 10→{11: 1, 2: 64, …}, 11→{10: 1, 2: 81, …}.
# With f = 1 each score sums the n − f − 2 = 2 smallest: 5, 2, 5, 65, 82.
KRUM = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [10.0, 0.0], [11.0, 0.0]])


def test_krum_scores_and_choice() -> None:
    np.testing.assert_array_equal(squared_distances(KRUM)[0], [0, 1, 4, 100, 121])
    np.testing.assert_array_equal(krum_scores(KRUM, f=1), [5, 2, 5, 65, 82])
    np.testing.assert_array_equal(aggregate("krum", KRUM, np.ones(5), f=1), [1.0, 0.0])


def test_multi_krum_averages_the_n_minus_f_best_scored() -> None:
    # m = 4: scores 2 (idx 1), 5 (idx 0), 5 (idx 2), 65 (idx 3) → mean of 0, 1, 2, 10
    np.testing.assert_array_equal(aggregate("multi_krum", KRUM, np.ones(5), f=1), [3.25, 0.0])
    # f = 0, n = 5: scores over 3 neighbours 0→105, 1→83, 2→69, 10→146, 11→182 → drops none (m = 5)
    np.testing.assert_array_equal(aggregate("multi_krum", KRUM, np.ones(5), f=0), [4.8, 0.0])


@pytest.mark.parametrize(("kind", "n", "f", "trim", "message"), [
    ("krum", 4, 1, 0.1, "krum needs n >= 2f \\+ 3 updates: 4 < 5"),
    ("multi_krum", 6, 2, 0.1, "multi_krum needs n >= 2f \\+ 3 updates: 6 < 7"),
    ("median", 4, 2, 0.1, "median needs n >= 2f \\+ 1 updates: 4 < 5"),
    ("trimmed_mean", 10, 2, 0.1, "⌊0.1 × 10⌋ = 1 per side, fewer than f = 2"),
    ("trimmed_mean", 10, 0, 0.5, "trim must be in \\[0, 0.5\\)"),
    ("fedavg", 0, 0, 0.1, "no updates"),
    ("bulyan", 10, 0, 0.1, "unknown aggregator 'bulyan'"),
])
def test_too_few_updates_for_the_assumed_attackers_are_refused(kind: str, n: int, f: int, trim: float,
                                                                message: str) -> None:
    with pytest.raises(AggregationError, match=message):
        check_preconditions(kind, n, f=f, trim=trim)
    if n:
        with pytest.raises(AggregationError, match=message):
            aggregate(kind, np.zeros((n, 2)), np.ones(n), f=f, trim=trim)


def test_min_updates_is_the_first_n_that_passes() -> None:
    for kind, f, trim in [("krum", 2, 0.1), ("median", 3, 0.1), ("trimmed_mean", 2, 0.2), ("trimmed_mean", 1, 0.3),
                          ("fedavg", 0, 0.1), ("multi_krum", 0, 0.1)]:
        n = min_updates(kind, f=f, trim=trim)
        check_preconditions(kind, n, f=f, trim=trim)
        if n > 1:
            with pytest.raises(AggregationError):
                check_preconditions(kind, n - 1, f=f, trim=trim)
    assert min_updates("trimmed_mean", f=2, trim=0.2) == 10


def test_malformed_arrays_are_refused() -> None:
    with pytest.raises(AggregationError, match="\\[n, P\\]"):
        aggregate("fedavg", np.zeros(4), np.ones(4))
    with pytest.raises(AggregationError, match="counts must be \\[3\\]"):
        aggregate("fedavg", np.zeros((3, 2)), np.ones(2))
    with pytest.raises(AggregationError, match="NaN or Inf"):
        aggregate("median", np.array([[0.0], [np.nan], [1.0]]), ONES)


# -- robustness: 10 clients, 2 of them Byzantine (20 %) ---------------------------------------------------

N, F, DIM = 10, 2, 100
RNG = np.random.default_rng(12)
MU = RNG.normal(0.0, 1.0, DIM)  # the direction honest clients agree on, ‖μ‖ ≈ 10
HONEST = MU + RNG.normal(0.0, 0.1, (N, DIM))  # each honest delta ≈ 1 away from μ
CLEAN = HONEST.mean(axis=0)  # what FedAvg gives with no attacker


def attacked(attack: str) -> np.ndarray:
    d = HONEST.copy()
    if attack == "scale":
        d[:F] *= 100.0
    elif attack == "signflip":
        d[:F] *= -1.0
    elif attack == "noise":
        d[:F] = np.random.default_rng(3).normal(0.0, 10.0, (F, DIM))
    return d


ROBUST = [("median", {}), ("trimmed_mean", {"trim": 0.2}), ("krum", {}), ("multi_krum", {})]


@pytest.mark.parametrize("attack", ["scale", "signflip", "noise"])
@pytest.mark.parametrize(("kind", "options"), ROBUST)
def test_robust_aggregators_stay_near_the_clean_mean(kind: str, options: dict, attack: str) -> None:
    out = aggregate(kind, attacked(attack), np.full(N, 50), f=F, **options)
    # Krum returns one honest delta (≈ 1 from the mean); the others average several honest values
    assert np.linalg.norm(out - CLEAN) < 0.15 * np.linalg.norm(MU), (kind, attack)


def test_fedavg_is_dragged_away_by_the_scaling_attack() -> None:
    out = aggregate("fedavg", attacked("scale"), np.full(N, 50))
    assert np.linalg.norm(out - CLEAN) > 10 * np.linalg.norm(MU)  # ≈ 19.8 × ‖μ‖: 2 × 99 / 10
    np.testing.assert_allclose(aggregate("fedavg", attacked("none"), np.full(N, 50)), CLEAN, rtol=1e-12)


def test_multi_krum_keeps_exactly_the_honest_clients_under_scaling() -> None:
    scores = krum_scores(attacked("scale"), F)
    assert set(np.argsort(scores)[: N - F]) == set(range(F, N))
