"""The manifest rules pydantic's model validator checks and the JSON Schema cannot express
(``manifest_rule_errors`` in src/edgeward/package/manifest.py; web/src/manifest.js mirrors them), and
bad copies of a valid manifest that break one rule each (used by tests/web/manifest_cases.py).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

Case = dict[str, Any]

MODEL_VALIDATOR_RULE = "x-task-needs-processing"
# pydantic's model validator (manifest_rule_errors), one rule each; web/src/manifest.js mirrors them.
MODEL_RULES = {
    MODEL_VALIDATOR_RULE: "task pose, detect or classify needs preprocess and postprocess",
    "x-features-needs-head": "task 'features' needs head and labels",
    "x-features-no-processing": "task 'features' has no preprocess or postprocess",
    "x-head-needs-base": "a head on 'embedding' or 'pose' features needs base",
    "x-knn-needs-k": "a knn head needs k",
    "x-mlp-needs-hidden": "an mlp head needs hidden",
    "x-files-head-needs-head": "files.head only with a head",
    "x-training-needs-head": "training only with a head",
    "x-size-needs-preprocess": "a size key (fp32@257x257) needs preprocess",
    "x-size-needs-variant": "a size key's variant is also a plain key",
    "x-size-side-range": "a size key's height and width are 16 to 4096",
    "x-size-not-own": "a size key is not the package's own size",
}
FILES_KEY_RULE = "#/properties/files/propertyNames/pattern"


def put(root: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """A copy of ``root`` with ``value`` at ``path``."""
    out = copy.deepcopy(root)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = copy.deepcopy(value)
    return out


def without(root: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in root.items() if k not in keys}


def model_validator_cases(manifest: dict[str, Any]) -> Iterator[Case]:
    def case(rule: str, key: str, what: str, bad: dict[str, Any]) -> Case:
        return {"rule": rule, "covers": [rule], "field": key, "exact": True, "what": what, "manifest": bad}

    yield from size_key_cases(manifest)
    task, head = manifest.get("task"), manifest.get("head")
    for key in ("preprocess", "postprocess"):
        if task in ("pose", "detect", "classify"):
            for what, bad in (("null", put(manifest, [key], None)), ("missing", without(manifest, key))):
                yield case(MODEL_VALIDATOR_RULE, key, f"task '{task}' with {key} {what}", bad)
        if task == "features":
            sample = {"size": [8, 8], "scale": 1.0, "offset": 0.0} if key == "preprocess" else {
                "kind": "classify", "output": "probabilities"}
            yield case("x-features-no-processing", key, f"task 'features' with a {key}", put(manifest, [key], sample))
    if task == "features":
        yield case("x-features-needs-head", "labels", "task 'features' without labels", put(manifest, ["labels"], None))
        yield case("x-features-needs-head", "head", "task 'features' without head (nor training)",
                   without(manifest, "head", "training"))
    if head is None:
        return
    if head["features"] != "raw":
        yield case("x-head-needs-base", "base", f"a head on '{head['features']}' features, base null",
                   put(manifest, ["base"], None))
    for kind, key in (("knn", "k"), ("mlp", "hidden")):
        if head["kind"] == kind:
            yield case(f"x-{kind}-needs-{key}", f"head.{key}", f"a {kind} head without {key}",
                       put(manifest, ["head", key], None))
    if task == "classify":
        headless = without(manifest, "head", "base")
        if "head" in manifest["files"]:
            yield case("x-files-head-needs-head", "files.head", "files.head without a head",
                       without(headless, "training"))
        if manifest.get("training") is not None:
            yield case("x-training-needs-head", "training", "a training report without a head",
                       put(headless, ["files"], without(headless["files"], "head")))


def size_key_cases(manifest: dict[str, Any]) -> Iterator[Case]:
    """Size keys (``fp32@257x257``) that break a rule each: the pattern of ``files`` keys (leading zeros,
    'head', 5 digits, a trailing newline…) and the rules of ``size_key_errors``. From a manifest with an
    image input and an fp32 file."""
    pre, files = manifest.get("preprocess"), manifest.get("files", {})
    if pre is None or "fp32" not in files:
        return
    height, width = pre["size"]
    entry = files["fp32"]

    def case(rule: str, key: str, what: str, bad: dict[str, Any]) -> Case:
        return {"rule": rule, "covers": [rule], "field": f"files.{key}", "exact": True, "what": what, "manifest": bad}

    def adding(key: str) -> dict[str, Any]:
        return put(manifest, ["files", key], entry)

    for key, what in (("fp32@0257x257", "a leading zero"), ("head@257x257", "a head at another size"),
                      ("fp32@257x257\n", "a trailing newline"), ("fp32@10000x16", "five digits"),
                      ("fp32@257", "one side only"), ("fp32@257X257", "an upper-case X"),
                      ("fp64@257x257", "not a variant"), ("fp32@-257x257", "a minus sign")):
        yield case(FILES_KEY_RULE, key, f"size key with {what}", adding(key))
    tensor = {k: copy.deepcopy(v) for k, v in manifest.items() if k not in ("preprocess", "postprocess", "labels")}
    tensor["task"] = "tensor"
    yield case("x-size-needs-preprocess", "fp32@257x257", "a size key in a 'tensor' package",
               put(tensor, ["files", "fp32@257x257"], entry))
    lacking = put(manifest, ["files"], without(files, "int8-wasm"))  # setup makes PoseNet's int8-wasm
    yield case("x-size-needs-variant", "int8-wasm@257x257", "a size key whose variant is not a plain key",
               put(lacking, ["files", "int8-wasm@257x257"], entry))
    for key in ("fp32@15x257", "fp32@257x4097", "fp32@9999x9999"):
        yield case("x-size-side-range", key, f"size key {key}", adding(key))
    yield case("x-size-not-own", f"fp32@{height}x{width}", "a size key at the package's own size",
               adding(f"fp32@{height}x{width}"))
