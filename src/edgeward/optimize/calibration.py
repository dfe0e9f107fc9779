"""Calibration inputs: real photos, pre-processed exactly as at inference, plus augmented views."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from onnxruntime.quantization import CalibrationDataReader

from edgeward.errors import OptionError
from edgeward.package.manifest import Manifest
from edgeward.runtime.image import load_image
from edgeward.runtime.preprocess import letterbox
from edgeward.zoo.photos import Photo

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def photos_from_dir(folder: Path) -> list[Photo]:
    """Every image in ``folder`` (``--calibration DIR``), sorted by name."""
    if not folder.is_dir():
        raise OptionError(f"{folder}: calibration folder not found")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise OptionError(f"{folder}: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) to calibrate on")
    return [Photo(p.name, str(p), load_image(p)) for p in files]


def augmented_views(rgb: np.ndarray, seed: int, count: int) -> Iterator[np.ndarray]:
    """The photo, its grey version (old and infrared-lit photos), its mirror, then random crops
    (50–90 % of each side), some mirrored."""
    yield rgb
    grey = np.round(rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)
    yield np.repeat(grey[..., None], 3, axis=2)
    yield np.ascontiguousarray(rgb[:, ::-1])
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    for _ in range(max(0, count - 3)):
        ch, cw = int(h * rng.uniform(0.5, 0.9)), int(w * rng.uniform(0.5, 0.9))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        view = rgb[y:y + ch, x:x + cw]
        yield np.ascontiguousarray(view[:, ::-1] if rng.random() < 0.5 else view)


def calibration_inputs(photos: Sequence[Photo], manifest: Manifest, views_per_photo: int = 4) -> list[np.ndarray]:
    """Model inputs for calibration: ``views_per_photo`` views of each photo, letterboxed."""
    out = []
    for i, photo in enumerate(photos):
        for view in augmented_views(photo.rgb, seed=i, count=views_per_photo):
            out.append(letterbox(view, manifest.preprocess)[0])
    return out


class ArrayReader(CalibrationDataReader):
    """Feeds pre-computed inputs to onnxruntime's calibrator."""

    def __init__(self, input_name: str, inputs: Sequence[np.ndarray]):
        self.input_name = input_name
        self.inputs = list(inputs)
        self._it = iter(self.inputs)

    def get_next(self) -> dict[str, np.ndarray] | None:
        x = next(self._it, None)
        return None if x is None else {self.input_name: x}

    def rewind(self) -> None:
        self._it = iter(self.inputs)
