"""Fuzz the version and version-range parser (edgeward.package.semver): anything in, a Version / Range or a
VersionError naming the text out. Accepted versions are plain ASCII semver that print back as themselves."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from edgeward.package.semver import MAX_SAFE_INTEGER, Range, Version, VersionError, parse_spec
from tests.fuzz.harness import FUZZ, outcome
from tests.package.npm_semver import PROBES as NPM_PROBES
from tests.package.npm_semver import NpmSemver, disagreements, ours

# Numbers npm would take and the ones it would not: leading zeros, past 2^53 - 1, thousands of digits
# (Python's int() refuses strings past 4,300 digits), digits of other scripts ('١', '٣': str.isdigit is True).
NUMBERS = st.one_of(st.integers(0, 20).map(str), st.integers(0, 10**20).map(str), st.just("0" * 3 + "7"),
                    st.integers(4290, 5000).map(lambda n: "9" * n), st.sampled_from(["x", "X", "*", "١", "٣٤", "²"]),
                    st.text(st.characters(categories=["Nd"]), min_size=1, max_size=3))
IDENT = st.text(st.sampled_from("abcrc0123456789-αZ."), min_size=0, max_size=8)
VERSIONS = st.builds(lambda parts, pre, build, v: v + ".".join(parts) + (f"-{pre}" if pre is not None else "")
                     + (f"+{build}" if build is not None else ""),
                     st.lists(NUMBERS, min_size=1, max_size=4), st.none() | IDENT, st.none() | IDENT,
                     st.sampled_from(["", "v", " ", "="]))
OPS = st.sampled_from(["", "^", "~", ">=", "<=", ">", "<", "=", "> ", "~ ", "^^", "!"])
COMPARATORS = st.builds(lambda op, v: op + v, OPS, VERSIONS)
RANGES = st.one_of(
    st.lists(st.lists(COMPARATORS, min_size=0, max_size=3).map(" ".join), min_size=1, max_size=3).map(" || ".join),
    st.text(max_size=40),
    st.sampled_from(["latest", "*", "", "||", "1 ||", "^1 || || ^2"]),
)
PROBES = ["0.0.0", "1.0.0", "1.2.3", "1.3.0-rc.1", "2.0.0-0", "9007199254740991.0.0"]


def _ascii_semver(v: Version) -> None:
    for part in v.release:
        assert 0 <= part <= MAX_SAFE_INTEGER, v
    assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?", str(v)), str(v)
    assert Version.parse(str(v)) == v


@FUZZ
@given(st.one_of(VERSIONS, st.text(max_size=30)))
@example("١.٠.٠")  # Arabic-Indic digits match Python's \d and int() reads them: not a version
@example("1." + "9" * 4400 + ".0")  # int() refuses past 4,300 digits with a ValueError
@example("9007199254740992.0.0")  # past JavaScript's exact integers
@example("1.0.0-" + "1" * 4400)
def test_version_parse(text: str) -> None:
    got = outcome(lambda: Version.parse(text), names=[repr(text)[1:-1][:60], text[:60]])
    if isinstance(got, Version):
        _ascii_semver(got)


@FUZZ
@given(RANGES)
@example("^١")
@example(">=1." + "9" * 4400)
@example("1.0.0-" + "9" * 4400 + " || 2")
@example("1 " * 2000)  # longer than any range a registry takes
def test_range_parse_and_match(text: str) -> None:
    def run() -> tuple[Range, list[bool], str | None]:  # the range, which probes it holds, the best
        r = Range.parse(text)
        return r, [r.contains(p) for p in PROBES], r.best(PROBES)

    got = outcome(run, names=[text[:60], text.strip()[:60]])
    if not isinstance(got, VersionError):
        _, contains, best = got
        assert best is None or contains[PROBES.index(best)]
        assert all(not c or Version.parse(p) <= Version.parse(best or "0.0.0") or Version.parse(p).prerelease
                   for c, p in zip(contains, PROBES, strict=True))


@FUZZ
@given(st.builds(lambda name, sep, r: name + sep + r, st.text(max_size=12) | st.just("posenet"),
                 st.sampled_from(["@", "", "@@"]), RANGES))
def test_package_spec(spec: str) -> None:
    rng = spec.strip().partition("@")[2]  # a bad range is named on its own
    got = outcome(lambda: parse_spec(spec), names=[spec.strip()[:60], spec[:60], rng.strip()[:60], rng[:60]])
    if isinstance(got, tuple):
        name, _ = got
        assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name), name


# Ranges from npm's grammar and near it, for the differential against npm's own semver.
_NUM = st.sampled_from(["0", "1", "2", "3", "10", "01", "x", "X", "*", "9007199254740991"])
_NPM_VERSION = st.builds(lambda parts, pre, build: ".".join(parts) + pre + build,
                         st.lists(_NUM, min_size=1, max_size=4),
                         st.sampled_from(["", "", "-0", "-rc.1", "-beta.2", "-0.3", "-01", "-", "-a..b"]),
                         st.sampled_from(["", "", "+b.1", "+001", "+"]))
_NPM_OP = st.sampled_from(["", "", "^", "~", "~>", ">=", "<=", ">", "<", "=", "v", "> ", "^ ", "==", "=>", "!"])
_NPM_SPACE = st.sampled_from([" ", " ", "  ", "\t", "\u00a0", "\n"])
_NPM_ALT = st.one_of(
    st.builds(lambda a, s1, s2, b: f"{a}{s1}-{s2}{b}", _NPM_VERSION, _NPM_SPACE, _NPM_SPACE, _NPM_VERSION),
    st.builds(lambda parts, sp: sp.join(parts), st.lists(st.builds(str.__add__, _NPM_OP, _NPM_VERSION), max_size=3),
              _NPM_SPACE),
)
NPM_RANGES = st.builds(lambda alts, sep: sep.join(alts), st.lists(_NPM_ALT, min_size=1, max_size=3),
                       st.sampled_from([" || ", "||", " | ", " ||| "]))


@pytest.fixture(scope="module")
def npm() -> Iterator[NpmSemver]:
    oracle = NpmSemver()
    yield oracle
    oracle.close()


@FUZZ
@given(rng=NPM_RANGES, extra=st.lists(_NPM_VERSION, max_size=3))
@example(rng=">=1.0.0-0 <1.0.0", extra=["1.0.0-0"])  # -0 bounds admit their release's pre-releases
@example(rng="1.2 - 2", extra=["2.9.9"])  # a partial hyphen range reaches to the end of its last part
@example(rng="* || 1.0.0-beta", extra=["1.0.0-beta"])  # npm keeps only '*' of such a union
def test_ranges_agree_with_npm(npm: NpmSemver, rng: str, extra: list[str]) -> None:
    """Whatever the range, npm's semver and ours agree on its validity, on every probe and on the best."""
    versions = NPM_PROBES + extra
    assert disagreements([rng], versions, npm.ask([rng], versions), ours([rng], versions)) == []
