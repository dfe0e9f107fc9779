"""float64 linear algebra with a fixed summation order, mirrored by web/src/train/ops.js.

BLAS and numpy's pairwise sums add in an order of their own choosing; these add strictly in index
order (k = 0, 1, …, starting from 0), one rounded multiply and one rounded add per term — exactly what
the JS loops do — so Python and the browser get the same bits, not merely close ones. Each function
loops in Python over the summed axis only and vectorises the rest.
"""

from __future__ import annotations

import numpy as np


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a [m, k] @ b [k, n] in float64, each output summed over k in increasing order."""
    out = np.zeros((a.shape[0], b.shape[1]), dtype=np.float64)
    for k in range(a.shape[1]):
        out += np.multiply.outer(a[:, k], b[k])
    return out


def matmul_tn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a.T @ b for a [k, m], b [k, n] (a weight gradient: summed over the batch rows in order)."""
    out = np.zeros((a.shape[1], b.shape[1]), dtype=np.float64)
    for k in range(a.shape[0]):
        out += np.multiply.outer(a[k], b[k])
    return out


def matmul_nt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b.T for a [m, k], b [n, k] (back through a layer: summed over its outputs in order)."""
    out = np.zeros((a.shape[0], b.shape[0]), dtype=np.float64)
    for k in range(a.shape[1]):
        out += np.multiply.outer(a[:, k], b[:, k])
    return out


def sum_rows(a: np.ndarray) -> np.ndarray:
    """Sum over axis 0 of a [m, n], rows added in order → [n]."""
    out = np.zeros(a.shape[1], dtype=np.float64)
    for row in a:
        out += row
    return out


def sum_cols(a: np.ndarray) -> np.ndarray:
    """Sum over axis 1 of a [m, n], columns added in order → [m]."""
    out = np.zeros(a.shape[0], dtype=np.float64)
    for k in range(a.shape[1]):
        out += a[:, k]
    return out
