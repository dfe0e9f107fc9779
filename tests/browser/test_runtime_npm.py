"""``@edgeward/runtime`` as a web developer gets it: ``npm pack`` of web/src, the tarball installed into the
Vite example (web/examples/vite) with onnxruntime-web and vite from npm, ``vite build``, then the built
app served next to a registry holding PoseNet. In Chromium it resolves ``posenet@^1`` through the registry,
runs onnxruntime-web from its own bundle (never the server's /vendor copy) and finds the pose Python
finds. ``tsc --noEmit`` checks the typed example (web/examples/typed) against the installed package."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.staticfiles import StaticFiles

import edgeward
from edgeward.browser.chromium import launch_chromium
from edgeward.package.manifest import MANIFEST_FILE, read_manifest
from edgeward.registry.client import RegistryClient
from edgeward.server.app import create_app
from edgeward.server.background import serve_in_thread
from edgeward.settings import get_settings
from tests.browser.conftest import browser_backend, browser_variant
from tests.browser.test_parity import assert_gate_agreement

pytestmark = pytest.mark.browser

WEB = Path(__file__).resolve().parents[2] / "web"
TOKEN = "npm-test-token"
OPTIONS = {"max_poses": 1, "score_threshold": 0.3}  # web/examples/vite/main.js's POSE_OPTIONS
MAX_PX, MAX_SCORE = 1.5, 0.02
HINT = "bundle workers as ES modules (Vite: worker: {format: 'es'})"
IIFE_CONFIG = "import config from './vite.config.js';\nexport default {...config, worker: {format: 'iife'}};\n"
TYPED_TSCONFIG = {"compilerOptions": {
    "target": "ES2022", "module": "ESNext", "moduleResolution": "bundler", "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "strict": True, "noEmit": True, "skipLibCheck": False, "types": []}, "files": ["example.ts"]}


def run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(args)} in {cwd}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def npm() -> str:
    found = shutil.which("npm")
    assert found, "npm is not installed (scripts/setup.sh installs Node.js)"
    return found


@pytest.fixture(scope="module")
def packed(npm: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`npm pack` of the runtime: {tarball: Path, files: [paths in it], package: its package.json}."""
    out = tmp_path_factory.mktemp("pack")
    info = json.loads(run([npm, "pack", "--json", "--pack-destination", str(out)], WEB / "src").stdout)[0]
    return {"tarball": out / info["filename"], "files": sorted(f["path"] for f in info["files"]),
            "package": json.loads((WEB / "src" / "package.json").read_text())}


@pytest.fixture(scope="module")
def vite_app(npm: str, packed: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Vite example with the tarball, onnxruntime-web and vite installed (npm's cache first), built."""
    app = tmp_path_factory.mktemp("vite") / "app"
    shutil.copytree(WEB / "examples" / "vite", app, ignore=shutil.ignore_patterns("node_modules", "dist"))
    tarball = shutil.copy(packed["tarball"], app)
    run([npm, "install", "--no-audit", "--no-fund", "--prefer-offline", f"./{Path(tarball).name}"], app, timeout=180)
    vite = str(app / "node_modules" / ".bin" / "vite")
    run([vite, "build", "--logLevel", "warn"], app)
    # the mistake the example's config avoids: Vite's default worker format bundles onnxruntime-web into the worker
    (app / "vite.iife.config.js").write_text(IIFE_CONFIG)
    run([vite, "build", "--logLevel", "warn", "-c", "vite.iife.config.js", "--outDir", "dist-iife"], app)
    return app


@pytest.fixture(scope="module")
def served(vite_app: Path, posenet_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Edgeward server with a fresh registry holding PoseNet, the built app under /app/."""
    settings = replace(get_settings(), home=tmp_path_factory.mktemp("home"), registry_token=TOKEN,
                       registry_url=None, database_url=None, blob_dir=None)
    app = create_app(settings)
    app.mount("/app-iife", StaticFiles(directory=vite_app / "dist-iife", html=True), name="vite-app-iife")
    app.mount("/app", StaticFiles(directory=vite_app / "dist", html=True), name="vite-app")
    with serve_in_thread(app=app) as base:
        with RegistryClient(base, TOKEN) as client:
            client.publish(posenet_dir)
        yield base


def test_the_tarball_is_the_runtime_with_its_types(packed: dict[str, Any]) -> None:
    pkg = packed["package"]
    assert pkg["name"] == "@edgeward/runtime" and not pkg.get("private")
    assert pkg["exports"]["."] == {"types": "./edgeward.d.ts", "default": "./edgeward.js"}
    assert pkg["peerDependencies"] == {"onnxruntime-web": "~1.30.0"}
    assert packed["tarball"].name == f"edgeward-runtime-{pkg['version']}.tgz"
    source = sorted(str(p.relative_to(WEB / "src")) for p in (WEB / "src").rglob("*") if p.is_file())
    assert packed["files"] == source  # every module, schema and the types; nothing else
    assert {"edgeward.d.ts", "worker.js", "manifest.schema.json"} <= set(packed["files"])


def test_the_typed_example_compiles_against_the_installed_package(vite_app: Path) -> None:
    project = vite_app / "typed"  # inside the app: '@edgeward/runtime' resolves through its node_modules
    project.mkdir(exist_ok=True)
    shutil.copy(WEB / "examples" / "typed" / "example.ts", project)
    (project / "tsconfig.json").write_text(json.dumps(TYPED_TSCONFIG))
    tsc = WEB / "node_modules" / "typescript" / "bin" / "tsc"
    run(["node", str(tsc), "-p", str(project / "tsconfig.json")], project)  # ts-expect-error lines prove it typed
    broken = project / "broken.ts"
    broken.write_text("import { createPoseDetector } from '@edgeward/runtime';\n"
                      "createPoseDetector('/models/posenet/', { variant: 'fp64' });\n")
    (project / "tsconfig.json").write_text(json.dumps({**TYPED_TSCONFIG, "files": ["broken.ts"]}))
    proc = subprocess.run(["node", str(tsc), "-p", str(project / "tsconfig.json")], cwd=project,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "'\"fp64\"' is not assignable" in proc.stdout, proc.stdout


def test_the_built_app_finds_the_pose_python_finds(served: str, posenet_dir: Path, astronaut: Path,
                                                  playwright_instance: Any, tmp_path: Path) -> None:
    requests: list[str] = []
    errors: list[str] = []
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    try:
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{served}/app/?model=posenet@^1")  # the registry: this page's server
        page.wait_for_function("() => ['ready', 'error'].includes(document.body.dataset.status)", timeout=60_000)
        assert page.evaluate("document.body.dataset.status") == "ready", page.text_content("#status")
        assert page.evaluate("crossOriginIsolated")
        page.set_input_files("#photo", str(astronaut))
        page.wait_for_function("() => ['done', 'error'].includes(document.body.dataset.status)", timeout=60_000)
        assert page.evaluate("document.body.dataset.status") == "done", page.text_content("#status")
        js = json.loads(page.text_content("#poses") or "null")
        status, backend = page.text_content("#status"), page.evaluate("document.body.dataset.backend")
        variant = page.evaluate("document.body.dataset.variant")
    finally:
        context.close()
    manifest = read_manifest(posenet_dir / MANIFEST_FILE)
    assert variant == browser_variant(manifest)  # unasked: the kernels' file, else the one made for WASM
    py = edgeward.load(str(posenet_dir)).estimate_poses(astronaut, **OPTIONS)  # fp32
    assert not errors
    assert status.startswith(f"posenet@1.0.0 on {browser_backend(manifest)}") and backend == browser_backend(manifest)
    assert len(py) == len(js) == 1
    if variant == "fp32":  # the same file: the same pose, every keypoint, confident or not
        assert abs(py[0]["score"] - js[0]["score"]) <= MAX_SCORE
        for a, b in zip(py[0]["keypoints"], js[0]["keypoints"], strict=True):
            assert a["name"] == b["name"]
            assert abs(a["x"] - b["x"]) <= MAX_PX and abs(a["y"] - b["y"]) <= MAX_PX, (a, b)
            assert abs(a["score"] - b["score"]) <= MAX_SCORE, (a, b)
    else:  # int8-wasm, int8-kernels: fp32's pose by its accuracy gate's rule (confident keypoints within 8 px)
        assert_gate_agreement(py[0], js[0], variant)
    # the package through the registry; onnxruntime-web (module and .wasm), or Edgeward's kernels, from the app's
    # own build
    assert any("/api/v1/packages/posenet/resolve?range=%5E1" in u for u in requests)
    file = manifest.files[variant].path
    assert any(u.endswith(f"/api/v1/packages/posenet/versions/1.0.0/files/{file}") for u in requests)
    engine = "kernels" if backend == "kernels" else "ort-wasm-simd-threaded"
    assert any(u.startswith(f"{served}/app/assets/{engine}") and u.endswith(".wasm") for u in requests), requests
    assert not [u for u in requests if "/vendor/" in u or "/runtime/" in u or "/models/" in u]


def test_a_worker_bundled_with_onnxruntime_web_fails_saying_why(served: str, playwright_instance: Any,
                                                                tmp_path: Path) -> None:
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    try:
        page = context.new_page()
        page.goto(f"{served}/app-iife/?model=posenet@^1&backend=wasm")  # onnxruntime-web (the kernels would run)
        page.wait_for_function("() => ['ready', 'error'].includes(document.body.dataset.status)", timeout=60_000)
        status = page.evaluate("document.body.dataset.status"), page.text_content("#status") or ""
    finally:
        context.close()
    # at once, not a hang, and the page's own error says what to do (not onnxruntime-web's opaque event)
    assert status[0] == "error" and status[1].startswith("WorkerError: onnxruntime-web was bundled"), status
    assert HINT in status[1], status
