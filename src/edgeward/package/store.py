"""The local package store: ``<home>/packages/<name>/<version>/{manifest.json, files}``."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from edgeward.errors import IntegrityError, PackageNotFoundError
from edgeward.package.manifest import MANIFEST_FILE, FileEntry, Manifest, read_manifest
from edgeward.settings import get_settings

_SPEC = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._-]*)(?:@(?P<version>\d+\.\d+\.\d+\S*))?$")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entry(path: Path) -> FileEntry:
    return FileEntry(path=path.name, sha256=sha256_file(path), bytes=path.stat().st_size)


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", v.split("-")[0]))


def packages_root(root: Path | None = None) -> Path:
    return root or get_settings().packages_dir


def package_dir(spec: str, root: Path | None = None) -> Path:
    """Resolve ``name`` or ``name@1.2.3`` to a package folder (latest version when none is given)."""
    m = _SPEC.match(spec)
    if not m:
        raise PackageNotFoundError(f"'{spec}' is not a package spec (expected NAME or NAME@X.Y.Z)")
    base = packages_root(root) / m["name"]
    if m["version"]:
        d = base / m["version"]
    else:
        versions = sorted((p.name for p in base.glob("*") if (p / MANIFEST_FILE).is_file()), key=_version_key)
        if not versions:
            raise PackageNotFoundError(
                f"package '{m['name']}' is not in {packages_root(root)}; build it with "
                f"`edgeward zoo build {m['name']}`"
            )
        d = base / versions[-1]
    if not (d / MANIFEST_FILE).is_file():
        raise PackageNotFoundError(f"package '{spec}' is not in {packages_root(root)}")
    return d


def list_packages(root: Path | None = None) -> list[Manifest]:
    return [read_manifest(p) for p in sorted(packages_root(root).glob(f"*/*/{MANIFEST_FILE}"))]


def verify_file(directory: Path, entry: FileEntry) -> Path:
    """Check a package file against its manifest entry before anything uses it."""
    path = directory / entry.path
    if not path.is_file():
        raise IntegrityError(f"{path}: file listed in the manifest is missing")
    size = path.stat().st_size
    if size != entry.bytes:
        raise IntegrityError(f"{path}: {size} bytes, manifest says {entry.bytes}")
    digest = sha256_file(path)
    if digest != entry.sha256:
        raise IntegrityError(f"{path}: sha256 {digest} does not match manifest {entry.sha256}")
    return path


def write_package(manifest: Manifest, files: dict[str, Path], root: Path | None = None) -> Path:
    """Write a package atomically: build it in a temp folder beside the target, then rename."""
    target = packages_root(root) / manifest.name / manifest.version
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{manifest.version}-", dir=target.parent))
    try:
        for variant, entry in manifest.files.items():
            src = files[variant]
            shutil.copyfile(src, tmp / entry.path)
            verify_file(tmp, entry)
        (tmp / MANIFEST_FILE).write_text(manifest.to_json())
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
