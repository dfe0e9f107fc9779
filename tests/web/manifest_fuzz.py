"""Generated manifests with pydantic's verdict, for web/test/manifest-fuzz.test.js: the JS validator must agree.

The real manifests (the zoo's and the two trained shapes), their lists cut to 8 items so the fixture stays
small, mutated 1 to 3 times each by tests/fuzz/mutate.py with ``random.Random(seed)`` for seed 0..N-1
(``EDGEWARD_FUZZ_MANIFESTS``, default 400): the same cases on every run. Python's verdict is
``parse_manifest``'s: accepted (with the normalised form) or refused (with its message).
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from edgeward.errors import ManifestError
from edgeward.package.manifest import parse_manifest
from tests.web.write_fixtures import Context, writer

DEFAULT_CASES = 400


def compact(doc: Any, most: int = 8) -> Any:
    if isinstance(doc, dict):
        return {k: compact(v, most) for k, v in doc.items()}
    if isinstance(doc, list):
        return [compact(v, most) for v in doc[:most]]
    return doc


def cases(bases: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    from tests.fuzz.mutate import mutate

    out = []
    for seed in range(n):
        rnd = random.Random(seed)
        manifest = mutate(bases[seed % len(bases)], rnd, bases)
        case: dict[str, Any] = {"seed": seed, "manifest": manifest}
        try:
            case["normalized"] = parse_manifest(manifest).model_dump(mode="json")
            case["accepted"] = True
        except ManifestError as err:
            case["accepted"], case["python_error"] = False, str(err)
        out.append(case)
    return out


@writer("manifest_fuzz")
def _manifest_fuzz(ctx: Context) -> dict[str, Any]:
    from tests.fuzz.test_manifest_fuzz import real_manifests

    bases = [compact(m) for m in real_manifests()]
    for m in bases:
        parse_manifest(m)  # cut lists keep every base valid
    n = int(os.environ.get("EDGEWARD_FUZZ_MANIFESTS", DEFAULT_CASES))
    generated = cases(bases, n)
    json.dumps(generated, allow_nan=False)  # JSON only: the JS reads exactly what Python judged
    return {"cases": generated, "accepted": sum(c["accepted"] for c in generated)}
