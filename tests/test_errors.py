"""One error hierarchy on both sides: web/src/errors.js has Python's classes, with the same parents,
and a {name, message, stack} from the worker becomes the same class again on the page."""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from edgeward import errors

ERRORS_JS = Path(__file__).resolve().parents[1] / "web" / "src" / "errors.js"
PYTHON_ONLY = {"MissingExtraError": "pip extras exist only in Python",
               "OptionError": "the browser throws the built-in RangeError, as onnxruntime-web does",
               "BrowserStartError": "Python's harness could not start Chromium",
               "VendorFilesError": "the npm files the Python server serves or runs are missing (edgeward.vendor)"}
JS_ONLY = {"DownloadError", "WorkerError"}

SCRIPT = """
const E = await import(process.argv[1]);
const tree = Object.fromEntries(Object.entries(E.ERROR_CLASSES).map(([name, C]) =>
  [name, Object.getPrototypeOf(C).name === 'Error' ? null : Object.getPrototypeOf(C.prototype).name]));
const thrown = new E.ModelFormatError('model.json: shard 1 is 12 bytes short');
const back = E.deserializeError(JSON.parse(JSON.stringify(E.serializeError(thrown))));
const range = E.deserializeError(E.serializeError(new RangeError('maxPoses must be an integer >= 1')));
const odd = E.deserializeError({ name: 'SomethingElse', message: 'm', stack: 'at x' });
console.log(JSON.stringify({ tree, rebuilt: {
  name: back.name, isModelFormat: back instanceof E.ModelFormatError, isConversion: back instanceof E.ConversionError,
  isEdgeward: back instanceof E.EdgewardError, message: back.message, causeStack: back.cause.stack,
  range: range instanceof RangeError, oddName: odd.name, oddIsError: odd instanceof Error,
} }));
"""


@pytest.fixture(scope="module")
def js() -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH (the README's setup installs Node 20)")
    out = subprocess.run([node, "--input-type=module", "-e", SCRIPT, ERRORS_JS.as_uri()], capture_output=True,
                         text=True, check=True, timeout=60)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _python_tree() -> dict[str, str | None]:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, errors.EdgewardError) and c.__module__ == errors.__name__]
    return {c.__name__: (None if c is errors.EdgewardError else c.__mro__[1].__name__) for c in classes}


def test_js_has_every_python_error_with_the_same_parent(js: dict) -> None:
    python = {k: v for k, v in _python_tree().items() if k not in PYTHON_ONLY}
    tree = js["tree"]
    assert set(tree) - set(python) == JS_ONLY
    for name, parent in python.items():
        assert name in tree, f"{name} is in edgeward/errors.py but not in web/src/errors.js"
        assert tree[name] == parent, f"{name}: parent {tree[name]} in JS, {parent} in Python"
    for name in JS_ONLY:
        assert tree[name] == "EdgewardError"


def test_an_error_keeps_its_class_and_stack_across_the_boundary(js: dict) -> None:
    r = js["rebuilt"]
    assert r["name"] == "ModelFormatError" and r["isModelFormat"] and r["isConversion"] and r["isEdgeward"]
    assert r["message"] == "model.json: shard 1 is 12 bytes short"
    assert "ModelFormatError" in r["causeStack"]  # the thrower's stack, not the rebuilder's
    assert r["range"] and r["oddName"] == "SomethingElse" and r["oddIsError"]
