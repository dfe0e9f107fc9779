"""Which variant a runtime picks (edgeward.package.manifest.pick_variant, the oracle) for
web/test/variants.test.js, registered with write_fixtures' ``@writer``: PoseNet's real manifest with its
``files`` set up every way that matters, each asked on every backend, with and without a variant wanted."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from edgeward.errors import ManifestError
from edgeward.package.manifest import parse_manifest, pick_variant
from edgeward.package.store import package_dir
from tests.web.write_fixtures import writer

if TYPE_CHECKING:
    from tests.web.write_fixtures import Context

Fixture = dict[str, Any]
BACKENDS = ("cpu", "wasm", "webgpu", "kernels")


def file_sets(fp32: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Named ``files`` objects: a variant's report says what it was made for and whether its gate passed."""
    def made_for(target: str | None, passed: bool = True) -> dict[str, Any]:
        report: dict[str, Any] = {"method": "test", "bytes_ratio": 0.3, "gate_passed": passed}
        if target:
            report["target"] = target
        return {**fp32, "report": report}

    return {
        "fp32 only": {"fp32": fp32},
        "untargeted int8": {"fp32": fp32, "int8": made_for(None)},
        "int8 for cpu, int8-wasm for wasm": {"fp32": fp32, "int8": made_for("cpu"), "int8-wasm": made_for("wasm")},
        "int8-wasm that failed its gate": {"fp32": fp32, "int8-wasm": made_for("wasm", passed=False)},
        "fp16 for webgpu": {"fp32": fp32, "fp16": made_for("webgpu")},
        "int8-wasm alone": {"int8-wasm": made_for("wasm")},
        "fp16 and int8, no fp32": {"int8": made_for(None), "fp16": made_for(None)},
        "fp32 and a size file": {"fp32": fp32, "fp32@257x257": fp32},
        "int8-wasm and int8-kernels": {"fp32": fp32, "int8-wasm": made_for("wasm"),
                                       "int8-kernels": made_for("kernels")},
        "int8-kernels that failed its gate": {"fp32": fp32, "int8-kernels": made_for("kernels", passed=False)},
    }


@writer("variants")
def _variants(ctx: Context) -> Fixture:
    base = json.loads((package_dir("posenet") / "manifest.json").read_text())
    cases = []
    for name, files in file_sets(base["files"]["fp32"]).items():
        data = copy.deepcopy(base)
        data["files"] = files
        manifest = parse_manifest(data, name)
        for backend in BACKENDS:
            for wanted in (None, "fp32", "int8-wasm", "int8-kernels", "fp32@257x257", "fp32@bad"):
                try:
                    expect: dict[str, str] = {"variant": pick_variant(manifest, backend, wanted)}
                except ManifestError as err:
                    expect = {"error": str(err)}
                cases.append({"name": name, "files": files, "backend": backend, "wanted": wanted, **expect})
    return {"cases": cases}
