"""The demo pages' bundles (web/dist, made by web/tools/build.mjs), served in place of their sources.

Unbundled, a page and its worker fetch some 60 modules, level by level as each import is seen; a bundle is
one file. ``web/dist/build.json`` lists each bundle's URL, its files (the entry and the chunks it imports)
and the sha256 of every source it was made from. A URL is answered from the build only while every one of
those sources is unchanged, so an edit is never shadowed by a stale build: it is served as it is until the
next build. The check re-hashes only files whose size or mtime moved since it last looked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

BUILD_FILE = "build.json"


@dataclass(frozen=True)
class _Bundle:
    url: str
    files: tuple[str, ...]  # under dist/; files[0] is the entry
    inputs: tuple[tuple[str, str], ...]  # (path under web/, sha256)


class Bundles:
    """Looks up the built file to serve for a URL path under ``web_root``, or None (serve the source)."""

    def __init__(self, web_root: Path) -> None:
        self.web_root = web_root
        self.dist = web_root / "dist"
        self._lock = threading.Lock()
        self._loaded_stamp: tuple[int, int] | None = None
        self._by_url: dict[str, tuple[_Bundle, str]] = {}  # URL path → (its bundle, file under dist/)
        self._hashes: dict[str, tuple[int, int, str]] = {}  # path under web/ → (size, mtime_ns, sha256)

    def lookup(self, url_path: str) -> Path | None:
        with self._lock:
            self._load()
            found = self._by_url.get(url_path)
            if found is None:
                return None
            bundle, rel = found
            if not all(self._sha256(path) == digest for path, digest in bundle.inputs):
                return None
        path = self.dist / rel
        inside = path.resolve().is_relative_to(self.dist.resolve())
        return path if inside and path.is_file() else None

    def _load(self) -> None:
        build = self.dist / BUILD_FILE
        try:
            st = build.stat()
        except OSError:
            self._loaded_stamp, self._by_url = None, {}
            return
        stamp = (st.st_size, st.st_mtime_ns)
        if stamp == self._loaded_stamp:
            return
        self._loaded_stamp, self._by_url = stamp, {}
        try:
            data = json.loads(build.read_text())
            for item in data["bundles"]:
                bundle = _Bundle(str(item["url"]), tuple(map(str, item["files"])),
                                 tuple(sorted((str(k), str(v)) for k, v in item["inputs"].items())))
                self._by_url[bundle.url] = (bundle, bundle.files[0])
                for rel in bundle.files[1:]:  # the chunks it imports on first use
                    self._by_url[_chunk_url(bundle.url, bundle.files[0], rel)] = (bundle, rel)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
            log.warning("%s: unreadable (%s); serving the sources", build, e)
            self._by_url = {}

    def _sha256(self, rel: str) -> str | None:
        path = self.web_root / rel
        try:
            st = path.stat()
        except OSError:
            return None
        known = self._hashes.get(rel)
        if known and known[:2] == (st.st_size, st.st_mtime_ns):
            return known[2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        self._hashes[rel] = (st.st_size, st.st_mtime_ns, digest)
        return digest


def _chunk_url(entry_url: str, entry_file: str, chunk_file: str) -> str:
    """A chunk's URL: where it lies relative to its entry's file, relative to the entry's URL."""
    entry_dir = entry_file.rsplit("/", 1)[0]
    if not chunk_file.startswith(entry_dir + "/"):
        raise ValueError(f"chunk {chunk_file} is outside its entry's folder {entry_dir}")
    return entry_url.rsplit("/", 1)[0] + chunk_file[len(entry_dir):]
