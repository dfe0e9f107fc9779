"""Mutations of real JSON documents (manifests, model.json): pick places in the tree, break them.

Driven by a ``random.Random`` so the same code serves Hypothesis (``st.randoms()``: shrinkable, replayable)
and the seeded fixture writers (``random.Random(seed)``: the same cases on every run). Values stay JSON
(no NaN or Infinity: JSON has none), so a case means the same to Python's json and JavaScript's JSON.parse.
"""

from __future__ import annotations

import copy
import math
import random
from typing import Any

Path_ = tuple[str | int, ...]

# Values that trip lax parsers: numbers as strings, bools as numbers, integral floats, huge and negative
# numbers, other scripts' digits, a trailing newline (Python's `$` matches before it), NUL, a lone surrogate,
# the names every JavaScript object inherits.
TRICKY: list[Any] = [
    None, True, False, 0, 1, -1, 7, 5.0, 1.5, -0.0, 1e-9, 2**31, 2**53, 2**53 + 1, 2**64, 10**30, 1e308, -1e308,
    "", "5", "1.5", "true", "null", "1.0.0", "01.0.0", "1.0.0-", "1.0.0-..", "١.٠.٠", "1.0.0\n", "posenet\n",
    "a b", "é", "\u0000", "\ud800", "../x", "/etc/passwd", "x" * 300, "0" * 64, "A" * 64,
    "constructor", "__proto__", "toString", "float32", "int64", "NHWC", "letterbox", "posenet", "movenet",
    "centernet", "classify", "knn", "mlp", "linear", "embedding", "raw", "features", "tensor", "pose", "detect",
    [], [None], [1, 2], [1, 2, 3], ["x"], [[0, 1]], {}, {"kind": "posenet"}, {"kind": "classify", "output": "x"},
]
EXTRA_KEYS = ["unexpected", "constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "", "kind", "0"]


def paths(doc: Any, here: Path_ = ()) -> list[Path_]:
    """Every place in ``doc`` (the root included), depth first."""
    out = [here]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*here, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, (*here, i))
    return out


def get(doc: Any, path: Path_) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    get(doc, path[:-1])[path[-1]] = value
    return doc


def _string(rnd: random.Random, s: str) -> str:
    edits = [s + rnd.choice(["\n", " ", "é", "١", "-", ".", "/", "A", "0"]), s.upper(), s[:-1], s[1:], "",
             s[: rnd.randint(0, len(s))] + rnd.choice("٣x.-_/ ") + s[rnd.randint(0, len(s)):], s * 2]
    return rnd.choice(edits)


def _number(rnd: random.Random, n: float) -> Any:
    out = rnd.choice([n + 1, n - 1, -n, n * 1e9, n / 3, float(n), str(n), int(n), n > 0, 0, -1])
    return out if not isinstance(out, float) or math.isfinite(out) else -1


def _mutate_at(rnd: random.Random, doc: Any, path: Path_, pool: list[Any]) -> Any:
    value = get(doc, path)
    kind = rnd.randrange(7)
    if kind == 0 and path:  # delete
        parent = get(doc, path[:-1])
        del parent[path[-1]]
        return doc
    if kind == 1 and isinstance(value, dict):  # an extra key
        value[rnd.choice(EXTRA_KEYS)] = copy.deepcopy(rnd.choice(TRICKY))
        return doc
    if kind == 2 and isinstance(value, list):  # grow, shrink or empty a list
        choice = rnd.randrange(3)
        if choice == 0 and value:
            value.append(copy.deepcopy(rnd.choice(value)))
        elif choice == 1 and value:
            value.pop(rnd.randrange(len(value)))
        else:
            value.clear()
        return doc
    if kind == 3 and isinstance(value, str):
        return _set(doc, path, _string(rnd, value))
    if kind == 3 and isinstance(value, int | float) and not isinstance(value, bool):
        return _set(doc, path, _number(rnd, value))
    if kind == 4 and pool:  # a value from another document (another kind's postprocess, another model's specs)
        donor = rnd.choice(pool)
        return _set(doc, path, copy.deepcopy(get(donor, rnd.choice(paths(donor)))))
    if kind == 5 and path and isinstance(path[-1], str):  # rename a key
        parent = get(doc, path[:-1])
        parent[_string(rnd, path[-1])] = parent.pop(path[-1])
        return doc
    return _set(doc, path, copy.deepcopy(rnd.choice(TRICKY)))


def mutate(doc: Any, rnd: random.Random, pool: list[Any] | None = None, most: int = 3) -> Any:
    """A copy of ``doc`` with 1 to ``most`` mutations; ``pool``: other documents to borrow values from."""
    out = copy.deepcopy(doc)
    for _ in range(rnd.randint(1, most)):
        places = paths(out)
        # Leaves are most of the tree; weight towards them, but reach whole objects and lists too.
        out = _mutate_at(rnd, out, rnd.choice(places), pool or [])
    return out
