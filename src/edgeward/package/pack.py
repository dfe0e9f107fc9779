"""``edgeward pack``: validate a package folder and write it (to the store, a folder, or an npm tarball)."""

from __future__ import annotations

from pathlib import Path

from edgeward.errors import ManifestError
from edgeward.package.manifest import MANIFEST_FILE, Manifest, read_manifest
from edgeward.package.store import packages_root, verify_file, write_package


def validate_package(directory: Path) -> Manifest:
    """The folder's manifest, after checking it against the schema and every file's size and sha256."""
    directory = Path(directory)
    manifest = read_manifest(directory / MANIFEST_FILE)
    seen: dict[str, str] = {}
    for variant, entry in manifest.files.items():
        if entry.path == MANIFEST_FILE:
            raise ManifestError(f"{directory / MANIFEST_FILE}: field 'files.{variant}.path' may not be {MANIFEST_FILE}")
        if seen.get(entry.path, entry.sha256) != entry.sha256:
            raise ManifestError(f"{directory / MANIFEST_FILE}: field 'files.{variant}.path': '{entry.path}' is listed "
                                f"twice with different sha256")
        seen[entry.path] = entry.sha256
        verify_file(directory, entry)
    return manifest


def pack(directory: Path, output: Path | None = None) -> Path:
    """Validate ``directory`` and write it as ``<output>/<name>/<version>/`` (default: the local store).

    Only the manifest and the files it lists are written; the write is atomic.
    """
    directory = Path(directory)
    manifest = validate_package(directory)
    root = packages_root(output)
    target = root / manifest.name / manifest.version
    if target.resolve() == directory.resolve():
        return target
    files: dict[str, Path] = {variant: directory / entry.path for variant, entry in manifest.files.items()}
    return write_package(manifest, files, root)
