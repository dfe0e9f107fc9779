"""Decompression bombs: real, valid image files that are tiny on disk and huge once decoded."""

from __future__ import annotations

import struct
import zlib


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A complete 1-bit greyscale PNG of one colour: ~50 KB here, 400 MP (1.2 GB as RGB) decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte 0, then the row's packed bits
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
