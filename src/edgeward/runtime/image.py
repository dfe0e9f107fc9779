"""Image input: paths, bytes, PIL images or arrays → RGB uint8 [H, W, 3], upright (EXIF orientation
applied, as browsers do), with decompression bombs refused on their header."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from edgeward.errors import ImageError

ImageInput = str | Path | bytes | np.ndarray | Image.Image

MAX_IMAGE_PIXELS = 64 * 1024 * 1024
"""Decoded pixels above which an image is refused, on its header, before decoding (64 MP: 8192 × 8192,
beyond any phone camera's 48 MP). A 20,000 × 20,000 PNG of one colour is kilobytes on disk and 1.2 GB
decoded. The browser runtime refuses at the same limit (web/src/image-size.js)."""
MAX_IMAGE_SIDE = 32_768
"""The longest side an image may declare (Chromium's largest canvas side is 32,767). Within the pixel limit,
a 1 × 67,108,864 PNG of a hundred bytes took Pillow 3 s and 2.5 GB to decode (a row each, with its own
overhead; found by the fuzzing): a side cap keeps rows at least 2,048 pixels wide. The browser runtime
refuses at the same side (web/src/image-size.js)."""
MAX_IMAGE_BYTES = 256 * 1024 * 1024
"""Files above this are refused before they are read."""
# Pillow's own guard (a warning above its limit, DecompressionBombError above twice that) is set to ours,
# so an image that reaches Pillow some other way is bounded too.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


def _mp(n: int) -> str:
    return f"{n / 1e6:.{1 if n < 1e7 else 0}f} MP"


def bomb_message(err: Exception) -> str:
    """Pillow's DecompressionBombError in this module's words (its message names the pixel count)."""
    found = re.search(r"\((\d+) pixels\)", str(err))
    declared = f"declares {_mp(int(found[1]))}" if found else "declares too many pixels"
    return f"the image header {declared}, over the {_mp(MAX_IMAGE_PIXELS)} limit; it was not decoded"


def check_size(img: Image.Image, name: str) -> None:
    """Refuse ``img`` (opened, not yet decoded) when its header declares more than MAX_IMAGE_PIXELS."""
    w, h = img.size
    if max(w, h) > MAX_IMAGE_SIDE:
        raise ImageError(f"{name}: the {img.format or 'image'} header declares {w} × {h} pixels, a side over the "
                         f"{MAX_IMAGE_SIDE} pixel limit; it was not decoded")
    if w * h > MAX_IMAGE_PIXELS:
        raise ImageError(f"{name}: the {img.format or 'image'} header declares {w} × {h} pixels ({_mp(w * h)}), "
                         f"over the {_mp(MAX_IMAGE_PIXELS)} limit; it was not decoded")


def _from_pil(img: Image.Image) -> np.ndarray:
    # Alpha is dropped, not composited: the browser path reads RGB with premultiplyAlpha 'none'.
    if img.mode in ("RGBA", "LA", "P", "PA"):
        return np.ascontiguousarray(np.asarray(img.convert("RGBA"))[..., :3])
    return np.asarray(img.convert("RGB"))


def load_image(source: ImageInput) -> np.ndarray:
    if isinstance(source, np.ndarray):
        arr: Any = source
        if arr.ndim == 2:
            arr = np.repeat(arr[..., None], 3, axis=2)
        if arr.ndim != 3 or arr.shape[2] not in (3, 4):
            raise ImageError(f"image array must be [H, W, 3] or [H, W, 4], got shape {arr.shape}")
        return np.ascontiguousarray(arr[..., :3].astype(np.uint8))
    if isinstance(source, Image.Image):
        return _from_pil(source)
    if isinstance(source, bytes):
        name, data = "<bytes>", source
    else:
        path = Path(source)
        if not path.exists():
            raise ImageError(f"{path}: no such file")
        if not path.is_file():
            raise ImageError(f"{path}: not a file")
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise ImageError(f"{path}: {size} bytes, over the {MAX_IMAGE_BYTES} byte limit for an image")
        name, data = str(path), path.read_bytes()
    try:
        with warnings.catch_warnings():
            # Pillow warns on opening an image between its limit (ours) and twice it; check_size refuses those
            # next, in our words: the warning would only be noise (or, where warnings are errors, a crash).
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        with img:
            check_size(img, name)
            img.load()
            # a phone photo's EXIF orientation turns it upright, as browsers do (createImageBitmap's
            # imageOrientation 'from-image'): the same file gives the same pixels in both runtimes
            upright = ImageOps.exif_transpose(img)
            return _from_pil(upright)
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image (no known image format recognised)") from None
    except Image.DecompressionBombError as err:  # over twice the limit: Pillow's own check, at open
        raise ImageError(f"{name}: {bomb_message(err)}") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{name}: corrupt or truncated image data ({err})") from None
    except MemoryError:  # within the limits, but not within this machine's memory now
        raise ImageError(f"{name}: not enough memory to decode it") from None
