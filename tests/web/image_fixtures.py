"""Fixtures for web/test/image-size.test.js: the first bytes of real files Pillow writes (PNG, JPEG with
and without a 60 KB EXIF block before its frame header, GIF, WebP lossy / lossless, BMP), their true
size, and a 20,000 × 20,000 PNG bomb's header, with the limit Python refuses above."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from PIL import Image

from edgeward.runtime.image import MAX_IMAGE_PIXELS
from tests.runtime.bombs import bomb_png
from tests.web.write_fixtures import Context, writer

HEAD = 256 * 1024  # web/src/image-size.js HEADER_BYTES


def _encoded(img: Image.Image, fmt: str, **kwargs: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


@writer("image_sizes")
def _image_sizes(ctx: Context) -> dict[str, Any]:
    rgb = ctx.astronaut[:123, :77]
    img = Image.fromarray(np.ascontiguousarray(rgb))
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription: pushes the JPEG's SOF past 60 KB
    files = {"png": _encoded(img, "PNG"), "jpeg": _encoded(img, "JPEG"),
             "jpeg-exif": _encoded(img, "JPEG", exif=exif.tobytes()), "gif": _encoded(img, "GIF"),
             "webp-lossy": _encoded(img, "WEBP", quality=80), "webp-lossless": _encoded(img, "WEBP", lossless=True),
             "bmp": _encoded(img, "BMP")}
    cases = []
    for name, data in files.items():
        with Image.open(io.BytesIO(data)) as check:
            assert check.size == (77, 123), (name, check.size)
        cases.append({"name": name, "head": base64.b64encode(data[:HEAD]).decode(), "width": 77, "height": 123})
    bomb = bomb_png()
    return {"limit": MAX_IMAGE_PIXELS, "cases": cases,
            "bomb": {"head": base64.b64encode(bomb[:HEAD]).decode(), "width": 20_000, "height": 20_000,
                     "bytes": len(bomb)}}
