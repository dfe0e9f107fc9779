"""The one seeded PRNG of training, mirrored bit for bit by web/src/train/prng.js.

mulberry32 (Tommy Ettinger's 32-bit generator): a Weyl sequence (state += 0x6D2B79F5) passed
through xor-shift-multiply mixing. Every intermediate is a uint32: Python masks with 0xFFFFFFFF
where JS uses ``Math.imul`` and ``>>> 0``, so both languages draw the same stream for a seed.
"""

from __future__ import annotations

import math

import numpy as np

from edgeward.errors import OptionError

_MASK = 0xFFFFFFFF
_WEYL = 0x6D2B79F5
_TWO_32 = 4294967296.0


def check_seed(seed: object, field: str = "seed") -> int:
    """``seed`` as an int in [0, 2**32), or OptionError naming ``field``."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) <= _MASK:
        raise OptionError(f"{field} must be an integer in [0, 2**32), got {seed!r}")
    return int(seed)


class Rng:
    """``Rng(seed)``: uniform(), normal() and shuffle(n), all drawn from one uint32 stream."""

    def __init__(self, seed: int = 0) -> None:
        self.state = check_seed(seed)

    def next_uint32(self) -> int:
        self.state = (self.state + _WEYL) & _MASK
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & _MASK
        t = (t ^ ((t + (((t ^ (t >> 7)) * (t | 61)) & _MASK)) & _MASK)) & _MASK
        return t ^ (t >> 14)

    def uniform(self) -> float:
        """A float in [0, 1): the next uint32 / 2**32 (exact in float64)."""
        return self.next_uint32() / _TWO_32

    def normal(self) -> float:
        """A standard normal by Box–Muller from two fresh uniforms (u1 first; the sine twin is not
        kept, so every call draws exactly two). 1 - u1 is in (0, 1], so the log is finite."""
        u1 = self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)

    def uniforms(self, count: int) -> np.ndarray:
        """``count`` uniforms in draw order, as float64."""
        return np.array([self.uniform() for _ in range(count)], dtype=np.float64)

    def shuffle(self, n: int) -> np.ndarray:
        """A permutation of range(n) by Fisher–Yates: for i from n-1 down to 1, swap i with
        j = floor(uniform() * (i + 1)). Draws n - 1 uniforms (none for n <= 1)."""
        perm = list(range(n))
        for i in range(n - 1, 0, -1):
            j = int(self.uniform() * (i + 1))  # uniform() >= 0, so int() is floor
            perm[i], perm[j] = perm[j], perm[i]
        return np.array(perm, dtype=np.int64)
