"""Central differential privacy for the aggregate: server-side clipping, Gaussian noise, and the (ε, δ)
spent, computed by Google's dp-accounting (no privacy accounting is written here).

The variant is DP-FedAvg of McMahan et al. 2018 ("Learning differentially private recurrent language
models", Algorithm 1) with Poisson sampling of clients:
  1. each client that checks in takes part in a round with probability q (``TaskSpec.dp_sample_rate``,
     drawn by the coordinator, secret from clients);
  2. the *server* clips every delta to L2 norm S (``clip``): a client may not have clipped, or may lie;
  3. all clients weigh the same (wₖ = 1: example counts would change the sensitivity);
  4. Gaussian noise N(0, (zS)² I) is added to the sum of the n clipped deltas, which is then divided
     by n — σ = zS / n on the mean (``noised_mean``).
McMahan's fixed-denominator estimator divides by the expected count qW instead, so that adding or
removing a client moves the mean by at most S / (qW). We divide by the realised n, which the round
publishes anyway ('returned'), so the guarantee we state is for the replace-with-null neighbouring
relation (dp-accounting's ``NeighboringRelation.REPLACE_SPECIAL``): two federations are neighbours when one
client's data is replaced by data that yields a zero delta. n is unchanged and the noised sum moves by
at most S, so each round is the Gaussian mechanism of noise multiplier z on a Poisson sample of rate q,
and ``epsilon`` composes ``PoissonSampledDpEvent(q, GaussianDpEvent(z))`` over the rounds with
dp-accounting's RDP accountant (the subsampled-Gaussian bound is the same as for add/remove-one).

What it protects: what a client's examples contribute to any published version. What it does not:
the fact that a client took part, its reported counts and local metrics (the server sees those), and
nothing at all against the server itself, which sees each delta before the noise (central DP).
Amplification by sampling holds only if whether a client checks in does not depend on its data, and
if ``clients_per_round`` rarely turns sampled clients away (keep it above q × the clients checking in).
"""

from __future__ import annotations

import logging
import math

import numpy as np

from edgeward.errors import FederatedError

# Clipping scales by S / ‖Δ‖ in float64; a clipped row's norm can then exceed S by a few ulps.
_NORM_SLACK = 1e-9


def clip(delta: np.ndarray, norm: float) -> np.ndarray:
    """``delta`` (float64) scaled to L2 norm ``norm`` if it is longer; shorter ones come back unchanged."""
    if not (math.isfinite(norm) and norm > 0):
        raise FederatedError(f"clip norm must be a finite number > 0, got {norm}")
    d = np.asarray(delta, dtype=np.float64)
    length = float(np.linalg.norm(d))
    if not math.isfinite(length):
        raise FederatedError("cannot clip a delta holding NaN or Inf")
    return d * (norm / length) if length > norm else d.copy()


def noise_std(clip_norm: float, noise_multiplier: float, n: int) -> float:
    """σ of the Gaussian noise on each coordinate of the mean of n clipped deltas: z × S / n."""
    return noise_multiplier * clip_norm / n


def noised_mean(clipped_deltas: np.ndarray, clip_norm: float, noise_multiplier: float,
                rng: np.random.Generator) -> np.ndarray:
    """(Σ Δᵢ + N(0, (z S)² I)) / n for deltas [n, P] already clipped to ``clip_norm`` (checked: noise
    calibrated to S proves nothing about a longer delta). ``noise_multiplier`` 0 is the plain mean."""
    d = np.asarray(clipped_deltas, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] == 0:
        raise FederatedError(f"noised_mean needs deltas [n >= 1, P], got shape {list(d.shape)}")
    if not (math.isfinite(noise_multiplier) and noise_multiplier >= 0):
        raise FederatedError(f"noise multiplier must be a finite number >= 0, got {noise_multiplier}")
    norms = np.linalg.norm(d, axis=1)
    if not np.isfinite(norms).all() or (norms > clip_norm * (1 + _NORM_SLACK)).any():
        worst = float(np.nanmax(np.where(np.isfinite(norms), norms, np.inf)))
        raise FederatedError(f"noised_mean: a delta has norm {worst:.6g} > clip norm {clip_norm}; clip first")
    n = d.shape[0]
    total = d.sum(axis=0)
    if noise_multiplier > 0:
        total = total + rng.normal(0.0, noise_multiplier * clip_norm, size=d.shape[1])
    return total / n


def epsilon(noise_multiplier: float, sample_rate: float, rounds: int, delta: float) -> float:
    """ε such that ``rounds`` rounds of the mechanism above are (ε, ``delta``)-DP, by dp-accounting's
    RDP accountant. 0 rounds spend 0; a noise multiplier of 0 is no privacy (inf)."""
    if rounds < 0 or not 0 < sample_rate <= 1 or not 0 < delta < 1 or not noise_multiplier >= 0:
        raise FederatedError(f"epsilon: need rounds >= 0, 0 < sample_rate <= 1, 0 < delta < 1 and "
                             f"noise_multiplier >= 0; got {rounds}, {sample_rate}, {delta}, {noise_multiplier}")
    if rounds == 0:
        return 0.0
    if noise_multiplier == 0:
        return math.inf
    import dp_accounting  # imported here: it brings scipy and mpmath, which only DP tasks need
    from dp_accounting.rdp import RdpAccountant

    event = dp_accounting.PoissonSampledDpEvent(sample_rate, dp_accounting.GaussianDpEvent(noise_multiplier))
    accountant = RdpAccountant(neighboring_relation=dp_accounting.NeighboringRelation.REPLACE_SPECIAL)
    absl = logging.getLogger("absl")
    level = absl.level
    # For q < 1 the accountant warns on every fractional order whose series does not converge, then
    # leaves that order out (as it should): the bound stands; the warnings would only flood stderr.
    absl.setLevel(logging.ERROR)
    try:
        accountant.compose(event, rounds)
        return float(accountant.get_epsilon(delta))
    finally:
        absl.setLevel(level)
