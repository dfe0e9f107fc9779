"""A transfer-learning image folder made from real photos that scikit-image ships.

Four classes, one photo each: cat (chelsea.png), coffee (coffee.png), rocket (rocket.jpg) and motorcycle
(motorcycle_left.png). Training images are crops of 80 % of the photo at the four corners, each also
mirrored (8 per class); the held-out images are crops of 70 % (centre and top-middle) that never
appear in the folder, saved apart.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from edgeward.runtime.image import load_image
from edgeward.runtime.samples import sample_path

PHOTOS = {"cat": "chelsea.png", "coffee": "coffee.png", "rocket": "rocket.jpg", "motorcycle": "motorcycle_left.png"}
TRAIN_CROPS = {"tl": (0.0, 0.0), "tr": (1.0, 0.0), "bl": (0.0, 1.0), "br": (1.0, 1.0)}
HELDOUT_CROPS = {"centre": (0.5, 0.5), "top": (0.5, 0.0)}


def crop(rgb: np.ndarray, fraction: float, where: tuple[float, float]) -> np.ndarray:
    """The ``fraction``-sized crop of ``rgb`` placed at (fx, fy) of the free room (0: left/top, 1: right/bottom)."""
    h, w = rgb.shape[:2]
    ch, cw = round(h * fraction), round(w * fraction)
    y0, x0 = round((h - ch) * where[1]), round((w - cw) * where[0])
    return rgb[y0:y0 + ch, x0:x0 + cw]


def make_photo_folder(root: Path) -> tuple[Path, dict[Path, str]]:
    """(the class folder tree, {held-out image: its class}) written under ``root``."""
    folder, heldout_dir = root / "photos", root / "heldout"
    heldout: dict[Path, str] = {}
    for label, name in PHOTOS.items():
        rgb = load_image(sample_path(name))
        (folder / label).mkdir(parents=True)
        for tag, where in TRAIN_CROPS.items():
            view = crop(rgb, 0.8, where)
            Image.fromarray(view).save(folder / label / f"{tag}.png")
            Image.fromarray(np.ascontiguousarray(view[:, ::-1])).save(folder / label / f"{tag}-flip.png")
        heldout_dir.mkdir(exist_ok=True)
        for tag, where in HELDOUT_CROPS.items():
            path = heldout_dir / f"{label}-{tag}.png"
            Image.fromarray(crop(rgb, 0.7, where)).save(path)
            heldout[path] = label
    return folder, heldout
