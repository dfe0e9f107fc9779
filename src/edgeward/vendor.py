"""The npm files Edgeward serves or runs but does not write.

- **onnxruntime-web**, the browser runtime's engine, served at ``/vendor/onnxruntime-web/``. A checkout has it
  from ``npm ci`` in web/; a wheel ships the files the runtime loads (hatch_build.py copies them into
  ``edgeward/web/node_modules/onnxruntime-web``, the checkout's layout, so settings need no second rule).
- **TF.js** (tfjs, tfjs-backend-wasm, @tensorflow-models/posenet), the reference a TF.js conversion is
  verified against and the bench's baseline. A checkout's web/node_modules has them (dev dependencies);
  anywhere else they are fetched from npm on first use into ``$EDGEWARD_HOME/npm``, at the versions
  web/package.json pins.

Only the standard library is imported at the top: hatch_build.py loads this file by path at build time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edgeward.settings import Settings

ONNXRUNTIME_WEB = "onnxruntime-web"
# web/src/backends.js imports ORT_WASM_MODULE (CPU) or ORT_ALL_MODULE (adds WebGPU); each loads its
# Emscripten module (.mjs, also the pthread workers' script) and that module's .wasm, by fixed names.
# Source maps and the other builds (webgl, jspi, asyncify, bundles, node) are never requested.
ONNXRUNTIME_WEB_FILES = (
    "dist/ort.wasm.min.mjs", "dist/ort-wasm-simd-threaded.mjs", "dist/ort-wasm-simd-threaded.wasm",
    "dist/ort.all.min.mjs", "dist/ort-wasm-simd-threaded.jsep.mjs", "dist/ort-wasm-simd-threaded.jsep.wasm",
    "package.json",  # its version (the bench reports it) and its license (MIT)
)
TFJS_PACKAGES = ("@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@tensorflow-models/posenet")
# npm's codes for "the registry cannot be reached" (getaddrinfo, connect, TLS and socket failures).
_OFFLINE = re.compile(r"\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b")

Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _errors() -> ModuleType:  # imported late: see the module docstring
    from edgeward import errors

    return errors


def _settings(settings: Settings | None) -> Settings:
    from edgeward.settings import get_settings

    return settings or get_settings()


def _is_wheel(settings: Settings) -> bool:
    return settings.web_root.resolve() == (Path(__file__).parent / "web").resolve()


def check_runtime_files(settings: Settings | None = None) -> Path:
    """The folder /vendor/onnxruntime-web/ serves, once every file the runtime loads is there; else a
    VendorFilesError that says how to get them."""
    s = _settings(settings)
    package = s.node_modules / ONNXRUNTIME_WEB
    missing = [f for f in ONNXRUNTIME_WEB_FILES if not (package / f).is_file()]
    if not missing:
        return package / "dist"
    if "EDGEWARD_NODE_MODULES" in os.environ:
        how = "EDGEWARD_NODE_MODULES points there: run `npm ci` in the folder it belongs to, or unset it"
    elif _is_wheel(s):
        how = ("this installation lacks them: reinstall Edgeward from a wheel built after `npm ci` in web/ "
               "(hatch_build.py copies them), or set EDGEWARD_NODE_MODULES to a node_modules folder that has "
               f"{ONNXRUNTIME_WEB}")
    else:
        how = f"run `npm ci` in {s.web_root}"
    raise _errors().VendorFilesError(
        f"{package}: the browser runtime's {ONNXRUNTIME_WEB} files are missing ({', '.join(missing)}); {how}")


def pinned_versions(settings: Settings | None = None) -> dict[str, str]:
    """The exact TF.js versions web/package.json pins (the ones `npm ci` installs in a checkout)."""
    s = _settings(settings)
    path = s.web_root / "package.json"
    try:
        pkg = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise _errors().VendorFilesError(f"{path}: cannot read the pinned TF.js versions ({e})") from None
    deps = {**pkg.get("peerDependencies", {}), **pkg.get("dependencies", {}), **pkg.get("devDependencies", {})}
    pins = {}
    for name in TFJS_PACKAGES:
        version = deps.get(name)
        if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+\.\d+", version):
            raise _errors().VendorFilesError(f"{path}: field 'devDependencies.{name}' must pin an exact version, "
                                             f"got {version!r}")
        pins[name] = version
    return pins


def _installed_version(node_modules: Path, name: str) -> str | None:
    try:
        return str(json.loads((node_modules / name / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def tfjs_node_modules(settings: Settings | None = None, *, fetch: bool = True, why: str = "TF.js",
                      progress: Progress | None = None) -> Path | None:
    """A node_modules folder holding TF.js: the checkout's (or EDGEWARD_NODE_MODULES) when it has the
    packages, else Edgeward's own copy under ``$EDGEWARD_HOME/npm``, fetched now from npm when ``fetch``
    (None when it is not there and ``fetch`` is False). ``why`` names the need in progress and errors."""
    s = _settings(settings)
    if all(_installed_version(s.node_modules, n) for n in TFJS_PACKAGES):
        return s.node_modules
    pins = pinned_versions(s)
    prefix = s.npm_dir / f"edgeward-tfjs@{pins['@tensorflow/tfjs']}"
    if all(_installed_version(prefix / "node_modules", n) == v for n, v in pins.items()):
        return prefix / "node_modules"
    if not fetch:
        return None
    _fetch(prefix, pins, why, progress or _stderr)
    return prefix / "node_modules"


def _fetch(prefix: Path, pins: dict[str, str], why: str, progress: Progress) -> None:
    """npm install into a temporary folder, then rename: an interrupted fetch never looks installed."""
    errors = _errors()
    npm = shutil.which("npm")
    specs = [f"{n}@{v}" for n, v in pins.items()]
    if npm is None:
        raise errors.ToolMissingError(f"{why} needs {', '.join(specs)}, installed with npm, which is not on PATH")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    tmp = prefix.with_name(f".{prefix.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    progress(f"{why}: fetching {', '.join(specs)} from npm into {prefix} (once; about 300 MB) …")
    start = time.monotonic()
    # --legacy-peer-deps as web/.npmrc: posenet 2.2.2 declares tfjs-core ^3 but runs on the pinned 4.x.
    # Shorter waits between npm's retries: offline, the error comes in about 12 s instead of 70.
    proc = subprocess.run([npm, "install", "--prefix", str(tmp), "--no-audit", "--no-fund", "--no-save",
                           "--ignore-scripts", "--legacy-peer-deps", "--loglevel=error",
                           "--fetch-retry-mintimeout=2000", "--fetch-retry-maxtimeout=10000", *specs],
                          capture_output=True, text=True)
    if proc.returncode != 0 or not all(_installed_version(tmp / "node_modules", n) == v for n, v in pins.items()):
        shutil.rmtree(tmp, ignore_errors=True)
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        offline = _OFFLINE.search(proc.stderr)
        if offline:
            raise errors.VendorFilesError(
                f"{why} needs {', '.join(specs)} once, and the npm registry cannot be reached ({offline.group(1)}): "
                "connect and retry, or set EDGEWARD_NODE_MODULES to a node_modules folder that has them "
                "(`npm ci` in a checkout's web/)")
        raise errors.VendorFilesError(f"npm install {' '.join(specs)} failed (exit {proc.returncode}):\n{tail}")
    shutil.rmtree(prefix, ignore_errors=True)  # an older or partial copy
    try:
        tmp.rename(prefix)
    except OSError:  # another process installed it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
        if not all(_installed_version(prefix / "node_modules", n) == v for n, v in pins.items()):
            raise
    progress(f"{why}: TF.js installed in {time.monotonic() - start:.0f} s")
