"""The local package store: ``<home>/packages/<name>/<version>/{manifest.json, files}``."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from edgeward.errors import IntegrityError, PackageNotFoundError
from edgeward.package.manifest import MANIFEST_FILE, FileEntry, Manifest, VariantReport, read_manifest
from edgeward.package.semver import Version, VersionError, parse_spec
from edgeward.settings import get_settings


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entry(path: Path) -> FileEntry:
    return FileEntry(path=path.name, sha256=sha256_file(path), bytes=path.stat().st_size)


def packages_root(root: Path | None = None) -> Path:
    return root or get_settings().packages_dir


def package_dir(spec: str, root: Path | None = None) -> Path:
    """Resolve ``name``, ``name@1.2.3`` or a range (``name@^1``, ``~1.2``, ``latest``) to a package folder.

    The highest version in the range wins; ``latest`` is the highest release (or pre-release when
    there is nothing else).
    """
    try:
        name, rng = parse_spec(spec)
    except VersionError:
        raise PackageNotFoundError(f"'{spec}' is not a package spec (expected NAME or NAME@RANGE, "
                                   f"e.g. posenet@^1)") from None
    base = packages_root(root) / name
    versions = [p.name for p in base.glob("*") if (p / MANIFEST_FILE).is_file()]
    if not versions:
        raise PackageNotFoundError(
            f"package '{name}' is not in {packages_root(root)}; build it with `edgeward zoo build {name}` "
            f"or pull it with `edgeward pull {name}`"
        )
    best = rng.best(versions)
    if best is None and rng.text == "latest":
        best = max(versions, key=_loose_key)
    if best is None:
        raise PackageNotFoundError(f"no version of '{name}' in {packages_root(root)} matches '{rng}' "
                                   f"(has: {', '.join(sorted(versions, key=_loose_key))})")
    return base / best


def _loose_key(v: str) -> tuple[Any, ...]:
    try:
        return (1, Version.parse(v))
    except VersionError:
        return (0, tuple(int(p) for p in re.findall(r"\d+", v)))


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


def model_file_name(key: str) -> str:
    """The file name of a ``files`` key: ``model.int8.onnx``, ``model.fp32.257x257.onnx`` (a size key),
    ``model.int8-kernels.ewk`` (Edgeward's kernels, edgeward.kernels.plan)."""
    suffix = ".ewk" if key.split("@")[0] == "int8-kernels" else ".onnx"
    return f"model.{key.replace('@', '.')}{suffix}"


def install_variant(directory: Path, variant: str, model: Path, report: VariantReport | None = None, *,
                    parity: dict[str, float] | None = None) -> Manifest:
    """Put ``model`` into the package as ``files[variant]`` (:func:`model_file_name`) and its entry into the
    manifest; ``variant`` may be a size key (``fp32@257x257``, with the ``parity`` it was converted with).

    The file is copied beside the package and renamed into place, then the manifest is written to
    a temporary file and renamed over the old one: readers see the old manifest or the new one.
    """
    manifest = read_manifest(directory / MANIFEST_FILE)
    target = directory / model_file_name(variant)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}-", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(model, tmp)
        entry = file_entry(tmp)
        entry = FileEntry(path=target.name, sha256=entry.sha256, bytes=entry.bytes, report=report,
                          parity_max_abs_diff=parity or {})
        os.replace(tmp, target)
        verify_file(directory, entry)
        data = manifest.model_dump(mode="json")
        data["files"][variant] = entry.model_dump(mode="json")
        updated = Manifest.model_validate(data)
        fd, tmp_manifest = tempfile.mkstemp(prefix=".manifest-", dir=directory)
        with os.fdopen(fd, "w") as f:
            f.write(updated.to_json())
        os.replace(tmp_manifest, directory / MANIFEST_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    return updated
