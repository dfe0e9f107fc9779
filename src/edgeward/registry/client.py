"""The registry client: list, resolve, publish, and fetch packages into the local store, verified.

Every downloaded file is hashed while it streams to a temp file and renamed into place only when
its size and sha256 match the manifest. A bad download (tampered, truncated, cut off) is fetched
again once; a second failure is an IntegrityError naming the file. A package folder becomes
visible (its manifest.json written) only after all of its files are in place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from edgeward.errors import EdgewardError, IntegrityError, PackageNotFoundError
from edgeward.package.manifest import MANIFEST_FILE, FileEntry, parse_manifest, read_manifest
from edgeward.package.semver import parse_spec
from edgeward.package.sizes import size_files
from edgeward.package.store import package_dir, packages_root, verify_file
from edgeward.registry.service import API
from edgeward.settings import get_settings

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""``on_progress(file, done_bytes, total_bytes)``."""

FETCH_ATTEMPTS = 2  # the first fetch and one more


class RegistryError(EdgewardError):
    """The registry answered with an error; the message carries its explanation."""


class RegistryUnavailableError(RegistryError):
    """The registry could not be reached at all."""

    exit_code = 3  # the environment (network, server down), not the request


class PackageConflictError(EdgewardError):
    """The local store holds a different package under the same name and version."""


class RegistryClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport,
                                 follow_redirects=True)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            r = self.http.request(method, url, **kwargs)
        except httpx.TransportError as e:
            raise RegistryUnavailableError(f"registry {self.base_url} is unreachable ({e})") from None
        if r.status_code >= 400:
            try:
                detail = r.json().get("detail", r.text)
            except ValueError:
                detail = r.text[:200]
            raise RegistryError(f"registry {self.base_url}: {method} {url}: {r.status_code}: {detail}")
        return r

    # -- reading ---------------------------------------------------------------------------
    def list(self, query: str | None = None, task: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"q": query, "task": task}.items() if v}
        packages: list[dict[str, Any]] = self._request("GET", f"{API}/packages", params=params).json()["packages"]
        return packages

    def resolve(self, spec: str) -> dict[str, Any]:
        name, rng = parse_spec(spec)
        resolved: dict[str, Any] = self._request("GET", f"{API}/packages/{name}/resolve",
                                                 params={"range": rng.text}).json()
        return resolved

    def download(self, url: str, dest: Path, entry: FileEntry, label: str,
                 on_progress: Progress | None = None) -> Path:
        """Fetch ``url`` to ``dest`` verified against ``entry``; one more try if it comes back wrong."""
        problem = ""
        for _attempt in range(FETCH_ATTEMPTS):
            problem = self._download_once(url, dest, entry, label, on_progress)
            if not problem:
                return dest
            log.warning("%s: %s; fetching it again", label, problem)
        raise IntegrityError(f"{label}: {problem} (fetched {FETCH_ATTEMPTS} times from {self.base_url}{url})")

    def _download_once(self, url: str, dest: Path, entry: FileEntry, label: str,
                       on_progress: Progress | None) -> str:
        """One verified fetch; returns what was wrong with it, or "" when it is in place."""
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}-{threading.get_ident()}.part")  # concurrent loads
        h, size = hashlib.sha256(), 0
        try:
            try:
                with self.http.stream("GET", url) as r:
                    if r.status_code != 200:
                        return f"HTTP {r.status_code} instead of the file"
                    with tmp.open("wb") as f:
                        for chunk in r.iter_bytes(1 << 16):
                            size += len(chunk)
                            if size > entry.bytes:
                                return f"more than the {entry.bytes} bytes the manifest says"
                            h.update(chunk)
                            f.write(chunk)
                            if on_progress:
                                on_progress(entry.path, size, entry.bytes)
            except httpx.ConnectError as e:
                raise RegistryUnavailableError(f"registry {self.base_url} is unreachable ({e})") from None
            except httpx.TransportError as e:
                return f"download cut short after {size} of {entry.bytes} bytes ({type(e).__name__})"
            if size != entry.bytes:
                return f"got {size} bytes, manifest says {entry.bytes}"
            if h.hexdigest() != entry.sha256:
                return f"sha256 {h.hexdigest()} does not match manifest {entry.sha256}"
            os.replace(tmp, dest)
            return ""
        finally:
            tmp.unlink(missing_ok=True)

    # -- writing ---------------------------------------------------------------------------
    def publish(self, directory: Path, on_progress: Progress | None = None) -> dict[str, Any]:
        """Upload a package folder's files (skipping blobs the registry has), then its manifest."""
        from edgeward.package.pack import validate_package

        manifest = validate_package(directory)
        for entry in manifest.files.values():
            url = f"{API}/blobs/{entry.sha256}"
            if self.http.head(url).status_code == 200:
                if on_progress:
                    on_progress(entry.path, entry.bytes, entry.bytes)
                continue
            self._request("PUT", url, content=_read_chunks(directory / entry.path, entry, on_progress),
                          headers={"Content-Type": "application/octet-stream", "Content-Length": str(entry.bytes)})
        name, version = quote(manifest.name), quote(manifest.version)
        published: dict[str, Any] = self._request(
            "PUT", f"{API}/packages/{name}/versions/{version}", content=manifest.to_json(),
            headers={"Content-Type": "application/json"}).json()
        return published


def _read_chunks(path: Path, entry: FileEntry, on_progress: Progress | None) -> Iterable[bytes]:
    done = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            done += len(chunk)
            if on_progress:
                on_progress(entry.path, done, entry.bytes)
            yield chunk


def fetch_package(client: RegistryClient, resolved: dict[str, Any], variants: Iterable[str] | None = None,
                  root: Path | None = None, on_progress: Progress | None = None) -> Path:
    """Bring a resolved package into the local store (the cache): verify what is there, fetch the rest."""
    manifest = parse_manifest(resolved["manifest"], f"registry {client.base_url}: {resolved['name']}@"
                                                    f"{resolved['version']} manifest.json")
    target = packages_root(root) / manifest.name / manifest.version
    existing = target / MANIFEST_FILE
    if existing.is_file() and read_manifest(existing) != manifest:
        raise PackageConflictError(f"{existing}: a different {manifest.name}@{manifest.version} is already in "
                                   f"the local store than the one in registry {client.base_url}; remove that "
                                   f"folder, or publish the local one under a new version")
    target.mkdir(parents=True, exist_ok=True)
    wanted = set(variants) if variants is not None else set(manifest.files)
    if variants is not None:  # and the files each runs at the package's other input sizes
        wanted |= {key for variant in variants for key in size_files(manifest, variant)}
    for variant, entry in manifest.files.items():
        if variant not in wanted:
            continue
        label = f"{manifest.name}@{manifest.version}/{entry.path}"
        try:
            verify_file(target, entry)
            continue  # cached and intact
        except IntegrityError as e:
            if (target / entry.path).exists():
                log.warning("%s; fetching it again", e)
        client.download(resolved["files"][variant]["url"], target / entry.path, entry, label, on_progress)
    if not existing.is_file():
        tmp = target / f".{MANIFEST_FILE}.{os.getpid()}-{threading.get_ident()}.part"
        tmp.write_text(manifest.to_json())
        os.replace(tmp, existing)
    return target


def locate_package(spec: str, variants: Iterable[str] | None = None, registry_url: str | None = None,
                   on_progress: Progress | None = None) -> Path:
    """``NAME@RANGE`` → a verified package folder: from the registry when one is configured (cached in
    the local store), else from the local store. An unreachable registry falls back to the store."""
    settings = get_settings()
    url = registry_url or settings.registry_url
    if url:
        try:
            with RegistryClient(url, settings.registry_token) as client:
                return fetch_package(client, client.resolve(spec), variants, on_progress=on_progress)
        except RegistryUnavailableError as e:
            try:
                found = package_dir(spec)
            except PackageNotFoundError:
                raise e from None
            log.warning("%s; using %s from the local store", e, found)
            return found
    return package_dir(spec)
