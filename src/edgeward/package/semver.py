"""Semantic versions and npm-style version ranges, written out so the rules are ours and tested.

Ranges: ``latest`` / ``*`` / empty (highest release), exact ``1.2.3``, partial ``1`` / ``1.2`` /
``1.x``, caret ``^1.2.3`` (no change to the left-most non-zero part), tilde ``~1.2.3`` (patch
changes only when a minor is given), comparators ``>=1.0.0 <2.0.0`` (space = and), and ``||`` (or).
A pre-release (``1.0.0-rc.1``) only satisfies a range that names a pre-release of the same
``major.minor.patch``, as in npm. As in npm, digits are ASCII, numbers stop at 2^53 - 1 (JavaScript's
exact integers, so the browser reads the same version) and a version is at most 256 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import total_ordering

from edgeward.errors import EdgewardError

# re.ASCII: Python's \d also matches other scripts' digits ('١'), which int() reads; npm's do not.
_VERSION = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
                      r"(?:\+[0-9A-Za-z.-]+)?$", re.ASCII)
_PARTIAL = re.compile(r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?$", re.ASCII)
_OP = re.compile(r"^(>=|<=|>|<|=|\^|~)?\s*(.*)$", re.ASCII)
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest version number (npm's limit: JavaScript's largest exact integer)."""
MAX_LENGTH = 256
"""The longest version text, as in npm."""
MAX_RANGE_LENGTH = 1024
"""The longest range text (the registry's API takes 256)."""


class VersionError(EdgewardError):
    """A version or version range that does not parse."""

    exit_code = 2  # bad input


def _shown(text: str) -> str:
    """``text`` for an error message: long ones cut to their first 60 characters."""
    return text if len(text) <= 60 else text[:60] + "…"


def _number(digits: str, what: str) -> int:
    if len(digits) > 16 or int(digits) > MAX_SAFE_INTEGER:  # 16 digits: int() never sees thousands
        raise VersionError(f"{what}: '{_shown(digits)}' is larger than {MAX_SAFE_INTEGER}, the largest version number")
    return int(digits)


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Version:
        if len(text.strip()) > MAX_LENGTH:
            raise VersionError(f"'{_shown(text)}' is not a semantic version (longer than {MAX_LENGTH} characters)")
        m = _VERSION.match(text.strip())
        if not m:
            raise VersionError(f"'{_shown(text)}' is not a semantic version (expected X.Y.Z)")
        pre = tuple(m[4].split(".")) if m[4] else ()
        what = f"version '{_shown(text)}'"
        return cls(_number(m[1], what), _number(m[2], what), _number(m[3], what), pre)

    @property
    def release(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def _key(self) -> tuple[tuple[int, int, int], int, tuple[tuple[int, int | str], ...]]:
        # A release sorts after its pre-releases; numeric identifiers sort before alphanumeric ones.
        ids = tuple((0, int(p)) if p.isdigit() else (1, p) for p in self.prerelease)
        return (self.release, 0 if self.prerelease else 1, ids)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        return f"{base}-{'.'.join(self.prerelease)}" if self.prerelease else base


Comparator = tuple[str, Version]  # (op, version) with op in < <= > >= =


def _partial(text: str, where: str) -> tuple[list[int | None], tuple[str, ...]]:
    m = _PARTIAL.match(text)
    if not m:
        raise VersionError(f"range '{_shown(where)}': '{_shown(text)}' is not a version")
    parts: list[int | None] = []
    for p in m.groups()[:3]:
        parts.append(None if p is None or p in "xX*" else _number(p, f"range '{_shown(where)}'"))
    for i in range(1, 3):  # 1.x.3 means 1.x
        if parts[i - 1] is None:
            parts[i] = None
    pre = tuple(m[4].split(".")) if m[4] else ()
    return parts, pre


def _expand(op: str, text: str, where: str) -> list[Comparator]:
    (major, minor, patch), pre = _partial(text, where)
    if major is None:
        return [] if op in ("", "=", "^", "~", ">=", "<=") else [("<", Version(0, 0, 0, ("0",)))]
    low = Version(major, minor or 0, patch or 0, pre)
    if op == "^":
        if major > 0 or minor is None:
            high = Version(major + 1, 0, 0, ("0",))
        elif minor > 0 or patch is None:
            high = Version(0, minor + 1, 0, ("0",))
        else:
            high = Version(0, 0, patch + 1, ("0",))
        return [(">=", low), ("<", high)]
    if op == "~" or (op in ("", "=") and (minor is None or patch is None)):
        if op == "~" and minor is not None:
            high = Version(major, minor + 1, 0, ("0",))
        elif minor is None:
            high = Version(major + 1, 0, 0, ("0",))
        else:
            high = Version(major, minor + 1, 0, ("0",))
        return [(">=", low), ("<", high)]
    if op in ("", "="):
        return [("=", low)]
    if op in (">", "<=") and (minor is None or patch is None):
        # >1 means >=2.0.0; <=1.2 means <1.3.0
        bump = Version(major + 1, 0, 0) if minor is None else Version(major, minor + 1, 0)
        return [(">=", bump)] if op == ">" else [("<", Version(*bump.release, ("0",)))]
    return [(op, low)]


@dataclass(frozen=True)
class Range:
    text: str
    alternatives: tuple[tuple[Comparator, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Range:
        raw = text.strip()
        if len(raw) > MAX_RANGE_LENGTH:
            raise VersionError(f"range '{_shown(text)}' is longer than {MAX_RANGE_LENGTH} characters")
        if raw in ("", "latest", "*", "x", "X"):
            return cls(raw or "latest", ((),))
        alternatives = []
        for alt in raw.split("||"):
            tokens = re.sub(r"(>=|<=|>|<|=|\^|~)\s+", r"\1", alt.strip()).split()
            if not tokens:
                raise VersionError(f"range '{_shown(text)}': empty alternative")
            comparators: list[Comparator] = []
            for tok in tokens:
                m = _OP.match(tok)
                assert m is not None
                comparators += _expand(m[1] or "", m[2], text)
            alternatives.append(tuple(comparators))
        return cls(raw, tuple(alternatives))

    def _allows(self, comparators: tuple[Comparator, ...], v: Version) -> bool:
        for op, bound in comparators:
            ok = {"=": v == bound, "<": v < bound, "<=": v <= bound, ">": v > bound, ">=": v >= bound}[op]
            if not ok:
                return False
        if v.prerelease:  # only when this alternative names a pre-release of the same release
            return any(b.prerelease and b.release == v.release and b.prerelease != ("0",) for _, b in comparators)
        return True

    def contains(self, version: Version | str) -> bool:
        v = Version.parse(version) if isinstance(version, str) else version
        return any(self._allows(alt, v) for alt in self.alternatives)

    def best(self, versions: Iterable[str]) -> str | None:
        """The highest of ``versions`` in the range (strings that are not versions are skipped)."""
        best: Version | None = None
        best_text = None
        for text in versions:
            try:
                v = Version.parse(text)
            except VersionError:
                continue
            if self.contains(v) and (best is None or v > best):
                best, best_text = v, text
        return best_text

    def __str__(self) -> str:
        return self.text


_SPEC = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._-]*)(?:@(?P<range>.*))?$")


def parse_spec(spec: str) -> tuple[str, Range]:
    """``posenet``, ``posenet@^1``, ``posenet@1.0.0``, ``posenet@latest`` → (name, range)."""
    m = _SPEC.match(spec.strip())
    if not m:
        raise VersionError(f"'{_shown(spec)}' is not a package spec (expected NAME or NAME@RANGE, e.g. posenet@^1)")
    return m["name"], Range.parse(m["range"] or "latest")
