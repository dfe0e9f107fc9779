"""One task table per side: Python's TASKS and web/src/tasks/index.js list the same tasks with the same
defaults, the runtime never reaches into tasks, and PoseNet is decoded in one place only."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edgeward.tasks import TASKS

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web" / "src"
SRC = ROOT / "src" / "edgeward"

JS_TABLE = """
const { TASKS } = await import(process.argv[1]);
const api = await import(process.argv[2]);
console.log(JSON.stringify(Object.fromEntries(Object.entries(TASKS).map(([k, t]) => [k, {
  name: t.name, defaults: t.defaults, method: t.method, result: t.result, decodes: t.decode !== null,
  factory: typeof api[t.factory] === 'function' ? t.factory : null,
}]))));
"""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


@pytest.fixture(scope="module")
def js_tasks() -> dict[str, dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH (the README's setup installs Node 20)")
    out = subprocess.run([node, "--input-type=module", "-e", JS_TABLE, (WEB / "tasks" / "index.js").as_uri(),
                          (WEB / "edgeward.js").as_uri()], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_both_tables_list_the_same_tasks(js_tasks: dict[str, dict]) -> None:
    assert list(js_tasks) == list(TASKS) == ["pose", "detect", "classify", "tensor", "features"]
    for name, task in TASKS.items():
        js = js_tasks[name]
        assert js["name"] == task.name == name
        assert js["decodes"] == (task.decoder is not None), name
        assert js["factory"], f"{name}: the JS table names a factory edgeward.js does not export"
        assert (task.method is None) == (js["method"] == "run"), name


def test_both_tables_have_the_same_defaults(js_tasks: dict[str, dict]) -> None:
    for name, task in TASKS.items():
        js = {_snake(k): v for k, v in js_tasks[name]["defaults"].items()}
        assert js == task.defaults, f"task '{name}': JS defaults {js} != Python defaults {task.defaults}"
    assert TASKS["pose"].defaults == {"max_poses": 1, "score_threshold": 0.5, "nms_radius": 20.0,
                                      "flip_horizontal": False, "roi": None, "resize": None, "input_size": None}


# Options a handle's method does not take as a parameter, and why.
NOT_PARAMETERS = {("classify", "embedding"): "ClassifyHandle.embed() asks for it"}


def test_handles_take_their_defaults_from_the_table() -> None:
    import inspect

    checked = 0
    for task in TASKS.values():
        if task.method is None:
            continue
        params = inspect.signature(getattr(task.handle, task.method)).parameters
        for key, value in task.defaults.items():
            if (task.name, key) in NOT_PARAMETERS:
                continue
            assert key in params, f"{task.handle.__name__}.{task.method}() has no parameter '{key}'"
            assert params[key].default == value, f"{task.handle.__name__}.{task.method}({key}=…)"
            checked += 1
    assert checked >= 11  # pose 7, detect 3, classify 1 (+ features)


def _imports(root: Path, module: str) -> list[str]:
    pattern = re.compile(rf"^\s*(from|import)\s+{re.escape(module)}\b", re.M)
    return [str(p.relative_to(ROOT)) for p in sorted(root.rglob("*.py")) if pattern.search(p.read_text())]


def test_the_runtime_never_imports_tasks() -> None:
    assert _imports(SRC / "runtime", "edgeward.tasks") == []
    assert _imports(SRC / "runtime", "edgeward.optimize") == []


def test_posenet_is_decoded_in_one_place() -> None:
    users = [p for p in _imports(SRC, "edgeward.tasks.posenet") if not p.startswith("src/edgeward/tasks/")]
    assert users == [], "PoseNet decoding belongs to edgeward.tasks.pose; decode through it"
    assert not [p for p in SRC.rglob("*.py") if "def decode_multiple" in p.read_text()
                and p.name != "posenet.py"]


def test_the_table_prints() -> None:
    out = subprocess.run([sys.executable, "-m", "edgeward.tasks"], capture_output=True, text=True, check=True,
                         timeout=60, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    for name in TASKS:
        assert name in out.stdout
    assert "PoseHandle" in out.stdout and "estimate_poses" in out.stdout
