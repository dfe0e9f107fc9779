"""The wheel as a user gets it: built from this checkout (hatch_build.py adds onnxruntime-web's runtime files),
installed non-editable into a fresh venv, run from a folder outside the checkout with no EDGEWARD_NODE_MODULES.
`edgeward serve` serves the playground and the runtime's onnxruntime-web files, and `edgeward pose --browser`
gives Python's keypoints on a real photo. The zoo comes from the test home (EDGEWARD_HOME), so nothing is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from edgeward.server.background import free_port
from edgeward.settings import get_settings
from edgeward.vendor import ONNXRUNTIME_WEB, ONNXRUNTIME_WEB_FILES

pytestmark = pytest.mark.browser  # `edgeward pose --browser` drives Debian's Chromium

ROOT = Path(__file__).resolve().parents[2]
PX = 1.5


class Venv:
    def __init__(self, folder: Path, wheel: Path, home: Path) -> None:
        self.folder, self.wheel, self.home = folder, wheel, home
        self.cwd = folder.parent / "cwd"  # outside the checkout: nothing can be found relative to it
        self.cwd.mkdir()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("EDGEWARD_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self.env.update(EDGEWARD_HOME=str(home), PATH=f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}")

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """A command of the venv (``edgeward``, ``python``), run from the outside folder."""
        return subprocess.run([str(self.folder / "bin" / args[0]), *args[1:]], cwd=self.cwd, env=self.env,
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    tmp = tmp_path_factory.mktemp("wheel")
    timings: dict[str, float] = {}
    start = time.monotonic()
    # pip builds it as a user's `pip install .` would: in an isolated environment with hatchling.
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (tmp / "dist").glob("edgeward-*.whl")
    timings["build"] = time.monotonic() - start
    folder = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=60)
    # This venv's pip installs into the fresh one (no ensurepip); --no-compile: nothing imports most of it.
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(folder / "bin" / "python"), "install",
                              "-q", "--no-compile", f"{wheel}[browser]"], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]
    timings["venv + install"] = time.monotonic() - start - timings["build"]
    # A home of its own holding the test home's built zoo: the installed server writes its registry
    # database there, and finds no TF.js (the wheel must not need it).
    home = tmp / "home"
    home.mkdir()
    (home / "packages").symlink_to(get_settings().packages_dir.resolve(), target_is_directory=True)
    print(f"wheel {wheel.stat().st_size / 1e6:.1f} MB; " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    return Venv(folder, wheel, home)


@pytest.fixture(scope="module")
def server(venv: Venv) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([str(venv.folder / "bin" / "edgeward"), "serve", "--port", str(port)], cwd=venv.cwd,
                            env=venv.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{base}/apps/playground/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"`edgeward serve` did not come up: {proc.communicate(timeout=10)[0][-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_the_installed_package_is_the_wheel_not_the_checkout(venv: Venv) -> None:
    probe = venv.run("python", "-c", "import json, edgeward, edgeward.settings as s; g = s.get_settings(); "
                     "print(json.dumps([edgeward.__file__, str(g.web_root), str(g.node_modules)]))")
    assert probe.returncode == 0, probe.stderr
    for path in json.loads(probe.stdout):
        assert Path(path).is_relative_to(venv.folder), path  # not the checkout's src/ or web/
    with zipfile.ZipFile(venv.wheel) as z:
        names = set(z.namelist())
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "edgeward/py.typed" in names and "edgeward/web/tools/tfjs_reference.mjs" in names
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert any(r.startswith("Requires-Dist: starlette>=1.5.1") for r in requires)
    assert all("scikit-image" not in r or "extra ==" in r for r in requires), requires  # only in extras
    assert all("==" not in r.split(";")[0] for r in requires if r.startswith("Requires-Dist: torch")), requires
    version = venv.run("python", "-m", "edgeward", "--version")
    assert version.returncode == 0 and version.stdout == "edgeward 0.1.0\n", version.stderr


def test_serve_answers_the_playground_and_the_runtime_files(venv: Venv, server: str) -> None:
    page = httpx.get(f"{server}/apps/playground/")
    assert page.headers["content-type"].startswith("text/html") and b"<html" in page.content.lower()
    assert httpx.get(f"{server}/runtime/edgeward.js").status_code == 200
    checkout = ROOT / "web" / "node_modules" / ONNXRUNTIME_WEB
    for rel in ONNXRUNTIME_WEB_FILES:
        if not rel.startswith("dist/"):
            continue
        r = httpx.get(f"{server}/vendor/onnxruntime-web/{rel.removeprefix('dist/')}", timeout=30)
        assert r.status_code == 200, rel
        assert hashlib.sha256(r.content).digest() == hashlib.sha256((checkout / rel).read_bytes()).digest(), rel
    tfjs = httpx.get(f"{server}/vendor/tfjs/tf.es2017.min.js")  # not shipped; the bench fetches it when needed
    assert tfjs.status_code == 404 and "edgeward bench" in tfjs.text


def _keypoints(result: subprocess.CompletedProcess[str]) -> dict[str, tuple[float, float]]:
    assert result.returncode == 0, result.stderr[-3000:]
    poses: list[dict[str, Any]] = json.loads(result.stdout)
    assert len(poses) == 1
    return {k["name"]: (k["x"], k["y"]) for k in poses[0]["keypoints"]}


def test_pose_in_the_browser_matches_python_on_a_real_photo(venv: Venv, astronaut: Path) -> None:
    photo = shutil.copy(astronaut, venv.cwd / "astronaut.png")
    args = ("edgeward", "pose", str(photo), "--score-threshold", "0.1", "--json")  # its pose scores 0.49
    browser = _keypoints(venv.run(*args, "--browser"))
    python = _keypoints(venv.run(*args))
    assert browser.keys() == python.keys() and len(python) == 17
    worst = max(max(abs(browser[k][0] - python[k][0]), abs(browser[k][1] - python[k][1])) for k in python)
    print(f"pose from the wheel: browser vs Python, worst keypoint {worst:.2g} px")
    assert worst <= PX, f"browser and Python keypoints differ by up to {worst:.2f} px"
    nose = python["nose"]
    assert 150 < nose[0] < 280 and 50 < nose[1] < 160, nose  # the astronaut's face, upper left of the photo


def test_serve_without_the_runtime_files_says_what_to_do(venv: Venv, server: str) -> None:
    # Last: the server fixture's process keeps running from memory; this install loses a file for good.
    probe = venv.run("python", "-c", "from edgeward.settings import get_settings; print(get_settings().node_modules)")
    (Path(probe.stdout.strip()) / ONNXRUNTIME_WEB / "dist" / "ort-wasm-simd-threaded.wasm").unlink()
    result = venv.run("edgeward", "serve", "--port", str(free_port()), timeout=60)
    assert result.returncode == 3, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "ort-wasm-simd-threaded.wasm" in message and "reinstall Edgeward from a wheel" in message
    assert "Traceback" not in result.stderr
