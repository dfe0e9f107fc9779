"""Letterbox pre-processing, written once here and mirrored exactly in web/src/preprocess.js.

The rule (continuous pixel coordinates, pixel centres at integers):
  s     = min(out_w / W, out_h / H)
  pad_x = (out_w - W * s) / 2,  pad_y = (out_h - H * s) / 2
  for output pixel (i, j):  sx = (j + 0.5 - pad_x) / s - 0.5,  sy = (i + 0.5 - pad_y) / s - 0.5
  if sx < -0.5 or sx > W - 0.5 or sy < -0.5 or sy > H - 0.5: value = pad_value
  else: bilinear sample at (clamp(sx, 0, W-1), clamp(sy, 0, H-1)) of the RGB image,
        then value = pixel * scale + offset   (float64 arithmetic, stored as float32)
A point (x, y) in model-input pixels maps back to the image with ``to_image``.
``resize: 'center_crop'`` uses s = max(out_w / W, out_h / H) instead (scale to cover): the pads
are then <= 0, every output pixel is inside the image, and the rule is otherwise the same.
:func:`preprocess` also offers ``resize='tfjs-posenet'`` over a package's own rule: the pre-processing of
@tensorflow-models/posenet (runtime/tfjs_resize.py), for the poses a TF.js app gets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgeward.package.manifest import LetterboxPreprocess
from edgeward.runtime.tfjs_resize import TFJS_POSENET, PaddedResize, tfjs_posenet

RESIZE_OPTIONS = (TFJS_POSENET,)
"""Rules a caller may ask for over the manifest's own ``preprocess.resize`` (None: the manifest's)."""


@dataclass(frozen=True)
class Letterbox:
    scale: float
    pad_x: float
    pad_y: float
    image_w: int
    image_h: int

    @classmethod
    def fit(cls, image_w: int, image_h: int, out_w: int, out_h: int, cover: bool = False) -> Letterbox:
        s = (max if cover else min)(out_w / image_w, out_h / image_h)
        return cls(s, (out_w - image_w * s) / 2, (out_h - image_h * s) / 2, image_w, image_h)

    def to_image(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple:
        """Model-input pixel coordinates → image pixel coordinates."""
        return (x + 0.5 - self.pad_x) / self.scale - 0.5, (y + 0.5 - self.pad_y) / self.scale - 0.5


def _axis(n_out: int, pad: float, s: float, n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    src = (np.arange(n_out, dtype=np.float64) + 0.5 - pad) / s - 0.5
    inside = (src >= -0.5) & (src <= n_in - 0.5)
    c = np.clip(src, 0.0, n_in - 1)
    i0 = np.floor(c).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, c - i0, inside


def letterbox(image: np.ndarray, spec: LetterboxPreprocess) -> tuple[np.ndarray, Letterbox]:
    """RGB uint8 image [H, W, 3] → float32 model input [1, out_h, out_w, 3] and the mapping back."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image [H, W, 3], got shape {image.shape}")
    out_h, out_w = spec.size
    h, w = image.shape[:2]
    box = Letterbox.fit(w, h, out_w, out_h, cover=spec.resize == "center_crop")
    x0, x1, fx, in_x = _axis(out_w, box.pad_x, box.scale, w)
    y0, y1, fy, in_y = _axis(out_h, box.pad_y, box.scale, h)
    img = image.astype(np.float64)
    fx3, fy3 = fx[None, :, None], fy[:, None, None]
    top = img[y0][:, x0] * (1 - fx3) + img[y0][:, x1] * fx3
    bottom = img[y1][:, x0] * (1 - fx3) + img[y1][:, x1] * fx3
    value = (top * (1 - fy3) + bottom * fy3) * spec.scale + spec.offset
    inside = in_y[:, None, None] & in_x[None, :, None]
    out = np.where(inside, value, spec.pad_value).astype(np.float32)
    return out[None], box


Box = Letterbox | PaddedResize
"""How an image became the model input; both map model-input pixels back with ``to_image``."""


def preprocess(image: np.ndarray, spec: LetterboxPreprocess, resize: str | None = None) -> tuple[np.ndarray, Box]:
    """The model input by the manifest's rule (letterbox / center_crop), or by ``resize`` if given
    (``'tfjs-posenet'``: @tensorflow-models/posenet's padding and TF.js bilinear resize)."""
    if resize is None:
        return letterbox(image, spec)
    if resize == TFJS_POSENET:
        return tfjs_posenet(image, spec)
    raise ValueError(f"resize must be one of {', '.join(RESIZE_OPTIONS)} (or None: the package's own), got {resize!r}")


def to_input_dtype(x: np.ndarray, dtype: str) -> np.ndarray:
    """Integer model inputs (MoveNet's int32 pixels) get ``floor(v + 0.5)``; floats pass through."""
    if dtype in ("int32", "uint8"):
        return np.floor(x.astype(np.float64) + 0.5).astype(np.int32 if dtype == "int32" else np.uint8)
    return x
