"""Bad manifests for the JS validator (web/src/manifest.js), made from the JSON Schema and real manifests.

``schema_rules`` lists every rule of the manifest's JSON Schema (``edgeward schema``), each named by
its JSON pointer: ``#/$defs/FileEntry/properties/sha256/pattern``, ``#/required/name``,
``#/$defs/PoseNetPostprocess/additionalProperties`` (extra fields forbidden), ``…/anyOf`` (a value of
none of the allowed forms), ``…/discriminator`` (postprocess ``kind`` missing or unknown)… plus
the ``x-…`` rules of pydantic's model validator that the JSON Schema cannot express (tests/web/manifest_rules.py;
trained-package samples from tests/web/trained_manifests.py reach the fields only they fill in).

``bad_cases`` walks the schema and a valid real manifest side by side and breaks one rule at a time:
a required field deleted, a value of the wrong type, outside an enum or const, not matching a pattern,
below a minimum, too few or too many items, an unknown field or key, a postprocess ``kind`` missing or
wrong. Optional fields the manifest leaves out are filled in (default, or a small valid sample) first,
so their rules are reached too. Every case must be rejected by pydantic (``ManifestError``); a case
pydantic accepts (its lax coercions, e.g. ``"1"`` for an int) is dropped. ``fixture`` fails unless
every rule has at least one case.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

from edgeward.errors import ManifestError
from edgeward.package.manifest import VERSION_PATTERN, json_schema, parse_manifest
from tests.web.manifest_rules import MODEL_RULES, model_validator_cases

Path_ = list[str | int]
Case = dict[str, Any]
# Extra keys: a plain unknown name, and names every JS object inherits (an `in` check lets them pass).
EXTRA_KEYS = ("unexpected_field",)
ROOT_EXTRA_KEYS = ("constructor", "toString", "__proto__", "hasOwnProperty", "valueOf")
# Valid strings for the schema's patterns (used when a sample value has to be made up).
PATTERN_SAMPLES = {
    r"^[A-Za-z0-9._-]+$": "model.onnx",
    r"^[0-9a-f]{64}$": "0" * 64,
    r"^[a-z0-9][a-z0-9._-]*$": "sample",
    VERSION_PATTERN: "1.0.0",
    r"^[a-z0-9][a-z0-9._-]*@" + VERSION_PATTERN[1:]: "sample@1.0.0",
}
JSON_TYPES = ("string", "integer", "number", "boolean", "null", "array", "object")
# One wrong value per JSON type (the first whose type is not allowed is used, plus 1.5 for integers
# and null for non-nullable fields).
WRONG_VALUES: list[tuple[str, Any]] = [("string", "oops"), ("integer", 17), ("array", ["oops"]),
                                       ("object", {"oops": 1}), ("boolean", True)]


def json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer()):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def type_allows(allowed: set[str], t: str) -> bool:
    return t in allowed or (t == "integer" and "number" in allowed)


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object inside ``node`` (itself included)."""
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _nodes(v)
    elif isinstance(node, list):
        for v in node:
            yield from _nodes(v)


class Walker:
    def __init__(self, schema: dict[str, Any]):
        self.schema = schema
        self.defs = schema.get("$defs", {})
        unions = [n for n in _nodes(schema) if "discriminator" in n]
        self.tag_names = {n["discriminator"]["propertyName"] for n in unions}
        self.tags = {t for n in unions for t in n["discriminator"]["mapping"]}

    def resolve(self, node: Any) -> tuple[Any, str | None]:
        """(node, pointer of its $defs target) following $ref."""
        ptr = None
        while isinstance(node, dict) and "$ref" in node:
            ptr = node["$ref"]
            node = self.defs[ptr.removeprefix("#/$defs/")]
        return node, ptr

    # --- the rules ----------------------------------------------------------------------------

    def rules(self) -> dict[str, str]:
        out: dict[str, str] = dict(MODEL_RULES)
        seen: set[str] = set()

        def walk(node: Any, ptr: str, in_union: bool) -> None:
            if not isinstance(node, dict):
                return
            if "$ref" in node:
                target, tptr = self.resolve(node)
                assert tptr is not None
                if tptr not in seen:
                    seen.add(tptr)
                    walk(target, tptr, False)
                return
            if "type" in node and not in_union:
                out[f"{ptr}/type"] = f"type {node['type']}"
            for kw in ("const", "enum", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                       "minItems", "maxItems", "minLength", "maxLength"):
                if kw in node:
                    out[f"{ptr}/{kw}"] = f"{kw} {json.dumps(node[kw])}"
            for key in node.get("required", []):
                out[f"{ptr}/required/{key}"] = f"'{key}' required"
            ap = node.get("additionalProperties")
            if ap is False:
                out[f"{ptr}/additionalProperties"] = "no other fields"
            elif isinstance(ap, dict):
                walk(ap, f"{ptr}/additionalProperties", False)
            if "propertyNames" in node:
                walk(node["propertyNames"], f"{ptr}/propertyNames", False)
            for key, sub in node.get("properties", {}).items():
                walk(sub, f"{ptr}/properties/{key}", False)
            if "items" in node:
                walk(node["items"], f"{ptr}/items", False)
            for kw in ("anyOf", "oneOf"):
                if kw in node:
                    out[f"{ptr}/{kw}"] = f"one of {len(node[kw])} forms"
                    for i, branch in enumerate(node[kw]):
                        walk(branch, f"{ptr}/{kw}/{i}", True)
            if "discriminator" in node:
                out[f"{ptr}/discriminator"] = f"tagged by '{node['discriminator']['propertyName']}'"

        walk(self.schema, "#", False)
        return out

    def union_type_rules(self, node: dict[str, Any], ptr: str) -> tuple[set[str], set[str]]:
        """(JSON types a union allows, the `type` rules a value of another type breaks)."""
        types: set[str] = set()
        rules: set[str] = {f"{ptr}/{kw}" for kw in ("anyOf", "oneOf") if kw in node}
        for kw in ("anyOf", "oneOf"):
            for i, branch in enumerate(node.get(kw, [])):
                target, tptr = self.resolve(branch)
                bptr = tptr or f"{ptr}/{kw}/{i}"
                if "anyOf" in target or "oneOf" in target:
                    t, r = self.union_type_rules(target, bptr)
                    types |= t
                    rules |= r
                elif "type" in target:
                    types.add(target["type"])
                    if tptr:  # a $defs target's own `type` rule
                        rules.add(f"{bptr}/type")
        return types, rules

    # --- valid samples ------------------------------------------------------------------------

    def sample(self, node: Any) -> Any:
        node, _ = self.resolve(node)
        if node.get("default") is not None:
            return copy.deepcopy(node["default"])
        for kw in ("anyOf", "oneOf"):
            if kw in node:
                branches = [self.resolve(b)[0] for b in node[kw]]
                return self.sample(next(b for b in branches if b.get("type") != "null"))
        if "const" in node:
            return node["const"]
        if "enum" in node:
            return node["enum"][0]
        t = node.get("type")
        if t == "string":
            return PATTERN_SAMPLES[node["pattern"]] if "pattern" in node else "sample"
        if t == "integer":
            return max(1, node.get("minimum", 1), node.get("exclusiveMinimum", 0) + 1)
        if t == "number":
            return 0.5
        if t == "boolean":
            return True
        if t == "null":
            return None
        if t == "array":
            return [self.sample(node["items"]) for _ in range(node.get("minItems", 0))]
        if t == "object":
            return {k: self.sample(node["properties"][k]) for k in node.get("required", [])}
        raise ValueError(f"no sample for schema {node}")


def get(root: Any, path: Path_) -> Any:
    for p in path:
        root = root[p]
    return root


def put(root: Any, path: Path_, value: Any) -> Any:
    """A copy of ``root`` with ``value`` at ``path``."""
    out = copy.deepcopy(root)
    if not path:
        return copy.deepcopy(value)
    get(out, path[:-1])[path[-1]] = copy.deepcopy(value)
    return out


def delete(root: Any, path: Path_) -> Any:
    out = copy.deepcopy(root)
    del get(out, path[:-1])[path[-1]]
    return out


def field(path: Path_) -> str:
    return ".".join(str(p) for p in path) or "<root>"


def accepted(manifest: Any) -> bool:
    try:
        parse_manifest(manifest)
    except ManifestError:
        return False
    return True


class CaseMaker:
    """Walks the schema and one valid manifest, yielding bad copies of it."""

    def __init__(self, walker: Walker):
        self.w = walker

    def case(self, rule: str, covers: set[str], root: Any, path: Path_, what: str, manifest: Any,
             exact: bool = True) -> Case:
        return {"rule": rule, "covers": sorted(covers | {rule}), "field": field(path), "exact": exact,
                "what": what, "manifest": manifest}

    def wrong_types(self, allowed: set[str], rules: set[str], rule: str, root: Any, path: Path_) -> Iterator[Case]:
        picked = [(t, v) for t, v in WRONG_VALUES if not type_allows(allowed, t)][:1]
        if "integer" in allowed and "number" not in allowed:
            picked.append(("number", 1.5))
        if "null" not in allowed:
            picked.append(("null", None))
        for t, v in picked:
            yield self.case(rule, rules, root, path, f"wrong type: {t} {json.dumps(v)}", put(root, path, v))

    def walk(self, node: Any, ptr: str, root: Any, path: Path_, in_union: bool = False) -> Iterator[Case]:
        w = self.w
        if "$ref" in node:
            target, tptr = w.resolve(node)
            assert tptr is not None
            # a union's form: the union's own case covers its `type` (a null there may be allowed)
            yield from self.walk(target, tptr, root, path, in_union)
            return
        value = get(root, path)
        for kw in ("anyOf", "oneOf"):
            if kw in node:
                yield from self.union(node, ptr, kw, root, path, in_union)
                return
        if "type" in node and not in_union:
            yield from self.wrong_types({node["type"]}, set(), f"{ptr}/type", root, path)
        if "const" in node:
            tags = sorted(t for t in self.w.tags if t != node["const"])
            if path and path[-1] in self.w.tag_names and tags:
                # another postprocess kind: the object is then judged as that kind (errors name its fields)
                for tag in tags:  # the first that pydantic rejects is kept (CenterNet's fields make a valid classify)
                    yield self.case(f"{ptr}/const", set(), root, path[:-1], "const: another kind", put(root, path, tag),
                                    exact=False)
            else:
                other = node["const"] + 1 if isinstance(node["const"], int) else f"not-{node['const']}"
                yield self.case(f"{ptr}/const", set(), root, path, f"const: {json.dumps(other)}",
                                put(root, path, other))
        if "enum" in node and isinstance(value, str):
            yield self.case(f"{ptr}/enum", set(), root, path, "enum: not a choice", put(root, path, f"{value}-nope"))
        if "pattern" in node and isinstance(value, str):
            yield from self.patterns(node, ptr, root, path, value)
        if "maxLength" in node and isinstance(value, str):  # too long, still matching any pattern
            n = node["maxLength"] + 1 - len(value)
            longer = [v for v in (f"{value}-{'a' * n}", f"{value}{'a' * n}")
                      if "pattern" not in node or re.search(node["pattern"], v)][:1] or [value + "a" * n]
            yield self.case(f"{ptr}/maxLength", set(), root, path, "longer than maxLength", put(root, path, longer[0]))
        for kw, bad in (("minimum", lambda m: m - 1), ("exclusiveMinimum", lambda m: m),
                        ("maximum", lambda m: m + 1), ("exclusiveMaximum", lambda m: m)):
            if kw in node:
                yield self.case(f"{ptr}/{kw}", set(), root, path, f"{kw}: {bad(node[kw])}",
                                put(root, path, bad(node[kw])))
        if isinstance(value, list):
            yield from self.array(node, ptr, root, path, value)
        if isinstance(value, dict):
            yield from self.object(node, ptr, root, path, value)

    def union(self, node: dict[str, Any], ptr: str, kw: str, root: Any, path: Path_, nested: bool) -> Iterator[Case]:
        w = self.w
        value = get(root, path)
        if not nested:  # a union inside a union: the outer one's case covers it (its null may be allowed)
            allowed, rules = w.union_type_rules(node, ptr)
            yield from self.wrong_types(allowed, rules, f"{ptr}/{kw}", root, path)
        branches = node[kw]
        if "discriminator" in node and isinstance(value, dict):
            tag = node["discriminator"]["propertyName"]
            rule = f"{ptr}/discriminator"
            yield self.case(rule, set(), root, [*path, tag], f"'{tag}' missing", delete(root, [*path, tag]))
            yield self.case(rule, set(), root, [*path, tag], f"'{tag}' unknown", put(root, [*path, tag], "nope"))
            target = node["discriminator"]["mapping"][value[tag]]
            index = next(i for i, b in enumerate(branches) if b.get("$ref") == target)
            yield from self.walk(branches[index], f"{ptr}/{kw}/{index}", root, path, in_union=True)
            return
        for i, branch in enumerate(branches):
            target, _ = w.resolve(branch)
            if "anyOf" in target or "oneOf" in target or type_allows({target.get("type", "")}, json_type(value)):
                if value is None and target.get("type") == "null":
                    continue
                yield from self.walk(branch, f"{ptr}/{kw}/{i}", root, path, in_union=True)
                return
        if value is None:  # null: fill in a sample of the first other form and break that
            for i, branch in enumerate(branches):
                target, _ = w.resolve(branch)
                if target.get("type") != "null":
                    filled = put(root, path, w.sample(branch))
                    if accepted(filled):
                        yield from self.walk(branch, f"{ptr}/{kw}/{i}", filled, path, in_union=True)
                    return

    def patterns(self, node: dict[str, Any], ptr: str, root: Any, path: Path_, value: str) -> Iterator[Case]:
        candidates = {"empty": "", "uppercase": value.upper(), "space": value + " ", "trailing newline": value + "\n",
                      "slash": "a/" + value, "dot-dot": "../" + value, "leading dash": "-" + value,
                      "accent": value + "é", "one char short": value[:-1]}
        anchored = re.compile(node["pattern"].removesuffix("$") + r"\Z")  # JS and Rust: no match before a final \n
        for label, bad in candidates.items():
            if not anchored.search(bad):
                yield self.case(f"{ptr}/pattern", set(), root, path, f"pattern: {label}", put(root, path, bad))

    def array(self, node: dict[str, Any], ptr: str, root: Any, path: Path_, value: list[Any]) -> Iterator[Case]:
        if "minItems" in node:
            yield self.case(f"{ptr}/minItems", set(), root, path, "too few items",
                            put(root, path, value[: node["minItems"] - 1]))
        if "maxItems" in node:
            extra = value + [copy.deepcopy(value[-1] if value else self.w.sample(node["items"]))] * (
                node["maxItems"] + 1 - len(value))
            yield self.case(f"{ptr}/maxItems", set(), root, path, "too many items", put(root, path, extra))
        if "items" in node:
            if not value:
                filled = put(root, path, [self.w.sample(node["items"])])
                if not accepted(filled):
                    return
                root = filled
            yield from self.walk(node["items"], f"{ptr}/items", root, [*path, 0])

    def object(self, node: dict[str, Any], ptr: str, root: Any, path: Path_, value: dict[str, Any]) -> Iterator[Case]:
        w = self.w
        for key in node.get("required", []):
            if key in value:
                yield self.case(f"{ptr}/required/{key}", set(), root, [*path, key], "missing",
                                delete(root, [*path, key]))
        ap = node.get("additionalProperties")
        if ap is False:
            for key in EXTRA_KEYS + (ROOT_EXTRA_KEYS if not path else ()):
                yield self.case(f"{ptr}/additionalProperties", set(), root, [*path, key], f"unknown field '{key}'",
                                put(root, [*path, key], 1))
        elif isinstance(ap, dict):
            names = node.get("propertyNames", {}).get("enum")
            if "propertyNames" in node:  # a key outside the enum (or not matching the pattern) of key names
                sample = copy.deepcopy(next(iter(value.values()))) if value else w.sample(ap)
                kw = "enum" if "enum" in node["propertyNames"] else "pattern"
                yield self.case(f"{ptr}/propertyNames/{kw}", set(), root, [*path, "nope"], "key not a choice",
                                put(root, [*path, "nope"], sample))
            entries = list(value)
            if not entries:
                key = names[0] if names else "key"
                filled = put(root, [*path, key], w.sample(ap))
                if accepted(filled):
                    root, entries = filled, [key]
            for key in entries:
                yield from self.walk(ap, f"{ptr}/additionalProperties", root, [*path, key])
        for key, sub in node.get("properties", {}).items():
            if key in value:
                yield from self.walk(sub, f"{ptr}/properties/{key}", root, [*path, key])
                continue
            target, _ = w.resolve(sub)
            filled = put(root, [*path, key], target["default"] if target.get("default") is not None else w.sample(sub))
            if accepted(filled):
                yield from self.walk(sub, f"{ptr}/properties/{key}", filled, [*path, key])


def bad_cases(schema: dict[str, Any], manifests: list[dict[str, Any]]) -> tuple[list[Case], list[Case]]:
    """(cases pydantic rejects, one per (rule, what), from the first manifest that has it; those it accepts)."""
    maker = CaseMaker(Walker(schema))
    seen: set[tuple[str, str]] = set()
    rejected: list[Case] = []
    lax: list[Case] = []
    for manifest in manifests:
        for case in [*maker.walk(schema, "#", manifest, []), *model_validator_cases(manifest)]:
            key = (case["rule"], case["what"])
            if key in seen:
                continue
            try:
                parse_manifest(case["manifest"])
            except ManifestError as err:
                case["python_error"] = str(err)
                rejected.append(case)
                seen.add(key)
            else:
                lax.append(case)
    return rejected, lax


def strip_defaults(walker: Walker, node: Any, value: Any, tags: frozenset[str] = frozenset()) -> Any:
    """``value`` without the optional fields that hold their default (what pydantic fills in back)."""
    node, _ = walker.resolve(node)
    for kw in ("anyOf", "oneOf"):
        if kw in node:
            if "discriminator" in node and isinstance(value, dict):
                tag = node["discriminator"]["propertyName"]
                target = node["discriminator"]["mapping"][value[tag]]
                return strip_defaults(walker, {"$ref": target}, value, tags | {tag})
            for branch in node[kw]:
                target, _ = walker.resolve(branch)
                if type_allows({target.get("type", "")}, json_type(value)) or "anyOf" in target or "oneOf" in target:
                    return strip_defaults(walker, branch, value, tags)
            return value
    if isinstance(value, list) and "items" in node:
        return [strip_defaults(walker, node["items"], v) for v in value]
    if isinstance(value, dict):
        props = node.get("properties", {})
        ap = node.get("additionalProperties")
        out = {}
        for key, v in value.items():
            if key in props:
                target, _ = walker.resolve(props[key])
                if key not in tags and "default" in target and target["default"] == v:
                    continue
                out[key] = strip_defaults(walker, props[key], v)
            elif isinstance(ap, dict):
                out[key] = strip_defaults(walker, ap, v)
            else:
                out[key] = v
        return out
    return value


def fixture(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """{schema, rules, valid: [{name, manifest, normalized}], bad: [cases]} for web/test/manifest.test.js."""
    from tests.web.trained_manifests import samples

    manifests = {**manifests, **samples(manifests)}
    schema = json_schema()
    walker = Walker(schema)
    valid = []
    for name, manifest in manifests.items():
        normalized = parse_manifest(manifest).model_dump(mode="json")
        minimal = strip_defaults(walker, schema, manifest)
        assert parse_manifest(minimal).model_dump(mode="json") == normalized, f"{name}: stripping defaults changed it"
        valid.append({"name": name, "manifest": manifest, "normalized": normalized})
        if minimal != manifest:
            valid.append({"name": f"{name} (defaults left out)", "manifest": minimal, "normalized": normalized})
    first = next(iter(manifests.values()))
    tensor = {k: v for k, v in first.items() if k not in ("preprocess", "postprocess", "labels")} | {"task": "tensor"}
    tensor["files"] = {k: v for k, v in tensor["files"].items() if "@" not in k}  # a size key needs preprocess
    valid.append({"name": "tensor (no pre/postprocess)", "manifest": tensor,
                  "normalized": parse_manifest(tensor).model_dump(mode="json")})

    # Smallest manifests first, so each case is made from the smallest manifest that has its rule.
    ordered = sorted(manifests.values(), key=lambda m: len(json.dumps(m)))
    bad, lax = bad_cases(schema, ordered)
    rules = walker.rules()
    covered = {r for case in bad for r in case["covers"]}
    missing = sorted(set(rules) - covered)
    if missing:
        raise AssertionError(f"JSON Schema rules without a bad-manifest case: {missing}")
    accepted_keys = {(c["rule"], c["what"]) for c in bad}
    lax_list = sorted({(c["rule"], c["field"], c["what"]) for c in lax if (c["rule"], c["what"]) not in accepted_keys})
    return {"schema": schema, "rules": rules, "valid": valid, "bad": bad,
            "pydantic_accepts": [{"rule": r, "field": f, "what": w} for r, f, w in lax_list]}
