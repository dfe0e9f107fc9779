"""Version ranges: ^, ~, exact, partial, comparators, unions, pre-releases, latest."""

from __future__ import annotations

import pytest

from edgeward.package.semver import Range, Version, VersionError, parse_spec

VERSIONS = ["0.1.0", "0.2.0", "0.2.5", "0.0.3", "0.0.4", "1.0.0", "1.2.3", "1.3.0-rc.1", "1.3.0", "2.0.0-beta",
            "2.0.0", "2.1.0", "10.0.0"]


@pytest.mark.parametrize(("rng", "best"), [
    ("latest", "10.0.0"), ("*", "10.0.0"), ("", "10.0.0"), ("x", "10.0.0"),
    ("^1", "1.3.0"), ("^1.2", "1.3.0"), ("^1.2.3", "1.3.0"), ("^0.2", "0.2.5"), ("^0.2.1", "0.2.5"),
    ("^0.0.3", "0.0.3"), ("^0.0", "0.0.4"), ("^0", "0.2.5"), ("^3", None),
    ("~1.2", "1.2.3"), ("~1.2.3", "1.2.3"), ("~1", "1.3.0"), ("~0.2.0", "0.2.5"),
    ("1.2.3", "1.2.3"), ("=1.2.3", "1.2.3"), ("v1.2.3", "1.2.3"), ("1.2.4", None), ("1", "1.3.0"), ("1.x", "1.3.0"),
    ("1.2.x", "1.2.3"), ("2", "2.1.0"),
    (">=1.0.0 <2.0.0", "1.3.0"), (">= 1.0.0 < 1.3.0", "1.2.3"), (">1", "10.0.0"), ("<=1.2", "1.2.3"),
    ("<1", "0.2.5"), (">2.0.0 <10", "2.1.0"), ("^0.1 || ^2", "2.1.0"), ("0.0.3 || 0.0.4", "0.0.4"),
    ("1.3.0-rc.1", "1.3.0-rc.1"), ("2.0.0-beta", "2.0.0-beta"), (">=2.0.0-beta <2.0.0", "2.0.0-beta"),
])
def test_best_version_in_range(rng: str, best: str | None) -> None:
    assert Range.parse(rng).best(VERSIONS) == best


def test_prereleases_only_match_ranges_that_name_them() -> None:
    assert not Range.parse("^1").contains("1.3.0-rc.1")
    assert not Range.parse("latest").contains("2.0.0-beta")
    assert Range.parse("^1.3.0-rc.0").contains("1.3.0-rc.1")
    assert not Range.parse("^1.3.0-rc.0").contains("1.4.0-rc.1")  # another release's pre-release
    assert not Range.parse("^1").contains("2.0.0-beta")  # the <2.0.0-0 bound never admits 2's pre-releases


def test_precedence_follows_semver() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
               "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"]
    assert [str(v) for v in sorted(Version.parse(v) for v in reversed(ordered))] == ordered
    assert Version.parse("1.0.0+build.5") == Version.parse("1.0.0")


@pytest.mark.parametrize("bad", ["1.2", "01.2.3", "1.2.3.4", "a.b.c", "1.2.3-"])
def test_bad_versions(bad: str) -> None:
    with pytest.raises(VersionError, match="is not a semantic version"):
        Version.parse(bad)


@pytest.mark.parametrize("bad", ["^one", ">=1 <two", "1.2.3.4", "~x.y.z.w", "1.2-beta", "x.5", "01.2.3", ">="])
def test_bad_ranges_name_the_part(bad: str) -> None:
    with pytest.raises(VersionError, match=r"range '.*'"):
        Range.parse(bad)


def test_npm_corners() -> None:
    """What npm's semver does (tests/package/test_semver_npm.py checks thousands more against npm itself)."""
    assert Range.parse("1.2 - 2.3").best(["1.1.9", "1.2.0", "2.3.9", "2.4.0"]) == "2.3.9"  # hyphen, partial
    assert Range.parse(">=1.0.0-0").contains("1.0.0-0")  # a -0 bound names its release's pre-releases
    assert not Range.parse("^1.2.3").contains("2.0.0-0")  # …but the <2.0.0-0 npm generates admits none
    assert Range.parse("||").contains("1.0.0")  # an empty alternative is any version, as in npm
    assert not Range.parse("* || 1.0.0-beta").contains("1.0.0-beta")  # npm keeps only '*' of such a union
    assert Range.parse("~>1.2").best(["1.2.9", "1.3.0"]) == "1.2.9" and Range.parse("1.2.3+build").contains("1.2.3")
    with pytest.raises(VersionError, match="longer than 256"):
        Version.parse("1.2.3" + " " * 252)  # counted before trimming, as npm does
    with pytest.raises(VersionError, match="not a semantic version"):
        Version.parse("1.2.3-01")  # numeric pre-release identifiers have no leading zeros


def test_specs() -> None:
    assert parse_spec("posenet")[0] == "posenet" and parse_spec("posenet")[1].text == "latest"
    name, rng = parse_spec("movenet-thunder@~1.2")
    assert name == "movenet-thunder" and rng.best(["1.2.0", "1.2.9", "1.3.0"]) == "1.2.9"
    for bad in ["Posenet", "../etc", "@scope/x", "posenet@^zz"]:
        with pytest.raises(VersionError):
            parse_spec(bad)
