"""JPEGs of one photo under each of the eight EXIF orientations: the pixels are stored transformed so
that, with the tag applied, every file shows the same upright picture (as a phone writes them)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

T = Image.Transpose
# orientation → the transform that makes the stored pixels from the upright picture: the inverse of the
# one the tag asks a reader to apply (TIFF/EXIF 0x0112; 6 = "rotate 90° clockwise to view")
STORED = {1: None, 2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE,
          6: T.ROTATE_90, 7: T.TRANSVERSE, 8: T.ROTATE_270}


def oriented_jpeg(upright: np.ndarray, orientation: int, quality: int = 95) -> bytes:
    img = Image.fromarray(np.ascontiguousarray(upright))
    method = STORED[orientation]
    stored = img if method is None else img.transpose(method)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()
