"""Fuzz image loading (edgeward.runtime.image.load_image): real files of every format Pillow writes here,
mutated byte by byte, and PNG headers whose dimensions lie (CRC fixed up, so the lie is believed).
An image loads as RGB uint8 [H, W, 3] or fails with an ImageError naming the source; decoding never
runs past MAX_IMAGE_PIXELS."""

from __future__ import annotations

import contextlib
import io
import random
import struct
import warnings
import zlib

import numpy as np
from hypothesis import event, example, given
from hypothesis import strategies as st
from PIL import Image

from edgeward.runtime.image import MAX_IMAGE_PIXELS, load_image
from tests.fuzz.harness import FUZZ, outcome

FORMATS = [("PNG", {}), ("JPEG", {"quality": 80}), ("GIF", {}), ("BMP", {}), ("WEBP", {"quality": 70}),
           ("WEBP", {"lossless": True}), ("TIFF", {}), ("TIFF", {"compression": "tiff_deflate"}), ("ICO", {}),
           ("PPM", {}), ("TGA", {}), ("PCX", {})]
MODES = ["RGB", "RGBA", "L", "LA", "P", "1", "I;16", "CMYK"]


def _encode(mode: str, size: tuple[int, int], fmt: str, kwargs: dict) -> bytes:
    rng = np.random.default_rng(size[0] * 31 + size[1])
    img = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    with contextlib.suppress(ValueError):
        img = img.convert(mode)
    buf = io.BytesIO()
    try:
        img.save(buf, fmt, **kwargs)
    except (OSError, ValueError, KeyError):  # a mode this format cannot hold
        buf = io.BytesIO()
        img.convert("RGB").save(buf, fmt, **kwargs)
    return buf.getvalue()


@st.composite
def images(draw: st.DrawFn) -> bytes:
    fmt, kwargs = draw(st.sampled_from(FORMATS))
    data = bytearray(_encode(draw(st.sampled_from(MODES)), (draw(st.integers(1, 40)), draw(st.integers(1, 40))),
                             fmt, kwargs))
    rnd = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        at = rnd.randrange(min(len(data), draw(st.sampled_from([64, 512, len(data)]))))  # headers most often
        kind = rnd.randrange(5)
        if kind == 0:
            data[at] = rnd.randrange(256)
        elif kind == 1:
            data[at : at + 2] = rnd.choice([b"\xff\xff", b"\x00\x00", b"\x7f\xff", b"\x80\x00"])
        elif kind == 2:
            del data[at:]
        elif kind == 3:
            data[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
        else:
            del data[at : at + rnd.randint(1, 64)]
    return bytes(data)


def _png_claiming(width: int, height: int, depth: int = 8, color: int = 2) -> bytes:
    """A PNG whose IHDR says width × height (CRC correct) over a few bytes of real pixel data."""
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


SIDES = st.one_of(st.sampled_from([0, 1, 3, 8192, 8193, 16_384, 20_000, 2**31 - 1]), st.integers(0, 2**31 - 1),
                  st.integers(1, 10_000))
LYING_PNGS = st.builds(_png_claiming, SIDES, SIDES, st.sampled_from([1, 2, 4, 8, 16]), st.sampled_from([0, 2, 3, 4, 6]))


def _check(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)  # our limit refuses before Pillow warns
        got = outcome(lambda: load_image(data), names=["<bytes>"], seconds=20, memory_mb=192)
    event("loaded" if isinstance(got, np.ndarray) else "ImageError")
    if isinstance(got, np.ndarray):
        assert got.dtype == np.uint8 and got.ndim == 3 and got.shape[2] == 3 and got.flags.c_contiguous
        assert got.shape[0] * got.shape[1] <= MAX_IMAGE_PIXELS


@FUZZ
@given(images())
def test_mutated_real_images(data: bytes) -> None:
    _check(data)


@FUZZ
@given(LYING_PNGS)
@example(_png_claiming(8192, 8192))  # exactly at the limit: allowed to decode, and truncated data fails cleanly
@example(_png_claiming(8192, 16384))  # 134 MP, between the limit and twice it: Pillow warned before we refused
@example(_png_claiming(1, 67_108_864, 1, 0))  # within the pixel limit, one pixel wide: 3 s and 2.5 GB to decode
@example(_png_claiming(4, 16_777_216, 8, 6))  # the same shape of trouble ended in a bare MemoryError
@example(_png_claiming(2**31 - 1, 2**31 - 1))
def test_png_headers_that_lie(data: bytes) -> None:
    _check(data)


def test_the_browser_refuses_the_same_side() -> None:
    from edgeward.runtime.image import MAX_IMAGE_SIDE
    from edgeward.settings import get_settings

    js = (get_settings().web_root / "src" / "image-size.js").read_text()
    assert f"export const MAX_IMAGE_SIDE = {MAX_IMAGE_SIDE};" in js
