"""Server-side clipping, the DP noise's σ, and ε from dp-accounting (never computed by hand here)."""

from __future__ import annotations

import itertools
import math

import dp_accounting
import numpy as np
import pytest
from dp_accounting.rdp import RdpAccountant
from scipy import stats

from edgeward.errors import FederatedError
from edgeward.federated.privacy import clip, epsilon, noise_std, noised_mean


def test_clip_shortens_long_deltas_to_the_norm_and_keeps_their_direction() -> None:
    d = np.array([3.0, 4.0])  # norm 5
    np.testing.assert_allclose(clip(d, 1.0), [0.6, 0.8], rtol=1e-15)
    np.testing.assert_array_equal(clip(d, 5.0), d)  # at the norm: unchanged
    np.testing.assert_array_equal(clip(np.zeros(3), 1.0), np.zeros(3))
    rows = np.random.default_rng(0).normal(0.0, 3.0, (50, 40))
    norms = [np.linalg.norm(clip(r, 2.0)) for r in rows]
    assert max(norms) <= 2.0 * (1 + 1e-12)
    with pytest.raises(FederatedError, match="clip norm must be"):
        clip(d, 0.0)
    with pytest.raises(FederatedError, match="NaN or Inf"):
        clip(np.array([np.nan, 1.0]), 1.0)


def test_without_noise_the_noised_mean_is_the_mean() -> None:
    d = np.array([[0.1, 0.2], [0.3, -0.4], [0.0, 0.5]])
    np.testing.assert_allclose(noised_mean(d, 1.0, 0.0, np.random.default_rng(0)), d.mean(axis=0), rtol=1e-15)


def test_the_noise_on_the_mean_has_sigma_z_times_s_over_n() -> None:
    n, p, s, z = 4, 200_000, 1.5, 2.0
    out = noised_mean(np.zeros((n, p)), s, z, np.random.default_rng(2024))
    sigma = noise_std(s, z, n)
    assert sigma == 0.75
    assert abs(out.std() - sigma) < 0.01 * sigma  # the sample std's own error is ≈ σ / √(2p) = 0.16 %
    assert abs(out.mean()) < 5 * sigma / math.sqrt(p)
    assert stats.kstest(out, "norm", args=(0.0, sigma)).pvalue > 0.01  # Gaussian, not merely that wide


def test_noised_mean_refuses_deltas_that_were_not_clipped() -> None:
    with pytest.raises(FederatedError, match="norm 5 > clip norm 1"):
        noised_mean(np.array([[3.0, 4.0]]), 1.0, 1.0, np.random.default_rng(0))


def test_epsilon_falls_as_the_noise_grows_and_rises_with_rounds_and_sampling() -> None:
    eps = [epsilon(z, 0.1, 50, 1e-5) for z in (0.6, 0.8, 1.0, 1.5, 2.0, 4.0)]
    assert all(a > b for a, b in itertools.pairwise(eps)), eps
    assert epsilon(1.0, 0.1, 10, 1e-5) < epsilon(1.0, 0.1, 100, 1e-5)
    assert epsilon(1.0, 0.05, 50, 1e-5) < epsilon(1.0, 0.5, 50, 1e-5) < epsilon(1.0, 1.0, 50, 1e-5)
    assert epsilon(1.0, 1.0, 0, 1e-5) == 0.0
    assert epsilon(0.0, 1.0, 3, 1e-5) == math.inf


@pytest.mark.parametrize(("z", "q", "rounds"), [(1.1, 0.01, 1000), (1.0, 1.0, 3), (2.0, 0.2, 30)])
def test_epsilon_is_dp_accountings_rdp_for_the_poisson_sampled_gaussian(z: float, q: float, rounds: int) -> None:
    # The same number from the library called directly, under add/remove-one: for the Poisson-subsampled
    # Gaussian its bound is the same as under the replace-with-null relation edgeward states.
    direct = RdpAccountant(neighboring_relation=dp_accounting.NeighboringRelation.ADD_OR_REMOVE_ONE)
    direct.compose(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(z)), rounds)
    assert epsilon(z, q, rounds, 1e-5) == pytest.approx(direct.get_epsilon(1e-5), rel=1e-12)


def test_without_sampling_epsilon_bounds_the_exact_gaussian_curve() -> None:
    # T Gaussian rounds of multiplier z compose exactly to one of multiplier z / √T; RDP is an upper bound
    exact = dp_accounting.get_epsilon_gaussian(2.0 / math.sqrt(3), 1e-5)
    assert exact <= epsilon(2.0, 1.0, 3, 1e-5) <= 1.3 * exact


def test_bad_accounting_arguments_are_refused() -> None:
    bad = [(1.0, 0.0, 3, 1e-5), (1.0, 1.5, 3, 1e-5), (1.0, 0.5, -1, 1e-5), (1.0, 0.5, 3, 0.0), (-1, 0.5, 3, 1e-5)]
    for args in bad:
        with pytest.raises(FederatedError, match="epsilon: need"):
            epsilon(*args)
