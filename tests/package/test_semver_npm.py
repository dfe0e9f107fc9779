"""Differential test: edgeward.package.semver against npm's own ``semver`` package under Node, on thousands of
range × version pairs (caret, tilde, x-ranges, hyphen ranges full and partial, comparators, ``||``,
pre-releases and ``-0`` bounds, build metadata, whitespace, invalid input). Zero disagreements allowed:
validity of every range and version, ``satisfies`` of every pair, ``maxSatisfying`` of every range.

The registry resolves ``NAME@RANGE`` with npm's default options (``includePrerelease: false``): a
pre-release is only chosen by a range that names one of the same release, as ``npm install`` does.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from edgeward.package.semver import Range
from tests.package.npm_semver import NPM_SEMVER, PROBES, NpmSemver, disagreements, ours

# Cases that once disagreed with npm (each a regression example) and the corners npm documents.
PINNED = [
    # -0 bounds: a pre-release passes a range whose comparator has a pre-release of its release
    ">=1.0.0-0", "^1.0.0-0", "~1.2.3-0", ">=1.3.0-0 <1.3.0", "<2.0.0-0", "1.0.0-0 - 1.0.0", ">1.0.0-0",
    # hyphen ranges, partial on either side, with pre-releases and prefixes
    "1.2.3 - 2.3.4", "1.2 - 2.3.4", "1.2.3 - 2.3", "1.2.3 - 2", "1 - 2", "* - 2", "1.2.3 - *", "x - 1.x",
    "1.2.3-beta - 2.0.0-rc.1", "v1.2.3 - v2", "1.2.3 -2", "1.2.3- 2", "1.2.3 - 2.3.4 - 5", "1.2.3 - 2 || 4",
    # x-ranges and stars, including the ones npm refuses or reads as anything
    "*", "x", "X.x", "1.x", "1.X.x", "1.*.*", "1.2.x", "x.5", "~x.5", "^x", ">=*", "<*", ">x", "1.x.3", "=1.x",
    # carets and tildes around zero
    "^0", "^0.0", "^0.0.0", "^0.0.3", "^0.1", "^0.1.2-rc.1", "^1.x", "~0", "~0.0", "~>1.2", "~> 1.2.3", "^ 1.2",
    # comparators, spacing, '=' and 'v' prefixes, >=0.0.0 as any, the null set
    ">= 1.2.3 < 2", "> 1 <= 3", "=1.2.3", "==1.2.3", "v1.2.3", "=v1.2.3", "= 1.2.3", ">=0.0.0", "<0.0.0-0",
    "<0.0.0-0 || 1.2.3", "* || 1.0.0-beta", ">=0.0.0 || 1.0.0-rc.1", "1.0.0-beta || *", "<=1.2", "<1.2", ">1.2",
    # unions and empty alternatives
    "||", "1 ||", "|| 2", "^1 || || ^2", "1.2.3 || 2.x || 3.4.5-rc.1",
    # build metadata is ignored (and stripped before the rest is read)
    "1.2.3+build", "^1.2.3+001", "1.2.3+b - 2+c", ">=1.0.0+x.y <2", "1.2.3+", "1.2.3+a..b",
    # whitespace of all kinds, collapsed
    "  ^1.2.3  ", "\t>=1\n<2", ">=\t1.2.3", "1.2.3\u00a0-\u00a02", "\u3000^1",
    # invalid: leading zeros, four parts, bad pre-releases, operators alone, words
    "01.2.3", "1.02", "1.2.3.4", "1.2-beta", "1.2.3-01", ">=", "^", "~", "^one", ">=1 <two", "latest || 1",
    "!1.2.3", ">>1", "=>1", "1.2.3 - ", " - 1.2.3", "9007199254740991.0.0", "^9007199254740991", ">9007199254740991",
    "9007199254740992.0.0", "1.2.9007199254740991", "<=9007199254740991.1",
]

NUMS = ["0", "1", "2", "3", "10", "x", "X", "*"]
PRES = ["", "", "", "-0", "-rc.1", "-beta", "-alpha.1", "-0.3.7", "-x.7.z.92", "-rc.0"]
BUILDS = ["", "", "", "", "+build.1", "+001", "+exp.sha.5114f85"]
OPS = ["", "", "^", "~", "~>", ">=", "<=", ">", "<", "=", "v", ">= ", "^ ", "~ ", "< "]
SPACES = [" ", " ", " ", "  ", "\t"]


def _version(rng: random.Random) -> str:
    parts = [rng.choice(NUMS) for _ in range(rng.choice([1, 2, 3, 3, 3]))]
    tail = rng.choice(PRES) + rng.choice(BUILDS) if len(parts) == 3 else ""
    return ".".join(parts) + tail


def _alternative(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return f"{_version(rng)}{rng.choice(SPACES)}-{rng.choice(SPACES)}{_version(rng)}"
    return rng.choice(SPACES).join(rng.choice(OPS) + _version(rng) for _ in range(rng.choice([1, 1, 2, 2, 3])))


def generated(n: int, seed: int = 14) -> Iterator[str]:
    """``n`` random ranges from npm's grammar (and near it), the same every run."""
    rng = random.Random(seed)
    for _ in range(n):
        alts = [_alternative(rng) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        yield rng.choice([" || ", "||", " ||  "]).join(alts)


@pytest.fixture(scope="module")
def npm() -> Iterator[NpmSemver]:
    oracle = NpmSemver()
    yield oracle
    oracle.close()


def test_the_oracle_is_the_pinned_npm_semver(npm: NpmSemver) -> None:
    assert npm.version == NPM_SEMVER


def test_no_disagreement_with_npm_on_thousands_of_pairs(npm: NpmSemver) -> None:
    ranges = PINNED + list(generated(400))
    versions = PROBES
    answers = npm.ask(ranges, versions)
    mine = ours(ranges, versions)
    assert disagreements(ranges, versions, answers, mine) == []
    valid_ranges = sum(answers.valid_ranges)
    valid_versions = sum(answers.valid_versions)
    # the must-show: at least 200 range × version pairs where both parse (here several thousand)
    assert valid_ranges * valid_versions >= 5000, (valid_ranges, valid_versions)
    assert valid_ranges < len(ranges)  # invalid ranges were asked too, and refused by both
    assert sum(map(sum, answers.satisfies)) >= 1000  # and plenty of pairs that satisfy


def test_the_registry_resolves_as_npm_install_would(npm: NpmSemver) -> None:
    """maxSatisfying over a package's published versions (the registry's resolve), pre-releases included."""
    published = ["1.0.0", "1.1.0-rc.1", "1.1.0", "1.2.0-beta.1", "2.0.0-rc.1", "2.0.0", "2.1.0-0"]
    ranges = ["latest", "*", "^1", "^1.2.0-beta.0", "~1.1", ">=2.0.0-0", "1 - 2", "2.1.0-0", ">=1.1.0-rc.1 <1.1.0"]
    npm_ranges = ["*" if r == "latest" else r for r in ranges]  # 'latest' is a dist-tag to npm: the highest release
    want = npm.ask(npm_ranges, published).max
    assert [Range.parse(r).best(published) for r in ranges] == want
    assert want == ["2.0.0", "2.0.0", "1.1.0", "1.2.0-beta.1", "1.1.0", "2.0.0", "2.0.0", "2.1.0-0", "1.1.0-rc.1"]
