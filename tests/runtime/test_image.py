from __future__ import annotations

import io
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


def test_a_decompression_bomb_is_refused_on_its_header_quickly_in_bounded_memory(tmp_path: Path) -> None:
    """A 20,000 × 20,000 PNG (~50 KB, 1.2 GB as RGB) is refused before decoding: in a fresh process,
    in under a second, with the process never above 100 MB."""
    import subprocess
    import sys

    from tests.runtime.bombs import bomb_png

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(bomb_png())
    assert bomb.stat().st_size < 200_000
    probe = (  # VmHWM: this process's peak RSS (ru_maxrss would carry the forking parent's over exec)
        "import re, sys, time\n"
        "from edgeward.errors import ImageError\n"
        "from edgeward.runtime.image import load_image\n"
        "t = time.perf_counter()\n"
        "try:\n"
        "    load_image(sys.argv[1])\n"
        "except ImageError as e:\n"
        "    hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read())[1]\n"
        "    print(f'{time.perf_counter() - t:.3f}', hwm, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    seconds, max_rss_kb, message = out.split(" ", 2)
    assert float(seconds) < 1.0 and int(max_rss_kb) < 100_000, out
    assert "bomb.png: the image header declares 400 MP, over the 67 MP limit; it was not decoded" in message
    with pytest.raises(ImageError, match=r"<bytes>: the image header declares 400 MP"):
        load_image(bomb.read_bytes())
    # between the limit and twice it Pillow only warns: our own check refuses, with the dimensions
    with pytest.raises(ImageError, match=r"<bytes>: the PNG header declares 9000 × 9000 pixels \(81 MP\)"):
        load_image(bomb_png(9000, 9000))


def test_the_limit_is_inclusive_and_the_browser_has_the_same(tmp_path: Path) -> None:
    import io
    import re

    from edgeward.runtime.image import MAX_IMAGE_PIXELS, check_size
    from tests.runtime.bombs import bomb_png

    with Image.open(io.BytesIO(bomb_png(8192, 8192))) as img:  # exactly the limit: allowed
        check_size(img, "edge.png")
    with Image.open(io.BytesIO(bomb_png(8192, 8193))) as img, pytest.raises(ImageError, match=r"edge\.png"):
        check_size(img, "edge.png")
    js = (Path(__file__).parents[2] / "web" / "src" / "image-size.js").read_text()
    found = re.search(r"export const MAX_IMAGE_PIXELS = (\d+) \* (\d+) \* (\d+);", js)
    assert found and int(found[1]) * int(found[2]) * int(found[3]) == MAX_IMAGE_PIXELS


def test_a_training_folder_refuses_a_bomb(tmp_path: Path) -> None:
    from edgeward.errors import TrainingError
    from edgeward.train.images import _check_image
    from tests.runtime.bombs import bomb_png

    (tmp_path / "big.png").write_bytes(bomb_png())
    with pytest.raises(TrainingError, match=r"big\.png: the image header declares 400 MP"):
        _check_image(tmp_path / "big.png")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_like_a_browser(orientation: int) -> None:
    from skimage import data

    from tests.runtime.orientations import oriented_jpeg

    upright = data.astronaut()[::2, :384]  # 256 × 384: not square, so a wrong rotation changes the shape
    got = load_image(oriented_jpeg(upright, orientation))
    assert got.shape == upright.shape
    # JPEG is lossy (and each orientation stores other pixels), but the picture is the same way up
    assert np.abs(got.astype(int) - upright.astype(int)).mean() < 4.0
    if orientation != 1:  # the tag matters: without it the pixels are another picture
        with Image.open(io.BytesIO(oriented_jpeg(upright, orientation))) as raw:
            stored = np.asarray(raw.convert("RGB"))
        assert stored.shape != upright.shape or np.abs(stored.astype(int) - upright.astype(int)).mean() > 20
