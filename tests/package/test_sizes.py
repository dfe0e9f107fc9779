"""Size keys (``fp32@257x257``): the manifest rules, the helpers of edgeward.package.sizes, writing one into a
package. The JS twin gives the same answers (web/test/sizes.test.js on tests/web/size_fixtures.py)."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from edgeward.errors import ManifestError, OptionError
from edgeward.package.manifest import FILE_KEY_PATTERN, json_schema, parse_manifest, pick_variant, read_manifest
from edgeward.package.sizes import check_input_size, file_for_size, input_sizes, size_files, size_key
from edgeward.package.store import install_variant, model_file_name, verify_file
from tests.web.manifest_rules import size_key_cases


@pytest.fixture(scope="module")
def base(posenet_dir: Path) -> dict[str, Any]:
    """PoseNet's real manifest (385×385) without its size files."""
    data = json.loads((posenet_dir / "manifest.json").read_text())
    data["files"] = {k: v for k, v in data["files"].items() if "@" not in k and k != "int8-wasm"}  # as the rules need
    return data


def with_files(base: dict[str, Any], **extra: str) -> dict[str, Any]:
    """``base`` with each ``key=variant`` added as a copy of that variant's entry (keys spelt with '_at_')."""
    data = copy.deepcopy(base)
    for key, source in extra.items():
        data["files"][key.replace("_at_", "@")] = copy.deepcopy(base["files"][source])
    return data


def test_the_built_package_carries_257(posenet_dir: Path) -> None:
    manifest = read_manifest(posenet_dir / "manifest.json")
    assert input_sizes(manifest) == [(385, 385), (257, 257)]
    entry = manifest.files["fp32@257x257"]
    assert entry.path == "model.fp32.257x257.onnx"
    verify_file(posenet_dir, entry)
    assert set(entry.parity_max_abs_diff) == {o.name for o in manifest.outputs}
    assert 0 < max(entry.parity_max_abs_diff.values()) <= 2e-3  # verified against TF.js at 257, like the main file
    assert not manifest.files["fp32"].parity_max_abs_diff  # the main file's parity is the provenance's


@pytest.mark.parametrize("keys", [{"fp32_at_257x257": "fp32"}, {"int8_at_257x193": "fp32"},
                                  {"fp32_at_16x4096": "fp32", "fp16_at_4096x16": "fp32"}])
def test_valid_size_keys(base: dict[str, Any], keys: dict[str, str]) -> None:
    manifest = parse_manifest(with_files(base, **keys))
    assert set(manifest.files) == set(base["files"]) | {k.replace("_at_", "@") for k in keys}


def test_each_bad_size_key_is_refused_naming_it(base: dict[str, Any]) -> None:
    cases = list(size_key_cases(base))
    assert {c["rule"] for c in cases} >= {"x-size-needs-preprocess", "x-size-needs-variant", "x-size-side-range",
                                          "x-size-not-own", "#/properties/files/propertyNames/pattern"}
    for case in cases:
        with pytest.raises(ManifestError) as err:
            parse_manifest(case["manifest"])
        assert f"field '{case['field']}" in str(err.value), (case["what"], str(err.value))


@pytest.mark.parametrize(("key", "words"), [
    ("fp32@8x257", "height and width must be 16 to 4096"),
    ("fp32@385x385", "385x385 is the package's own input size (preprocess.size); that file is files.fp32"),
    ("int8-wasm@257x257", "the package has no 'int8-wasm' file at its own size (files.int8-wasm)"),
    ("fp32@0257x257", "String should match pattern"),
    ("head@257x257", "String should match pattern"),
])
def test_the_words_of_each_rule(base: dict[str, Any], key: str, words: str) -> None:
    data = copy.deepcopy(base)
    data["files"][key] = data["files"]["fp32"]
    with pytest.raises(ManifestError, match=rf"field 'files\.{key}[^']*': .*{re.escape(words)}"):
        parse_manifest(data)


def test_the_schema_says_the_key_pattern() -> None:
    files = json_schema()["properties"]["files"]
    assert files["propertyNames"] == {"pattern": FILE_KEY_PATTERN}
    assert files["additionalProperties"] == {"$ref": "#/$defs/FileEntry"}
    assert "patternProperties" not in files  # that form lets any other key through


def test_to_json_leaves_out_empty_parity(base: dict[str, Any]) -> None:
    data = with_files(base, fp32_at_257x257="fp32")
    data["files"]["fp32@257x257"]["parity_max_abs_diff"] = {"heatmap": 1e-4}
    written = json.loads(parse_manifest(data).to_json())
    assert written["files"]["fp32@257x257"]["parity_max_abs_diff"] == {"heatmap": 1e-4}
    assert "parity_max_abs_diff" not in written["files"]["fp32"]  # older manifests stay byte-identical


def test_input_sizes_own_first_then_by_area(base: dict[str, Any]) -> None:
    m = parse_manifest(with_files(base, fp32_at_193x257="fp32", int8_at_257x257="fp32", fp32_at_257x257="fp32",
                                  fp32_at_257x193="fp32", fp16_at_449x449="fp32"))
    assert input_sizes(m) == [(385, 385), (449, 449), (257, 257), (257, 193), (193, 257)]
    assert input_sizes(parse_manifest(base)) == [(385, 385)]


def test_size_key_and_file_for_size(base: dict[str, Any]) -> None:
    m = parse_manifest(with_files(base, fp32_at_257x257="fp32", int8_at_257x257="int8"))
    assert size_key(m, "int8", [385, 385]) == "int8" and size_key(m, "int8", (257, 193)) == "int8@257x193"
    assert file_for_size(m, "int8", [257, 257]) == ("int8@257x257", m.files["int8@257x257"])
    assert file_for_size(m, "fp16", [257, 257]) == ("fp32@257x257", m.files["fp32@257x257"])  # fp32's otherwise
    assert file_for_size(m, "fp16", (385, 385)) == ("fp16", m.files["fp16"])
    with pytest.raises(OptionError, match=r"^posenet has no 300x300 input size \(it carries 385x385, 257x257\)$"):
        file_for_size(m, "fp32", [300, 300])
    assert size_files(m, "int8") == ["int8@257x257"] and size_files(m, "fp16") == ["fp32@257x257"]


def test_only_int8_at_a_size(base: dict[str, Any]) -> None:
    m = parse_manifest(with_files(base, int8_at_257x257="int8"))
    assert file_for_size(m, "int8", [257, 257])[0] == "int8@257x257"
    with pytest.raises(OptionError, match="no 257x257 input size"):
        file_for_size(m, "fp16", [257, 257])
    assert size_files(m, "fp16") == []


def test_pick_variant_ignores_size_keys(base: dict[str, Any]) -> None:
    data = with_files(base, fp32_at_257x257="fp32")
    data["files"] = {"fp32@257x257": data["files"]["fp32@257x257"], "fp32": data["files"]["fp32"]}
    m = parse_manifest(data)
    assert pick_variant(m, "cpu") == "fp32"
    with pytest.raises(ManifestError, match="'fp32@257x257' is a file for another input size, not a variant"):
        pick_variant(m, "cpu", "fp32@257x257")
    with pytest.raises(ManifestError, match="'fp32@bad' is a file for another input size"):  # not a ValueError
        pick_variant(m, "cpu", "fp32@bad")


@pytest.mark.parametrize(("value", "size"), [(None, None), (257, (257, 257)), ([257, 193], (257, 193)),
                                             ((16, 4096), (16, 4096))])
def test_input_size_option(value: Any, size: Any) -> None:
    assert check_input_size(value) == size


@pytest.mark.parametrize("value", [15, 4097, [257], [257, 257, 3], True, 257.0, "257", [257, "193"], 0])
def test_bad_input_size_option(value: Any) -> None:
    with pytest.raises(OptionError, match=r"input_size must be an integer or \[height, width\], each 16 to 4096"):
        check_input_size(value)


def test_install_a_size_file_keeps_the_rest(posenet_dir: Path, tmp_path: Path) -> None:
    package = tmp_path / "posenet"
    shutil.copytree(posenet_dir, package)
    before = json.loads((package / "manifest.json").read_text())
    model = package / model_file_name("fp32")
    manifest = install_variant(package, "int8@321x321", model, parity={"x": 1e-5})
    entry = manifest.files["int8@321x321"]
    assert entry.path == "model.int8.321x321.onnx" and entry.parity_max_abs_diff == {"x": 1e-5}
    verify_file(package, entry)
    after = json.loads((package / "manifest.json").read_text())
    assert after["files"].pop("int8@321x321")["sha256"] == before["files"]["fp32"]["sha256"]
    assert after == before
