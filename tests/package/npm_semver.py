"""npm's own ``semver`` package (web/node_modules, pinned in web/package.json) as a test oracle, and the same
questions asked of edgeward.package.semver, so differential tests compare answers, not expectations.

One Node process answers batches over stdin/stdout (one JSON line each): for every range, whether npm takes
it (``validRange``), which versions satisfy it (``satisfies``, default options: ``includePrerelease``
false, as the registry resolves) and its ``maxSatisfying`` over the versions; for every version, ``valid``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgeward.package.semver import Range, Version, VersionError

WEB = Path(__file__).resolve().parents[2] / "web"
NPM_SEMVER = "7.8.6"
PROBES = [
    "0.0.0-0", "0.0.0", "0.0.1", "0.0.3", "0.0.4-rc.1", "0.1.0-rc.1", "0.1.0", "0.1.2-rc.2", "0.1.5", "0.2.0",
    "1.0.0-0", "1.0.0-alpha", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.2.2", "1.2.3-0", "1.2.3-beta",
    "1.2.3-beta.2", "1.2.3", "1.2.4", "1.2.9", "1.3.0-0", "1.3.0", "1.9.9", "2.0.0-0", "2.0.0-beta", "2.0.0-rc.1",
    "2.0.0", "2.3.4", "2.3.5", "2.4.0", "3.0.0", "3.4.5-rc.1", "3.4.5", "4.0.0", "10.0.0",
    "v1.2.3", " 1.2.3 ", "=1.2.3", "1.2.3+build.9", "1.2.3-beta.2+b", "9007199254740991.0.0", "9007199254740992.0.0",
    "1.2", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3.4", "a.b.c", "", "1.2.3-" + "a" * 251, "1.2.3" + " " * 252,
]
"""Versions every range is tried on: pre-releases at the bounds ranges make, prefixes, padding, build
metadata, past 2^53 - 1, and ones npm refuses (leading zeros, four parts, over 256 characters)."""

_ORACLE = """
import { createRequire } from 'node:module';
import readline from 'node:readline';
const semver = createRequire(process.argv[1])('semver');
const pkg = createRequire(process.argv[1])('semver/package.json');
console.log(JSON.stringify({ version: pkg.version }));
for await (const line of readline.createInterface({ input: process.stdin })) {
  const { ranges, versions } = JSON.parse(line);
  console.log(JSON.stringify({
    validRanges: ranges.map((r) => semver.validRange(r) !== null),
    validVersions: versions.map((v) => semver.valid(v) !== null),
    satisfies: ranges.map((r) => versions.map((v) => semver.satisfies(v, r))),
    max: ranges.map((r) => semver.maxSatisfying(versions, r)),
  }));
}
"""


@dataclass
class Answers:
    valid_ranges: list[bool]
    valid_versions: list[bool]
    satisfies: list[list[bool]]
    max: list[str | None]


class NpmSemver:
    """A running ``node`` with npm's semver loaded; ``ask`` one batch at a time."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise AssertionError("node is not on PATH (the README's setup installs Node 20)")
        if not (WEB / "node_modules" / "semver").is_dir():
            raise AssertionError(f"npm's semver is not installed in {WEB / 'node_modules'}: run `npm ci` in web/")
        self.proc = subprocess.Popen([node, "--input-type=module", "-e", _ORACLE, str(WEB / "package.json")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.version = json.loads(self._line())["version"]

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the semver oracle exited ({self.proc.wait()})")
        return line

    def ask(self, ranges: list[str], versions: list[str]) -> Answers:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"ranges": ranges, "versions": versions}) + "\n")
        self.proc.stdin.flush()
        got = json.loads(self._line())
        return Answers(got["validRanges"], got["validVersions"], got["satisfies"], got["max"])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def ours(ranges: list[str], versions: list[str]) -> Answers:
    """The same questions, answered by edgeward.package.semver (a VersionError is npm's 'not valid')."""
    parsed_versions: list[Version | None] = []
    for v in versions:
        try:
            parsed_versions.append(Version.parse(v))
        except VersionError:
            parsed_versions.append(None)
    valid_ranges, satisfies, best = [], [], []
    for text in ranges:
        try:
            r: Range | None = Range.parse(text)
        except VersionError:
            r = None
        valid_ranges.append(r is not None)
        satisfies.append([bool(r and v and r.contains(v)) for v in parsed_versions])
        best.append(r.best(versions) if r else None)
    return Answers(valid_ranges, [v is not None for v in parsed_versions], satisfies, best)


def disagreements(ranges: list[str], versions: list[str], npm: Answers, py: Answers) -> list[dict[str, Any]]:
    """Every answer where the two differ, named by its range (and version)."""
    out: list[dict[str, Any]] = []
    for v, a, b in zip(versions, npm.valid_versions, py.valid_versions, strict=True):
        if a != b:
            out.append({"version": v, "npm_valid": a, "edgeward_valid": b})
    for i, r in enumerate(ranges):
        if npm.valid_ranges[i] != py.valid_ranges[i]:
            out.append({"range": r, "npm_valid": npm.valid_ranges[i], "edgeward_valid": py.valid_ranges[i]})
            continue
        for v, a, b in zip(versions, npm.satisfies[i], py.satisfies[i], strict=True):
            if a != b:
                out.append({"range": r, "version": v, "npm": a, "edgeward": b})
        if npm.max[i] != py.max[i]:
            out.append({"range": r, "npm_max": npm.max[i], "edgeward_max": py.max[i]})
    return out
