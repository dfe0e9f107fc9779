"""Content-addressed blob store on local disk: ``<root>/sha256/ab/abcdef…``.

A blob is streamed to a temp file beside its target, hashed on the way, checked against the
digest it was announced under and the size limit, then renamed into place: a half-written or
mismatched upload never becomes visible.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from edgeward.errors import EdgewardError

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobError(EdgewardError):
    """An upload that is too large, or whose bytes do not hash to the digest it was sent under."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        if not SHA256.match(digest):
            raise ValueError(f"'{digest}' is not a sha256 hex digest")
        return self.root / "sha256" / digest[:2] / digest

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    async def put(self, digest: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Store a stream under ``digest``; returns its size. Raises BlobError (413 / 422)."""
        target = self.path(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
        tmp = Path(tmp_name)
        h, size = hashlib.sha256(), 0
        try:
            with os.fdopen(fd, "wb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise BlobError(f"blob {digest}: upload is larger than the limit of {max_bytes} bytes", 413)
                    h.update(chunk)
                    f.write(chunk)
            actual = h.hexdigest()
            if actual != digest:
                raise BlobError(f"blob {digest}: the {size} bytes uploaded hash to sha256 {actual}", 422)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return size
