"""Image input: paths, bytes, PIL images or arrays → RGB uint8 [H, W, 3]."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from edgeward.errors import ImageError

ImageInput = str | Path | bytes | np.ndarray | Image.Image


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
        name, data = str(path), path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return _from_pil(img)
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image (no known image format recognised)") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{name}: corrupt or truncated image data ({err})") from None
