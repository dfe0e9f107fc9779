"""The shared PRNG: mulberry32's stream, uniforms in [0, 1), Box–Muller normals, Fisher–Yates."""

from __future__ import annotations

import numpy as np
import pytest

from edgeward.errors import OptionError
from edgeward.train.prng import Rng


def test_the_stream_is_mulberry32() -> None:
    # First outputs of mulberry32 for seed 0, as the reference JavaScript gives them.
    rng = Rng(0)
    assert [rng.next_uint32() for _ in range(3)] == [1144304738, 1416247, 958946056]
    assert Rng(0).uniform() == 1144304738 / 2**32


def test_the_same_seed_gives_the_same_stream_and_another_seed_another() -> None:
    a, b, c = Rng(42), Rng(42), Rng(43)
    xs = [a.uniform() for _ in range(100)]
    assert xs == [b.uniform() for _ in range(100)]
    assert xs != [c.uniform() for _ in range(100)]


def test_uniforms_are_in_the_unit_interval_and_spread_over_it() -> None:
    u = Rng(7).uniforms(20000)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    assert np.histogram(u, bins=10, range=(0, 1))[0].min() > 1800


def test_normals_draw_two_uniforms_each_and_look_standard() -> None:
    rng, twin = Rng(3), Rng(3)
    z = np.array([rng.normal() for _ in range(20000)])
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    for _ in range(2 * 20000):
        twin.uniform()
    assert rng.state == twin.state


def test_shuffle_is_fisher_yates() -> None:
    rng, twin = Rng(5), Rng(5)
    perm = rng.shuffle(10)
    assert sorted(perm.tolist()) == list(range(10))
    expected = list(range(10))
    for i in range(9, 0, -1):
        j = int(twin.uniform() * (i + 1))
        expected[i], expected[j] = expected[j], expected[i]
    assert perm.tolist() == expected and rng.state == twin.state
    before = rng.state
    assert rng.shuffle(0).tolist() == [] and rng.shuffle(1).tolist() == [0]
    assert rng.state == before  # n <= 1 draws nothing


def test_every_position_is_equally_likely() -> None:
    rng = Rng(11)
    counts = np.zeros((4, 4))
    for _ in range(8000):
        counts[np.arange(4), rng.shuffle(4)] += 1
    assert np.abs(counts - 2000).max() < 200


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "1", True, None])
def test_a_bad_seed_is_an_option_error(seed: object) -> None:
    with pytest.raises(OptionError, match="seed"):
        Rng(seed)  # type: ignore[arg-type]
