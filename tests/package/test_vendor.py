"""The npm files Edgeward serves or runs (edgeward.vendor): the list the wheel ships is what the runtime loads,
TF.js is fetched on demand at web/package.json's versions, and the packaging odds and ends (samples extra,
``python -m edgeward``)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from edgeward.convert.tfjs.pipeline import convert_and_verify
from edgeward.errors import MissingExtraError, VendorFilesError
from edgeward.runtime.samples import sample_path
from edgeward.settings import get_settings
from edgeward.vendor import ONNXRUNTIME_WEB_FILES, TFJS_PACKAGES, check_runtime_files, tfjs_node_modules
from tests.convert.tfjs_fixtures import small_cnn

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = WEB / "node_modules" / "onnxruntime-web" / "dist"


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def _loads(file: Path, pattern: str) -> set[str]:
    return set(re.findall(pattern, file.read_text()))


def test_the_shipped_files_are_what_the_runtime_loads() -> None:
    backends = (WEB / "src" / "backends.js").read_text()
    modules = {re.search(rf"export const {c} = '([^']+)'", backends).group(1)  # type: ignore[union-attr]
               for c in ("ORT_WASM_MODULE", "ORT_ALL_MODULE")}
    # each ort module imports one Emscripten module, which fetches its own .wasm
    emscripten = set().union(*(_loads(DIST / m, r"ort-wasm-simd-threaded[a-z.]*\.mjs") for m in modules))
    wasm = set().union(*(_loads(DIST / m, r"ort-wasm-simd-threaded[a-z.]*\.wasm") for m in emscripten))
    assert len(emscripten) == 2 and len(wasm) == 2
    assert {f"dist/{f}" for f in modules | emscripten | wasm} == {f for f in ONNXRUNTIME_WEB_FILES
                                                                 if f.startswith("dist/")}
    assert check_runtime_files() == DIST  # the checkout has them all


def test_a_wheel_build_without_npm_ci_says_so(tmp_path: Path) -> None:
    src = tmp_path / "checkout"  # this checkout's sources, without web/node_modules
    for rel in ("pyproject.toml", "hatch_build.py", "README.md", "web/package.json"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, src / rel)
    for rel in ("src/edgeward", "web/src", "web/apps", "web/tools"):
        shutil.copytree(ROOT / rel, src / rel, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(src)], capture_output=True, text=True, timeout=300)
    assert build.returncode != 0 and not list(tmp_path.glob("dist/*.whl"))
    assert "onnxruntime-web's runtime files are missing" in build.stderr
    assert "run `npm ci` in web/ first" in build.stderr


def test_tfjs_comes_from_the_checkout_when_it_has_it() -> None:
    assert tfjs_node_modules(fetch=False) == WEB / "node_modules"


def test_tfjs_is_fetched_once_at_the_pinned_versions_and_verifies_a_conversion(
        settings_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings_env.setenv("EDGEWARD_NODE_MODULES", str(tmp_path / "node_modules"))  # as an installed wheel: none
    settings_env.setenv("EDGEWARD_HOME", str(tmp_path / "home"))
    assert tfjs_node_modules(fetch=False) is None
    model_json = small_cnn(tmp_path / "m", (32, 32))
    report = convert_and_verify(model_json, tmp_path / "m.onnx", images=[sample_path("astronaut.png")]).report
    assert report.worst <= report.tolerance and report.cases
    assert "fetching @tensorflow/tfjs@4.22.0" in capsys.readouterr().err
    folder = tfjs_node_modules(fetch=False)
    assert folder == tmp_path / "home" / "npm" / "edgeward-tfjs@4.22.0" / "node_modules"
    pins = json.loads((WEB / "package.json").read_text())["devDependencies"]
    for name in TFJS_PACKAGES:
        assert json.loads((folder / name / "package.json").read_text())["version"] == pins[name]
    assert tfjs_node_modules() == folder and capsys.readouterr().err == ""  # once: no second fetch


def test_an_unpinned_tfjs_version_names_the_file_and_field(settings_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    web = tmp_path / "web"
    web.mkdir()
    (web / "package.json").write_text(json.dumps({"devDependencies": {"@tensorflow/tfjs": "^4.22.0"}}))
    settings_env.setenv("EDGEWARD_WEB_ROOT", str(web))
    settings_env.setenv("EDGEWARD_HOME", str(tmp_path / "home"))
    with pytest.raises(VendorFilesError, match=r"web/package.json: field 'devDependencies.@tensorflow/tfjs' "
                                               r"must pin an exact version, got '\^4.22.0'"):
        tfjs_node_modules()


def test_sample_photos_without_scikit_image_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "skimage", None)  # `import skimage` now raises ImportError
    monkeypatch.setitem(sys.modules, "skimage.data", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'edgeward\[samples\]'"):
        sample_path("astronaut.png")


def test_python_dash_m_edgeward_is_the_cli(tmp_path: Path) -> None:
    version = subprocess.run([sys.executable, "-m", "edgeward", "--version"], capture_output=True, text=True,
                             timeout=60, cwd=tmp_path)
    assert version.returncode == 0 and version.stdout == "edgeward 0.1.0\n", version.stderr
    usage = subprocess.run([sys.executable, "-m", "edgeward", "pose", "missing.jpg"], capture_output=True,
                           text=True, timeout=60, cwd=tmp_path)
    assert usage.returncode == 2 and "missing.jpg: no such file" in usage.stderr
    help_ = subprocess.run([sys.executable, "-m", "edgeward", "--help"], capture_output=True, text=True, timeout=60)
    assert "Usage: edgeward " in help_.stdout  # named as the command, not __main__.py
