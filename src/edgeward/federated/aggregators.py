"""Aggregation of client deltas: FedAvg and four robust rules, in float64 numpy.

Written here rather than imported from Flower: flwr 1.42 is a framework (grpc, protobuf, cryptography,
its own server) whose aggregation helpers take lists of per-layer ndarrays with weights attached and
weight even Krum's survivors by the clients' own example counts, which a liar sets. Each rule is
a few lines of numpy; tests/federated/test_aggregators.py pins them on hand-computed cases.

``deltas`` is [n, P], one flattened delta per client; ``counts`` [n] their example counts. Only FedAvg
uses counts; the robust rules weigh every update equally, since a Byzantine client can claim any count.

Preconditions (n updates, f assumed Byzantine, β the trim fraction), refused with an AggregationError
before anything is computed, as Bulyan (El Mhamdi et al. 2018) refuses n < 4f + 3:
  fedavg        n ≥ 1 (no tolerance at all: one scaled delta moves it anywhere; f is not used)
  median        n ≥ 2f + 1 (honest clients are a majority, so every coordinate's median lies between
                two honest values)
  trimmed_mean  0 ≤ β < 0.5, k = ⌊βn⌋ ≥ f (each side drops at least the f attackers) and n > 2k
                (something is left to average)
  krum          n ≥ 2f + 3 (Blanchard et al. 2017: the n − f − 2 neighbours a score sums over exist and
                include a majority of honest ones)
  multi_krum    as krum; it averages the m = n − f best-scored deltas
"""

from __future__ import annotations

import math

import numpy as np

from edgeward.errors import AggregationError
from edgeward.federated.protocol import AGGREGATORS


def trim_count(n: int, trim: float) -> int:
    """k = ⌊βn⌋, with a 1e-9 slack so that 0.29 × 100 counts as the 29 it means, not 28.999…."""
    return math.floor(trim * n + 1e-9)


def min_updates(kind: str, *, f: int = 0, trim: float = 0.1) -> int:
    """The fewest updates ``kind`` accepts with ``f`` assumed attackers (``check_preconditions`` passes)."""
    _check_kind(kind)
    if kind == "median":
        return 2 * f + 1
    if kind in ("krum", "multi_krum"):
        return 2 * f + 3
    if kind == "trimmed_mean" and f > 0:
        if not 0 < trim < 0.5:
            raise AggregationError(f"trimmed_mean: trim must be in (0, 0.5) to withstand f = {f}, got {trim}")
        n = max(1, math.ceil(f / trim) - 1)
        while trim_count(n, trim) < f or n <= 2 * trim_count(n, trim):
            n += 1
        return n
    return 1


def check_preconditions(kind: str, n: int, *, f: int = 0, trim: float = 0.1) -> None:
    """Raise an AggregationError naming the rule when ``n`` updates are too few for ``kind`` with ``f``."""
    _check_kind(kind)
    if f < 0:
        raise AggregationError(f"{kind}: f (assumed Byzantine clients) must be >= 0, got {f}")
    if n < 1:
        raise AggregationError(f"{kind}: no updates to aggregate")
    if kind == "median" and n < 2 * f + 1:
        raise AggregationError(f"median needs n >= 2f + 1 updates: {n} < {2 * f + 1} for f = {f}")
    if kind in ("krum", "multi_krum") and n < 2 * f + 3:
        raise AggregationError(f"{kind} needs n >= 2f + 3 updates: {n} < {2 * f + 3} for f = {f}")
    if kind == "trimmed_mean":
        if not 0 <= trim < 0.5:
            raise AggregationError(f"trimmed_mean: trim must be in [0, 0.5), got {trim}")
        k = trim_count(n, trim)
        if k < f:
            raise AggregationError(f"trimmed_mean drops ⌊βn⌋ = ⌊{trim} × {n}⌋ = {k} per side, fewer than "
                                   f"f = {f}: raise trim or wait for more updates")
        if n <= 2 * k:
            raise AggregationError(f"trimmed_mean: n = {n} leaves nothing after dropping {k} per side")


def aggregate(kind: str, deltas: np.ndarray, counts: np.ndarray, *, f: int = 0, trim: float = 0.1,
              max_count: int | None = None) -> np.ndarray:
    """The aggregate delta [P] (float64) of ``deltas`` [n, P] by rule ``kind`` (module docstring)."""
    d = np.asarray(deltas, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    if d.ndim != 2:
        raise AggregationError(f"{kind}: deltas must be [n, P], got shape {list(d.shape)}")
    if c.shape != (d.shape[0],):
        raise AggregationError(f"{kind}: counts must be [{d.shape[0]}], got shape {list(c.shape)}")
    check_preconditions(kind, d.shape[0], f=f, trim=trim)
    if not np.isfinite(d).all():  # validate.check_update refuses these; an aggregate must never see one
        raise AggregationError(f"{kind}: a delta holds NaN or Inf")
    if kind == "fedavg":
        return fedavg(d, c, max_count)
    if kind == "median":
        return np.median(d, axis=0)
    if kind == "trimmed_mean":
        return trimmed_mean(d, trim)
    if kind == "krum":
        return d[int(np.argmin(krum_scores(d, f)))].copy()
    return multi_krum(d, f)


def fedavg(deltas: np.ndarray, counts: np.ndarray, max_count: int | None = None) -> np.ndarray:
    """Σ wᵢ Δᵢ / Σ wᵢ with wᵢ = min(countᵢ, max_count): one client claiming a million examples
    weighs no more than one with ``max_count``."""
    if (counts < 0).any() or not np.isfinite(counts).all():
        raise AggregationError("fedavg: example counts must be finite and >= 0")
    w = counts if max_count is None else np.minimum(counts, float(max_count))
    total = w.sum()
    if total <= 0:
        raise AggregationError("fedavg: the example counts add up to 0")
    return (w @ deltas) / total


def trimmed_mean(deltas: np.ndarray, trim: float) -> np.ndarray:
    """Per coordinate: sort the n values, drop the k = ⌊βn⌋ smallest and k largest, average the rest."""
    n = deltas.shape[0]
    k = trim_count(n, trim)
    return np.sort(deltas, axis=0)[k:n - k].mean(axis=0)


def squared_distances(deltas: np.ndarray) -> np.ndarray:
    """[n, n] squared L2 distances, by the Gram matrix (n² P flops in BLAS, not n² P-sized temporaries);
    rounding can leave tiny negatives for near-identical deltas, clamped to 0."""
    sq = np.einsum("ij,ij->i", deltas, deltas)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (deltas @ deltas.T)
    np.fill_diagonal(d2, 0.0)
    return np.maximum(d2, 0.0)


def krum_scores(deltas: np.ndarray, f: int) -> np.ndarray:
    """Blanchard et al. 2017: score(i) = the sum of the n − f − 2 smallest squared distances from Δᵢ
    to the other deltas."""
    n = deltas.shape[0]
    d2 = squared_distances(deltas)
    others = np.sort(d2 + np.diag(np.full(n, np.inf)), axis=1)[:, :n - f - 2]  # self excluded
    return others.sum(axis=1)


def multi_krum(deltas: np.ndarray, f: int, m: int | None = None) -> np.ndarray:
    """The mean of the m (default n − f) best-scored deltas; ties go to the lower index."""
    n = deltas.shape[0]
    m = n - f if m is None else m
    if not 1 <= m <= n:
        raise AggregationError(f"multi_krum: m must be in [1, {n}], got {m}")
    chosen = np.argsort(krum_scores(deltas, f), kind="stable")[:m]
    return deltas[np.sort(chosen)].mean(axis=0)


def _check_kind(kind: str) -> None:
    if kind not in AGGREGATORS:
        raise AggregationError(f"unknown aggregator '{kind}'; known: {', '.join(AGGREGATORS)}")
