"""The fixed-order float64 products and sums agree with numpy's (whose order is BLAS's)."""

from __future__ import annotations

import numpy as np

from edgeward.train import ops


def test_products_and_sums_match_numpy() -> None:
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(7, 5)), rng.normal(size=(5, 3)), rng.normal(size=(7, 3))
    assert np.allclose(ops.matmul(a, b), a @ b, rtol=1e-14, atol=1e-14)
    assert np.allclose(ops.matmul_tn(a, c), a.T @ c, rtol=1e-14, atol=1e-14)
    assert np.allclose(ops.matmul_nt(c, b), c @ b.T, rtol=1e-14, atol=1e-14)
    assert np.allclose(ops.sum_rows(a), a.sum(axis=0)) and np.allclose(ops.sum_cols(a), a.sum(axis=1))


def test_sums_run_in_index_order() -> None:
    # 1e16 + 1 + 1 in order is 1e16 (each 1 is lost); a pairwise or reordered sum would give 1e16 + 2
    row = np.array([[1e16, 1.0, 1.0]])
    assert ops.sum_cols(row)[0] == 1e16
    assert ops.matmul(row, np.ones((3, 1)))[0, 0] == 1e16
    assert ops.sum_rows(row.T)[0] == 1e16
