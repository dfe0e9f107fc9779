"""Fuzz the manifest (edgeward.package.manifest): the zoo's real manifests, mutated, and manifest.json files
broken byte by byte. A manifest is accepted, or refused with a ManifestError naming its source and the field.
An accepted one round-trips and its version is one the registry and the store can sort.

The same mutations, seeded, are the JS parity fixture (tests/web/manifest_fuzz.py, web/test/manifest-fuzz.test.js).
"""

from __future__ import annotations

import json
import random
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from edgeward.errors import ManifestError
from edgeward.package.manifest import MANIFEST_FILE, Manifest, parse_manifest, read_manifest
from edgeward.package.semver import Version
from edgeward.package.store import package_dir
from tests.fuzz.harness import FUZZ, outcome
from tests.fuzz.mutate import mutate

ZOO = ("posenet", "movenet-lightning", "movenet-multipose", "centernet", "efficientnet-lite0")


@cache
def real_manifests() -> tuple[dict[str, Any], ...]:
    """The zoo's manifests and the two trained shapes (tests/web/trained_manifests.py)."""
    from tests.web.trained_manifests import samples

    zoo = {name: json.loads((package_dir(name) / MANIFEST_FILE).read_text()) for name in ZOO}
    return tuple({**zoo, **samples(zoo)}.values())


def check_accepted(m: Manifest) -> None:
    Version.parse(m.version)  # the registry and the store sort by it
    text = m.to_json()
    assert parse_manifest(json.loads(text)) == m
    json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(AssertionError(f"{c} in to_json")))


def verdict(data: Any, source: str = MANIFEST_FILE) -> Manifest | ManifestError:
    got = outcome(lambda: parse_manifest(data, source), names=["field '"], memory_mb=64)
    if isinstance(got, ManifestError):
        assert str(got).startswith(f"{source}: "), got
    else:
        check_accepted(got)
    return got


@FUZZ
@given(st.integers(0, 6), st.randoms(use_true_random=False))
@example(0, random.Random(0))
def test_mutated_real_manifests(which: int, rnd: random.Random) -> None:
    pool = list(real_manifests())
    verdict(mutate(pool[which % len(pool)], rnd, pool), "fuzz/manifest.json")


# Each a bug the fuzzing found: (field, value, what it was).
REGRESSIONS = [
    (("version",), "١.٠.٠", "other scripts' digits: pydantic's \\d took them, JavaScript's and semver's did not"),
    (("version",), "01.0.0", "a leading zero: the schema took it, Version.parse did not (a registry listing 500)"),
    (("version",), "1.0.0-..", "an empty pre-release identifier: the same"),
    (("version",), "99999999999999999.0.0", "past JavaScript's exact integers: the same"),
    (("files", "fp32", "bytes"), "5", "a number as a string: pydantic took it, the JSON Schema (and JS) did not"),
    (("inputs", 0, "shape", 0), True, "a bool as an integer: the same"),
    (("preprocess", "scale"), "0.5", "a number as a string for a float: the same"),
    (("provenance", "converter"), "\ud800", "a lone surrogate: taken, then to_json failed (the registry's HTTP 500)"),
]


@pytest.mark.parametrize(("path", "value", "why"), REGRESSIONS, ids=[r[2][:40] for r in REGRESSIONS])
def test_lax_values_are_refused(path: tuple[str | int, ...], value: Any, why: str) -> None:
    data = json.loads(json.dumps(real_manifests()[0]))
    target = data
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    got = verdict(data)
    assert isinstance(got, ManifestError), why
    assert f"field '{'.'.join(map(str, path))}'" in str(got), got


def test_integral_floats_are_integers_as_in_json_schema() -> None:
    """JSON has one number type: 5.0 is the integer 5 to JSON Schema and to JavaScript, so to us too."""
    data = json.loads(json.dumps(real_manifests()[0]))
    data["files"]["fp32"]["bytes"] = float(data["files"]["fp32"]["bytes"])
    assert parse_manifest(data).files["fp32"].bytes == real_manifests()[0]["files"]["fp32"]["bytes"]


# --- manifest.json files, byte by byte ------------------------------------------------------------

def _deep(n: int) -> bytes:
    return b'{"name": ' + b"[" * n + b"]" * n + b"}"


REAL = st.integers(0, 6).map(lambda i: json.dumps(real_manifests()[i]).encode())
BYTE_CASES = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda doc, cut: doc[:cut], REAL, st.integers(0, 4000)),
    st.builds(lambda doc, at, junk: doc[:at] + junk + doc[at:], REAL, st.integers(0, 3000),
              st.sampled_from([b"\xff", b"\xc3", b"NaN", b"Infinity", b"-Infinity", b"\x00", "\ufeff".encode(),
                               b"}", b"[", b",", b"\"", b"\\"])),
    st.integers(1, 200_000).map(_deep),
)


@FUZZ
@given(BYTE_CASES)
@example(_deep(100_000))  # json.loads: RecursionError, not an error naming the file
@example(b'{"version": NaN}')  # Python's json takes NaN and Infinity, JSON (and the browser) do not
@example(b"\xff\xfe{}")  # not UTF-8: UnicodeDecodeError
@example(b"\xef\xbb\xbf{}")  # a byte-order mark
def test_manifest_files(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / MANIFEST_FILE
        path.write_bytes(raw)
        got = outcome(lambda: read_manifest(path), names=[str(path)], memory_mb=64)
        if not isinstance(got, ManifestError):
            check_accepted(got)
