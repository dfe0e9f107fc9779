"""TF.js's bilinear resize, and @tensorflow-models/posenet's pre-processing built on it (``resize: 'tfjs-posenet'``).

Mirrored exactly in web/src/tfjs-resize.js. Edgeward's own rule is the letterbox (runtime/preprocess.py:
one scale, centred, half-pixel centres, pad outside). A TF.js app on ``@tensorflow-models/posenet`` 2.2.2
gets its poses from another rule (dist/util.js ``padAndResizeTo`` and ``scaleAndFlipPoses``):

  target_aspect = out_w / out_h;  aspect = W / H
  if aspect < target_aspect:  pad_l = pad_r = round(0.5 * (target_aspect * H - W)),  pad_t = pad_b = 0
  else:                       pad_t = pad_b = round(0.5 * ((1 / target_aspect) * W - H)),  pad_l = pad_r = 0
  (round: JavaScript's Math.round, halves up), the image padded with black (pixel 0, ``tf.pad3d``), then
  ``tf.image.resizeBilinear(padded, [out_h, out_w])`` with its defaults alignCorners = false and
  halfPixelCenters = false (below), then the model's normalisation (here: the manifest's scale / offset).
  Back to the image: x = x_in * (W + pad_l + pad_r) / out_w - pad_l, y likewise (no half-pixel terms).

TF.js's resizeBilinear (tfjs-backend-cpu kernels/ResizeBilinear.js), per axis of n_in → n_out:
  ratio = (n_in - 1) / (n_out - 1) if align_corners and n_out > 1 else n_in / n_out
  src   = ratio * (i + 0.5) - 0.5 if half_pixel_centers else ratio * i
  i0    = max(0, floor(src)),  frac = src - i0,  i1 = min(n_in - 1, ceil(src))
  top   = tl + (tr - tl) * frac_x;  bottom = bl + (br - bl) * frac_x;  value = top + (bottom - top) * frac_y
  computed in float64, stored as float32. (No clamping of a negative ``src``: TF.js's own quirk, kept.)
Compared with the letterbox, the image is sampled a quarter to half a pixel off (no half-pixel centres),
the pads are whole pixels of black that blend into the border, and the two axes may scale slightly apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edgeward.package.manifest import LetterboxPreprocess

TFJS_POSENET = "tfjs-posenet"


def _js_round(x: float) -> int:
    return math.floor(x + 0.5)  # Math.round: halves towards +infinity (Python's round() goes to even)


def tf_axis(n_out: int, n_in: int, align_corners: bool = False,
            half_pixel_centers: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TF.js's sampling of one axis: (i0, i1, frac) for each output index."""
    if align_corners and half_pixel_centers:
        raise ValueError("resizeBilinear: halfPixelCenters needs alignCorners false (as TF.js asserts)")
    corners = align_corners and n_out > 1
    ratio = (n_in - 1) / (n_out - 1) if corners else n_in / n_out
    i = np.arange(n_out, dtype=np.float64)
    src = ratio * (i + 0.5) - 0.5 if half_pixel_centers else ratio * i
    fl = np.floor(src)
    i0 = np.maximum(0.0, fl)
    i1 = np.minimum(n_in - 1, np.ceil(src))
    return i0.astype(np.int64), i1.astype(np.int64), src - i0


def _sample(img: np.ndarray, ys: tuple[np.ndarray, ...], xs: tuple[np.ndarray, ...]) -> np.ndarray:
    (y0, y1, fy), (x0, x1, fx) = ys, xs
    fx3, fy3 = fx[None, :, None], fy[:, None, None]
    rows0, rows1 = img[y0], img[y1]
    top = rows0[:, x0] + (rows0[:, x1] - rows0[:, x0]) * fx3
    bottom = rows1[:, x0] + (rows1[:, x1] - rows1[:, x0]) * fx3
    return (top + (bottom - top) * fy3).astype(np.float32)


def resize_bilinear(image: np.ndarray, size: tuple[int, int] | list[int], align_corners: bool = False,
                    half_pixel_centers: bool = False) -> np.ndarray:
    """``tf.image.resizeBilinear(image, size, alignCorners, halfPixelCenters)`` of an [H, W, C] array: float32."""
    out_h, out_w = size
    img = np.asarray(image, dtype=np.float64)
    return _sample(img, tf_axis(out_h, img.shape[0], align_corners, half_pixel_centers),
                   tf_axis(out_w, img.shape[1], align_corners, half_pixel_centers))


def posenet_pads(image_w: int, image_h: int, out_w: int, out_h: int) -> tuple[int, int]:
    """(pad_top, pad_left) of @tensorflow-models/posenet's padAndResizeTo (the same again bottom / right)."""
    target_aspect = out_w / out_h
    if image_w / image_h < target_aspect:
        return 0, _js_round(0.5 * (target_aspect * image_h - image_w))
    return _js_round(0.5 * ((1.0 / target_aspect) * image_w - image_h)), 0


@dataclass(frozen=True)
class PaddedResize:
    """How an image was padded and resized into the model input, and the way back (posenet's scaleAndFlipPoses)."""

    step_x: float
    """Image pixels per model-input pixel across: (W + 2 * pad_x) / out_w."""
    step_y: float
    pad_x: int
    """Black columns left (and right) of the image."""
    pad_y: int
    image_w: int
    image_h: int

    @classmethod
    def fit(cls, image_w: int, image_h: int, out_w: int, out_h: int) -> PaddedResize:
        pad_y, pad_x = posenet_pads(image_w, image_h, out_w, out_h)
        return cls((image_w + 2 * pad_x) / out_w, (image_h + 2 * pad_y) / out_h, pad_x, pad_y, image_w, image_h)

    @property
    def scale(self) -> float:
        """Model-input pixels per image pixel (the two axes' geometric mean: they differ by the pads' rounding)."""
        return 1 / math.sqrt(self.step_x * self.step_y)

    def to_image(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple:
        """Model-input pixel coordinates → image pixel coordinates."""
        return x * self.step_x - self.pad_x, y * self.step_y - self.pad_y


def _padded_axis(n_out: int, n_in: int, pad: int) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """TF.js's axis over the padded length, as indices into the unpadded image and masks of real pixels."""
    i0, i1, frac = tf_axis(n_out, n_in + 2 * pad)
    r0, r1 = i0 - pad, i1 - pad
    in0, in1 = (r0 >= 0) & (r0 < n_in), (r1 >= 0) & (r1 < n_in)
    return (np.clip(r0, 0, n_in - 1), np.clip(r1, 0, n_in - 1), frac), in0, in1


def tfjs_posenet(image: np.ndarray, spec: LetterboxPreprocess) -> tuple[np.ndarray, PaddedResize]:
    """RGB uint8 image [H, W, 3] → float32 model input [1, out_h, out_w, 3] the way @tensorflow-models/posenet
    makes it (the pads are never materialised: a pad pixel reads as 0), and the mapping back."""
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB image [H, W, 3], got shape {image.shape}")
    out_h, out_w = spec.size
    h, w = image.shape[:2]
    box = PaddedResize.fit(w, h, out_w, out_h)
    ys, y_in0, y_in1 = _padded_axis(out_h, h, box.pad_y)
    xs, x_in0, x_in1 = _padded_axis(out_w, w, box.pad_x)
    img = image.astype(np.float64)
    (y0, y1, fy), (x0, x1, fx) = ys, xs
    fx3, fy3 = fx[None, :, None], fy[:, None, None]

    def corner(rows: np.ndarray, row_ok: np.ndarray, cols: np.ndarray, col_ok: np.ndarray) -> np.ndarray:
        return np.where((row_ok[:, None] & col_ok[None, :])[..., None], img[rows][:, cols], 0.0)

    tl, tr = corner(y0, y_in0, x0, x_in0), corner(y0, y_in0, x1, x_in1)
    bl, br = corner(y1, y_in1, x0, x_in0), corner(y1, y_in1, x1, x_in1)
    top = tl + (tr - tl) * fx3  # the same float64 steps as resize_bilinear's
    bottom = bl + (br - bl) * fx3
    resized = (top + (bottom - top) * fy3).astype(np.float32)  # TF.js's float32 tensor between the two steps
    out = (resized.astype(np.float64) * spec.scale + spec.offset).astype(np.float32)
    return out[None], box
