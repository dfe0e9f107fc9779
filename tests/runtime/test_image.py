from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from edgeward.errors import ImageError
from edgeward.runtime.image import load_image


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"nope\.png: no such file"):
        load_image(tmp_path / "nope.png")


def test_non_image_file(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    with pytest.raises(ImageError, match=r"notes\.txt: not an image"):
        load_image(f)


def test_truncated_png(tmp_path: Path, astronaut: Path) -> None:
    f = tmp_path / "cut.png"
    f.write_bytes(astronaut.read_bytes()[:5000])
    with pytest.raises(ImageError, match=r"cut\.png: corrupt or truncated"):
        load_image(f)


def test_grayscale_and_rgba_become_rgb(tmp_path: Path, camera: Path) -> None:
    gray = load_image(camera)
    assert gray.shape == (512, 512, 3) and np.all(gray[..., 0] == gray[..., 2])
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., 0] = 10
    Image.fromarray(rgba).save(tmp_path / "a.png")
    assert load_image(tmp_path / "a.png").tolist() == rgba[..., :3].tolist()
