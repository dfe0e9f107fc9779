"""Registry operations on the metadata database and the blob store (no HTTP here).

Errors are ``RegistryError`` with the HTTP status the API answers with and a message that names
the package, version, field or file at fault.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as SQLIntegrityError

from edgeward import strict_json
from edgeward.errors import EdgewardError, ManifestError
from edgeward.package.manifest import Manifest, parse_manifest
from edgeward.package.semver import Range, Version, VersionError
from edgeward.registry.blobs import BlobStore
from edgeward.registry.db import BlobRow, PackageRow, VersionRow, make_engine, make_sessions
from edgeward.settings import Settings

API = "/api/v1"


class RegistryError(EdgewardError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def blob_url(digest: str) -> str:
    return f"{API}/blobs/{digest}"


def files_url(name: str, version: str) -> str:
    return f"{API}/packages/{name}/versions/{version}/files/"


def _sorted_versions(rows: list[VersionRow]) -> list[str]:
    return [str(v) for v in sorted(Version.parse(r.version) for r in rows)]


class Registry:
    """Opened lazily on first use, so creating the app touches no database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.blobs = BlobStore(settings.registry_blob_dir)
        self._sessions: Any = None
        self._lock = threading.Lock()

    @property
    def sessions(self) -> Any:
        with self._lock:
            if self._sessions is None:
                self._sessions = make_sessions(make_engine(self.settings.registry_database_url))
        return self._sessions

    # -- reading ---------------------------------------------------------------------------
    def summary(self, row: PackageRow) -> dict[str, Any]:
        versions = _sorted_versions(row.versions)
        return {"name": row.name, "task": row.task, "latest": Range.parse("latest").best(versions),
                "versions": versions}

    def list(self, q: str | None = None, task: str | None = None) -> list[dict[str, Any]]:
        with self.sessions() as s:
            stmt = select(PackageRow).order_by(PackageRow.name)
            if q:
                stmt = stmt.where(PackageRow.name.contains(q.lower(), autoescape=True))
            if task:
                stmt = stmt.where(PackageRow.task == task)
            return [self.summary(r) for r in s.scalars(stmt)]

    def package(self, name: str) -> dict[str, Any]:
        with self.sessions() as s:
            row = s.get(PackageRow, name)
            if row is None:
                raise RegistryError(f"package '{name}' is not in the registry", 404)
            return self.summary(row)

    def _version_row(self, s: Any, name: str, version: str) -> VersionRow:
        row = s.scalar(select(VersionRow).where(VersionRow.package_name == name, VersionRow.version == version))
        if row is None:
            raise RegistryError(f"{name}@{version} is not in the registry", 404)
        return row

    def resolved(self, row: VersionRow) -> dict[str, Any]:
        manifest = json.loads(row.manifest)
        files = {variant: {**entry, "url": blob_url(entry["sha256"])} for variant, entry in manifest["files"].items()}
        return {"name": row.package_name, "version": row.version, "manifest_sha256": row.manifest_sha256,
                "manifest": manifest, "files": files, "base_url": files_url(row.package_name, row.version)}

    def version(self, name: str, version: str) -> dict[str, Any]:
        with self.sessions() as s:
            return self.resolved(self._version_row(s, name, version))

    def resolve(self, name: str, range_text: str) -> dict[str, Any]:
        try:
            rng = Range.parse(range_text)
        except VersionError as e:
            raise RegistryError(str(e), 422) from None
        with self.sessions() as s:
            row = s.get(PackageRow, name)
            if row is None:
                raise RegistryError(f"package '{name}' is not in the registry", 404)
            versions = _sorted_versions(row.versions)
            best = rng.best(versions)
            if best is None:
                raise RegistryError(f"no version of '{name}' matches '{range_text}' (has: {', '.join(versions)})", 404)
            return self.resolved(self._version_row(s, name, best))

    # -- writing ---------------------------------------------------------------------------
    def record_blob(self, digest: str, size: int) -> None:
        with self.sessions() as s, s.begin():
            if s.get(BlobRow, digest) is None:
                s.add(BlobRow(sha256=digest, bytes=size))

    def publish(self, name: str, version: str, body: bytes) -> dict[str, Any]:
        try:
            data = strict_json.loads(body)
        except ValueError as e:  # also NaN / Infinity, not UTF-8, nested past the parser's depth
            raise RegistryError(f"manifest.json: not valid JSON ({e})", 422) from None
        try:
            manifest: Manifest = parse_manifest(data, f"{name}@{version} manifest.json")
        except ManifestError as e:
            raise RegistryError(str(e), 422) from None
        if manifest.name != name or manifest.version != version:
            raise RegistryError(f"manifest.json: field 'name'/'version' says {manifest.name}@{manifest.version}, "
                                f"but it is being published as {name}@{version}", 422)
        for variant, entry in manifest.files.items():
            if not self.blobs.has(entry.sha256):
                raise RegistryError(f"manifest.json: files.{variant} '{entry.path}': blob {entry.sha256} has not "
                                    f"been uploaded (PUT {blob_url(entry.sha256)} first)", 422)
            size = self.blobs.path(entry.sha256).stat().st_size
            if size != entry.bytes:
                raise RegistryError(f"manifest.json: files.{variant} '{entry.path}': field 'bytes' says "
                                    f"{entry.bytes}, the blob with that sha256 has {size}", 422)
        text = manifest.to_json()
        fields = {"package_name": name, "version": version, "manifest": text,
                  "manifest_sha256": hashlib.sha256(text.encode()).hexdigest(),
                  "total_bytes": sum(e.bytes for e in manifest.files.values())}
        exists = RegistryError(f"{name}@{version} is already published and can never be overwritten; "
                               f"publish a new version", 409)
        for attempt in range(2):
            try:
                with self.sessions() as s, s.begin():
                    pkg = s.get(PackageRow, name)
                    if pkg is None:
                        s.add(PackageRow(name=name, task=manifest.task))
                        s.flush()
                    elif any(v.version == version for v in pkg.versions):
                        raise exists
                    else:
                        pkg.task = manifest.task
                    s.add(VersionRow(**fields))
                break
            except SQLIntegrityError:
                # Either a concurrent publish of this very version won (409), or a concurrent first
                # publish of another version created the package row first: then try once more.
                if attempt == 1 or self._has_version(name, version):
                    raise exists from None
        return self.version(name, version)

    def _has_version(self, name: str, version: str) -> bool:
        with self.sessions() as s:
            found = s.scalar(select(VersionRow.id).where(VersionRow.package_name == name,
                                                         VersionRow.version == version))
            return found is not None
