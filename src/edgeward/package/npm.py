"""``edgeward pack --npm``: a model package as an npm tarball that ``npm install ./file.tgz`` accepts.

The tarball holds ``package/package.json``, ``package/manifest.json`` and the model files, and is
reproducible: sorted entries, fixed mtimes, owner and modes, gzip without a timestamp. A frontend
app then loads the model from ``node_modules/@edgeward-models/<name>/`` (serve that folder).
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from pathlib import Path
from typing import Any

from edgeward import __version__
from edgeward.errors import OptionError
from edgeward.package.manifest import MANIFEST_FILE, Manifest
from edgeward.package.pack import validate_package

DEFAULT_SCOPE = "@edgeward-models"
_SCOPE = re.compile(r"^@[a-z0-9][a-z0-9._-]*$")
_SPDX = re.compile(r"^[A-Za-z0-9.+-]+$")
NPM_MTIME = 499162500  # 1985-10-26T08:15:00Z, the fixed time npm itself writes into tarballs


def npm_name(manifest: Manifest, scope: str = DEFAULT_SCOPE) -> str:
    if not _SCOPE.match(scope):
        raise OptionError(f"--scope '{scope}': an npm scope looks like @edgeward-models")
    name = f"{scope}/{manifest.name}"
    if len(name) > 214:
        raise OptionError(f"npm name '{name}' is longer than npm's limit of 214 characters")
    return name


def package_json(manifest: Manifest, scope: str = DEFAULT_SCOPE) -> dict[str, Any]:
    files = sorted({e.path for e in manifest.files.values()})
    license_ = manifest.license if _SPDX.match(manifest.license) else f"SEE LICENSE IN {MANIFEST_FILE}"
    return {
        "name": npm_name(manifest, scope),
        "version": manifest.version,
        "description": f"{manifest.name}: a {manifest.task} model package for the Edgeward runtime "
                       f"(manifest.json + sha256-verified files)",
        "license": license_,
        "keywords": ["edgeward", "onnx", "model", manifest.task],
        "files": [MANIFEST_FILE, *files],
        "exports": {"./package.json": "./package.json", f"./{MANIFEST_FILE}": f"./{MANIFEST_FILE}",
                    **{f"./{f}": f"./{f}" for f in files}},
        "edgeward": {"manifest": MANIFEST_FILE, "task": manifest.task, "packer": f"edgeward {__version__}",
                     "sha256": {e.path: e.sha256 for e in manifest.files.values()}},
    }


def tarball_name(manifest: Manifest, scope: str = DEFAULT_SCOPE) -> str:
    return f"{scope.lstrip('@')}-{manifest.name}-{manifest.version}.tgz"


def _add(tar: tarfile.TarFile, name: str, data: bytes | None = None, path: Path | None = None) -> None:
    info = tarfile.TarInfo(f"package/{name}")
    info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = 0o644, NPM_MTIME, 0, 0, "", ""
    if path is not None:
        info.size = path.stat().st_size
        with path.open("rb") as f:
            tar.addfile(info, f)
    else:
        assert data is not None
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def pack_npm(directory: Path, out_dir: Path | None = None, scope: str = DEFAULT_SCOPE) -> Path:
    """Validate ``directory`` and write ``<out_dir>/<scope>-<name>-<version>.tgz``; returns its path."""
    directory = Path(directory)
    manifest = validate_package(directory)
    meta = (json.dumps(package_json(manifest, scope), indent=2) + "\n").encode()
    out = Path(out_dir or Path.cwd()) / tarball_name(manifest, scope)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    with tmp.open("wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "package.json", meta)
        _add(tar, MANIFEST_FILE, manifest.to_json().encode())
        for path in sorted({e.path for e in manifest.files.values()}):
            _add(tar, path, path=directory / path)
    tmp.replace(out)
    return out
