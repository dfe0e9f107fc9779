"""The input sizes a package carries (edgeward.package.sizes, the oracle) for web/test/sizes.test.js, registered
with write_fixtures' ``@writer``: PoseNet's real manifest with its ``files`` set up several ways, each asked for
every variant at every size (carried or not); and manifests with size keys, valid and not, with pydantic's
verdict and the exact words of the size-key rules it broke (web/src/manifest.js must say the same)."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from edgeward.errors import ManifestError, OptionError
from edgeward.package.manifest import parse_manifest
from edgeward.package.size_keys import size_key_errors
from edgeward.package.sizes import check_input_size, file_for_size, input_sizes, size_files, size_key
from edgeward.package.store import package_dir
from tests.web.manifest_rules import size_key_cases
from tests.web.write_fixtures import writer

if TYPE_CHECKING:
    from tests.web.write_fixtures import Context

Fixture = dict[str, Any]
VARIANTS = ("fp32", "fp16", "int8", "int8-wasm")
ASKED = ([385, 385], [257, 257], [193, 257], [300, 300], [257, 193])
INPUT_SIZE_VALUES: list[Any] = [None, 257, [257, 193], [16, 4096], 15, 4097, [257], [257, 257, 3], True, 257.5,
                                "257", [257, "193"], [False, 257], {}, 0]


def file_sets(files: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Named ``files`` objects: the package's own, without size files, with more sizes and variants at them."""
    plain = {k: v for k, v in files.items() if "@" not in k}
    fp32 = plain["fp32"]
    return {
        "as built": files,
        "no size files": plain,
        "three sizes, listed smallest first": {**plain, "fp32@193x257": fp32, "fp32@257x193": fp32,
                                               "fp32@257x257": fp32, "fp32@449x449": fp32},
        "int8 at 257 too": {**plain, "fp32@257x257": fp32, "int8@257x257": fp32},
        "int8 at 257 only": {**plain, "int8@257x257": fp32} if "int8" in plain else {**plain},
    }


@writer("sizes")
def _sizes(ctx: Context) -> Fixture:
    base = json.loads((package_dir("posenet") / "manifest.json").read_text())
    helpers = []
    for name, files in file_sets(base["files"]).items():
        data = copy.deepcopy(base)
        data["files"] = files
        manifest = parse_manifest(data, name)
        case: Fixture = {"name": name, "manifest": data, "inputSizes": [list(s) for s in input_sizes(manifest)],
                         "sizeFiles": {v: size_files(manifest, v) for v in VARIANTS}, "asked": []}
        for variant in VARIANTS:
            for size in ASKED:
                asked: Fixture = {"variant": variant, "size": size, "sizeKey": size_key(manifest, variant, size)}
                try:
                    asked["file"], _ = file_for_size(manifest, variant, size)
                except OptionError as err:
                    asked["error"] = str(err)
                case["asked"].append(asked)
        helpers.append(case)
    validation = []
    for case in size_key_cases(base):
        data = case["manifest"]
        try:
            parse_manifest(data)
            verdict: Fixture = {"accepted": True}
        except ManifestError as err:
            verdict = {"accepted": False, "python_error": str(err)}
        rules = size_key_errors(data) if case["rule"].startswith("x-") else []
        validation.append({"what": case["what"], "field": case["field"], "manifest": data, "rule_errors": rules,
                           **verdict})
    for name, files in file_sets(base["files"]).items():
        data = copy.deepcopy(base) | {"files": files}
        validation.append({"what": f"valid: {name}", "field": None, "manifest": data, "rule_errors": [],
                           "accepted": True, "normalized": parse_manifest(data).model_dump(mode="json")})
    options = []
    for value in INPUT_SIZE_VALUES:
        try:
            got = check_input_size(value)
            options.append({"value": value, "size": None if got is None else list(got)})
        except OptionError:
            options.append({"value": value, "error": True})
    return {"helpers": helpers, "validation": validation, "inputSize": options}
