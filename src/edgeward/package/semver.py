"""Semantic versions and npm-style version ranges: npm's ``semver`` (7.8.6) rules, ported step for step.

A range is parsed the way npm's ``new Range(text)`` parses it (strict, ``includePrerelease: false``):
whitespace collapsed, ``||`` alternatives, build metadata stripped, hyphen ranges (``1.2 - 3.4`` →
``>=1.2.0 <3.5.0-0``), spaces after operators trimmed, then per comparator carets (``^1.2.3`` → ``>=1.2.3
<2.0.0-0``), tildes (``~1.2`` → ``>=1.2.0 <1.3.0-0``), x-ranges (``1.x``, ``>1``, ``<=1.2``, ``*``) and
``>=0.0.0`` as any. The regular expressions are npm's own (``internal/re.js``), with its length caps.
Matching is npm's ``Range.test``: a version satisfies an alternative when it passes every comparator,
and a pre-release (``1.0.0-rc.1``) only when that alternative has a comparator with a pre-release of the
same ``major.minor.patch`` (the ``-0`` bounds npm generates included). ``best`` is ``maxSatisfying``.

Why npm's rules rather than our own: package specs (``posenet@^1``) mean what they mean on npm, and
tests/package/test_semver_npm.py checks thousands of range × version pairs against npm's package.
One extension: ``latest`` (npm's default dist-tag) is the range of every release; npm's ``Range``
refuses it. Ranges are capped at MAX_RANGE_LENGTH characters (npm has no cap).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import total_ordering

from edgeward.errors import EdgewardError

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest version number (npm's limit: JavaScript's largest exact integer)."""
MAX_LENGTH = 256
"""The longest version text, as in npm (counted before trimming, in UTF-16 units as JavaScript does)."""
MAX_RANGE_LENGTH = 1024
"""The longest range text (the registry's API takes 256)."""
_MAX_BUILD = MAX_LENGTH - 6  # npm's MAX_SAFE_BUILD_LENGTH

# JavaScript's \s (and String.prototype.trim): ECMAScript white space and line terminators.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_SPACES = re.compile(f"[{_JS_SPACE}]+")
_TRIM = re.compile(f"^[{_JS_SPACE}]+|[{_JS_SPACE}]+\\Z")


def _js_trim(text: str) -> str:
    return _TRIM.sub("", text)


# --- npm's internal/re.js: the same sources, made "safe" the same way (bounded repeats) --------------------
_LDN = "[a-zA-Z0-9-]"
_src: dict[str, str] = {}


def _safe(value: str) -> str:
    for token, most in (("\\s", 1), ("\\d", MAX_LENGTH), (_LDN, _MAX_BUILD)):
        value = value.replace(token + "*", f"{token}{{0,{most}}}").replace(token + "+", f"{token}{{1,{most}}}")
    return value


def _token(name: str, value: str) -> None:
    _src[name] = value


_token("NUM", "0|[1-9]\\d*")
_token("NUMLOOSE", "\\d+")
_token("NONNUM", f"\\d*[a-zA-Z-]{_LDN}*")
_token("MAIN", f"({_src['NUM']})\\.({_src['NUM']})\\.({_src['NUM']})")
_token("MAINLOOSE", f"({_src['NUMLOOSE']})\\.({_src['NUMLOOSE']})\\.({_src['NUMLOOSE']})")
_token("PREID", f"(?:{_src['NONNUM']}|{_src['NUM']})")
_token("PREIDLOOSE", f"(?:{_src['NONNUM']}|{_src['NUMLOOSE']})")
_token("PRE", f"(?:-({_src['PREID']}(?:\\.{_src['PREID']})*))")
_token("PRELOOSE", f"(?:-?({_src['PREIDLOOSE']}(?:\\.{_src['PREIDLOOSE']})*))")
_token("BUILDID", f"{_LDN}+")
_token("BUILD", f"(?:\\+({_src['BUILDID']}(?:\\.{_src['BUILDID']})*))")
_token("FULLPLAIN", f"v?{_src['MAIN']}{_src['PRE']}?{_src['BUILD']}?")
_token("LOOSEPLAIN", f"[v=\\s]*{_src['MAINLOOSE']}{_src['PRELOOSE']}?{_src['BUILD']}?")
_token("GTLT", "((?:<|>)?=?)")
_token("XID", f"{_src['NUM']}|x|X|\\*")
_token("XPLAIN", f"[v=\\s]*({_src['XID']})(?:\\.({_src['XID']})(?:\\.({_src['XID']})"
                 f"(?:{_src['PRE']})?{_src['BUILD']}?)?)?")


def _re(pattern: str) -> re.Pattern[str]:
    # JavaScript's $ (no m flag) is the end of the input; Python's $ also matches before a final newline.
    return re.compile(_safe(pattern).replace("$", "\\Z"), re.ASCII)


_FULL = _re(f"^{_src['FULLPLAIN']}$")
_XRANGE = _re(f"^{_src['GTLT']}\\s*{_src['XPLAIN']}$")
_TILDE = _re(f"^(?:~>?){_src['XPLAIN']}$")
_CARET = _re(f"^(?:\\^){_src['XPLAIN']}$")
_TILDETRIM = _re("(\\s*)(?:~>?)\\s+")
_CARETTRIM = _re("(\\s*)(?:\\^)\\s+")
_COMPARATOR = _re(f"^{_src['GTLT']}\\s*({_src['FULLPLAIN']})$|^$")
_COMPARATORTRIM = _re(f"(\\s*){_src['GTLT']}\\s*({_src['LOOSEPLAIN']}|{_src['XPLAIN']})")
_HYPHEN = _re(f"^\\s*({_src['XPLAIN']})\\s+-\\s+({_src['XPLAIN']})\\s*$")
_STAR = _re("(<|>)?=?\\s*\\*")
_GTE0 = _re("^\\s*>=\\s*0\\.0\\.0\\s*$")
_BUILD = _re(_src["BUILD"])
_BUILDSTRIP = re.compile(_src["BUILD"], re.ASCII)  # npm strips an alternative's builds with the unbounded source


class VersionError(EdgewardError):
    """A version or version range that does not parse."""

    exit_code = 2  # bad input


def _shown(text: str) -> str:
    """``text`` for an error message: long ones cut to their first 60 characters."""
    return text if len(text) <= 60 else text[:60] + "…"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _compare_ids(a: str, b: str) -> int:
    """npm's compareIdentifiers: numbers numerically (as JavaScript numbers), before words; words by code unit."""
    anum, bnum = a.isdigit(), b.isdigit()  # ASCII only: the regex admitted nothing else
    if anum and bnum:
        x, y = float(int(a)), float(int(b))
        return 0 if x == y else -1 if x < y else 1
    if anum != bnum:
        return -1 if anum else 1
    return 0 if a == b else -1 if a < b else 1


@total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Version:
        """npm's ``new SemVer(text)`` (strict): ``1.2.3``, ``v1.2.3``, ``1.2.3-rc.1+build.5``, padded with spaces."""
        if _utf16_len(text) > MAX_LENGTH:
            raise VersionError(f"'{_shown(text)}' is not a semantic version (longer than {MAX_LENGTH} characters)")
        m = _FULL.match(_js_trim(text))
        if not m:
            raise VersionError(f"'{_shown(text)}' is not a semantic version (expected X.Y.Z)")
        parts = [int(g) for g in m.groups()[:3]]  # at most 257 digits each: the regex bounds them
        if max(parts) > MAX_SAFE_INTEGER:
            raise VersionError(f"version '{_shown(text)}': a number is larger than {MAX_SAFE_INTEGER}, "
                               "the largest version number")
        return cls(parts[0], parts[1], parts[2], tuple(m[4].split(".")) if m[4] else ())

    @property
    def release(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def compare(self, other: Version) -> int:
        """npm's ``SemVer.compare``: -1, 0 or 1; build metadata is ignored, a release sorts after its pre-releases."""
        if self.release != other.release:
            return -1 if self.release < other.release else 1
        a, b = self.prerelease, other.prerelease
        if not a or not b:
            return (not a) - (not b)
        for x, y in zip(a, b, strict=False):
            if x != y:
                return _compare_ids(x, y)  # npm returns here even when they compare equal (2^53 + 1 vs 2^53)
        return (len(a) > len(b)) - (len(a) < len(b))

    def __eq__(self, other: object) -> bool:
        return self.compare(other) == 0 if isinstance(other, Version) else NotImplemented

    def __lt__(self, other: object) -> bool:
        return self.compare(other) < 0 if isinstance(other, Version) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.release)  # equal versions share a release

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}.{self.patch}"
        return f"{base}-{'.'.join(self.prerelease)}" if self.prerelease else base


@dataclass(frozen=True)
class Comparator:
    """One ``op version`` test; ``version`` None is npm's ANY (the empty comparator)."""

    op: str  # '', '<', '<=', '>', '>='
    version: Version | None

    @property
    def value(self) -> str:
        return "" if self.version is None else f"{self.op}{self.version}"

    def test(self, v: Version) -> bool:
        if self.version is None:
            return True
        c = v.compare(self.version)
        return {"": c == 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[self.op]


_NULL_SET = "<0.0.0-0"


def _is_x(part: str | None) -> bool:
    return not part or part.lower() == "x" or part == "*"


def _caret(comp: str) -> str:
    m = _CARET.match(comp)
    if not m:
        return comp
    M, mi, p, pr = m.group(1, 2, 3, 4)
    if _is_x(M):
        return ""
    if _is_x(mi):
        return f">={M}.0.0 <{int(M) + 1}.0.0-0"
    if _is_x(p):
        return f">={M}.{mi}.0 <{M}.{int(mi) + 1}.0-0" if M == "0" else f">={M}.{mi}.0 <{int(M) + 1}.0.0-0"
    low = f">={M}.{mi}.{p}-{pr}" if pr else f">={M}.{mi}.{p}"
    if M == "0":
        return f"{low} <{M}.{mi}.{int(p) + 1}-0" if mi == "0" else f"{low} <{M}.{int(mi) + 1}.0-0"
    return f"{low} <{int(M) + 1}.0.0-0"


def _tilde(comp: str) -> str:
    m = _TILDE.match(comp)
    if not m:
        return comp
    M, mi, p, pr = m.group(1, 2, 3, 4)
    if _is_x(M):
        return ""
    if _is_x(mi):
        return f">={M}.0.0 <{int(M) + 1}.0.0-0"
    if _is_x(p):
        return f">={M}.{mi}.0 <{M}.{int(mi) + 1}.0-0"
    return f">={M}.{mi}.{p}{'-' + pr if pr else ''} <{M}.{int(mi) + 1}.0-0"


def _xrange(comp: str) -> str:
    comp = _js_trim(comp)
    m = _XRANGE.match(comp)
    if not m:
        return comp
    gtlt, M, mi, p = m.group(1, 2, 3, 4)
    if (_is_x(M) and not _is_x(mi)) or (_is_x(mi) and p and not _is_x(p)):
        return comp  # npm's invalidXRangeOrder: left as it is (and refused as a comparator)
    xM = _is_x(M)
    xm = xM or _is_x(mi)
    xp = xm or _is_x(p)
    if gtlt == "=" and xp:
        gtlt = ""
    if xM:
        return _NULL_SET if gtlt in (">", "<") else "*"
    if gtlt and xp:
        major, minor = int(M), 0 if xm else int(mi)
        if gtlt == ">":  # >1 → >=2.0.0, >1.2 → >=1.3.0
            gtlt = ">="
            major, minor = (major + 1, 0) if xm else (major, minor + 1)
        elif gtlt == "<=":  # <=1.2 → <1.3.0-0
            gtlt = "<"
            major, minor = (major + 1, minor) if xm else (major, minor + 1)
        return f"{gtlt}{major}.{minor}.0{'-0' if gtlt == '<' else ''}"
    if xm:
        return f">={M}.0.0 <{int(M) + 1}.0.0-0"
    if xp:
        return f">={M}.{mi}.0 <{M}.{int(mi) + 1}.0-0"
    return m[0]


def _each(fn: Callable[[str], str], comp: str) -> str:
    """npm's replaceCarets / replaceTildes / replaceXRanges: ``fn`` on each whitespace-separated part."""
    return " ".join(fn(c) for c in _SPACES.split(_js_trim(comp)))


def _hyphen(m: re.Match[str]) -> str:
    frm, fM, fm, fp = m.group(1, 2, 3, 4)  # a pre-release on the left stays as written
    to, tM, tm, tp, tpr = m.group(7, 8, 9, 10, 11)
    if _is_x(fM):
        frm = ""
    elif _is_x(fm):
        frm = f">={fM}.0.0"
    elif _is_x(fp):
        frm = f">={fM}.{fm}.0"
    else:
        frm = f">={frm}"
    if _is_x(tM):
        to = ""
    elif _is_x(tm):
        to = f"<{int(tM) + 1}.0.0-0"
    elif _is_x(tp):
        to = f"<{tM}.{int(tm) + 1}.0-0"
    elif tpr:
        to = f"<={tM}.{tm}.{tp}-{tpr}"
    else:
        to = f"<={to}"
    return f"{frm} {to}".strip()


def _comparator(comp: str, where: str) -> Comparator:
    m = _COMPARATOR.match(comp)
    if not m:
        version = re.sub(r"^[<>=^~]+", "", comp)  # what follows the operator (npm: 'Invalid comparator')
        what = f"'{_shown(version)}' is not a version" if version else f"'{_shown(comp)}' has no version"
        raise VersionError(f"range '{_shown(where)}': {what}")
    op = "" if m[1] in (None, "=") else m[1]
    if not m[2]:
        return Comparator("", None)
    try:
        return Comparator(op, Version.parse(m[2]))
    except VersionError as e:
        raise VersionError(f"range '{_shown(where)}': {e}") from None


def _parse_alternative(text: str, where: str) -> tuple[Comparator, ...]:
    """npm's ``Range.parseRange`` for one ``||`` alternative: its comparators (one ``<0.0.0-0``: nothing)."""
    text = _BUILDSTRIP.sub("", text)
    text = _HYPHEN.sub(_hyphen, text, count=1)
    text = _COMPARATORTRIM.sub(r"\1\2\3", text)
    text = _TILDETRIM.sub(r"\1~", text)
    text = _CARETTRIM.sub(r"\1^", text)
    comps = []
    for c in text.split(" "):  # npm's parseComparator
        c = _each(_xrange, _each(_tilde, _each(_caret, _BUILD.sub("", c, count=1))))
        comps.append(_STAR.sub("", _js_trim(c), count=1))
    listed = [_GTE0.sub("", _js_trim(c)) for c in _SPACES.split(" ".join(comps))]
    parsed = [_comparator(_SPACES.sub(" ", _js_trim(c)), where) for c in listed]  # all of them: any may be bad
    found: dict[str, Comparator] = {}
    for comp in parsed:
        if comp.value == _NULL_SET:
            return (comp,)
        found[comp.value] = comp
    if len(found) > 1:
        found.pop("", None)
    return tuple(found.values())


@dataclass(frozen=True)
class Range:
    text: str
    alternatives: tuple[tuple[Comparator, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Range:
        """npm's ``new Range(text)``; ``latest`` (and the empty range) is every release."""
        if len(text) > MAX_RANGE_LENGTH:
            raise VersionError(f"range '{_shown(text)}' is longer than {MAX_RANGE_LENGTH} characters")
        raw = _SPACES.sub(" ", _js_trim(text))
        if raw in ("", "latest"):
            return cls(raw or "latest", ((Comparator("", None),),))
        alternatives: list[tuple[Comparator, ...]] = [
            a for a in (_parse_alternative(_js_trim(alt), text) for alt in raw.split("||")) if a]
        if not alternatives:
            raise VersionError(f"range '{_shown(text)}' has no comparator")
        if len(alternatives) > 1:  # npm: null sets dropped (unless all are); an alternative that is just ANY wins
            first = alternatives[0]
            alternatives = [a for a in alternatives if a[0].value != _NULL_SET] or [first]
            anything: list[tuple[Comparator, ...]] = [a for a in alternatives if len(a) == 1 and a[0].version is None]
            if len(alternatives) > 1 and anything:
                alternatives = anything[:1]
        return cls(raw, tuple(alternatives))

    @staticmethod
    def _allows(comparators: tuple[Comparator, ...], v: Version) -> bool:
        if not all(c.test(v) for c in comparators):
            return False
        if v.prerelease:  # npm: only when a comparator of this alternative has a pre-release of the same release
            return any(c.version is not None and c.version.prerelease and c.version.release == v.release
                       for c in comparators)
        return True

    def contains(self, version: Version | str) -> bool:
        v = Version.parse(version) if isinstance(version, str) else version
        return any(self._allows(alt, v) for alt in self.alternatives)

    def best(self, versions: Iterable[str]) -> str | None:
        """npm's ``maxSatisfying``: the highest of ``versions`` in the range, the first of equals (strings that
        are not versions are skipped)."""
        best: Version | None = None
        best_text = None
        for text in versions:
            try:
                v = Version.parse(text)
            except VersionError:
                continue
            if self.contains(v) and (best is None or best.compare(v) < 0):
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
