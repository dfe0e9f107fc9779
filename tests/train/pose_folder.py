"""A pose-classification image folder made from real photos of people (edgeward.zoo.photos).

Four classes, one real photo each, each a different person in a different pose:
  portrait  scikit-image's astronaut.png (half-length, facing the camera)
  filming   scikit-image's camera.png (a man at a camera on a tripod, side on)
  selfie    @vladmandic/human samples.jpg thumbnail 3 (standing, full length, a phone raised)
  seated    @vladmandic/human samples.jpg thumbnail 5 (full length, on a stool)

Training images (12 per class): crops of 90 % of the photo at the four corners and the whole photo
scaled to 80 % and 125 %, each also flipped and saved as ``NAME.mirrored.png`` (a mirror picture:
estimated with flip_horizontal and its sides swapped, train/poses.py, so it adds the subject's own
pose). Held-out images (2 per class, saved apart, never in the folder): an 85 % centre crop and a
92 % top-middle crop.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from edgeward.zoo.photos import heldout_photos
from tests.train.photo_folder import crop

PHOTOS = {"portrait": "astronaut.png", "filming": "camera.png", "selfie": "samples-3", "seated": "samples-5"}
TRAIN_CROPS = {"tl": (0.0, 0.0), "tr": (1.0, 0.0), "bl": (0.0, 1.0), "br": (1.0, 1.0)}
TRAIN_SCALES = {"small": 0.8, "large": 1.25}
HELDOUT_CROPS = {"centre": (0.85, (0.5, 0.5)), "top": (0.92, (0.5, 0.0))}


def photo(name: str) -> np.ndarray:
    """The RGB pixels of one of edgeward.zoo.photos' real photos, by name."""
    return next(p.rgb for p in heldout_photos() if p.name == name)


def scaled(rgb: np.ndarray, factor: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    size = (round(w * factor), round(h * factor))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))


def training_views(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """{tag: pixels} of the training views of one photo (mirrored ones not included)."""
    views = {tag: crop(rgb, 0.9, where) for tag, where in TRAIN_CROPS.items()}
    views.update({tag: scaled(rgb, factor) for tag, factor in TRAIN_SCALES.items()})
    return views


def make_pose_folder(root: Path) -> tuple[Path, dict[Path, str]]:
    """(the class folder tree, {held-out image: its class}) written under ``root``."""
    folder, heldout_dir = root / "poses", root / "heldout"
    heldout_dir.mkdir(parents=True)
    heldout: dict[Path, str] = {}
    for label, name in PHOTOS.items():
        rgb = np.ascontiguousarray(photo(name)[..., :3])
        (folder / label).mkdir(parents=True)
        for tag, view in training_views(rgb).items():
            Image.fromarray(view).save(folder / label / f"{tag}.png")
            Image.fromarray(np.ascontiguousarray(view[:, ::-1])).save(folder / label / f"{tag}.mirrored.png")
        for tag, (fraction, where) in HELDOUT_CROPS.items():
            path = heldout_dir / f"{label}-{tag}.png"
            Image.fromarray(crop(rgb, fraction, where)).save(path)
            heldout[path] = label
    return folder, heldout
