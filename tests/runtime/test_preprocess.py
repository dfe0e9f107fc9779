from __future__ import annotations

import numpy as np

from edgeward.package.manifest import LetterboxPreprocess
from edgeward.runtime.preprocess import Letterbox, letterbox


def spec(h: int, w: int, scale: float = 1.0, offset: float = 0.0, pad: float = -7.0) -> LetterboxPreprocess:
    return LetterboxPreprocess(size=[h, w], scale=scale, offset=offset, pad_value=pad)


def test_same_size_is_exact_copy_with_scale_and_offset() -> None:
    img = np.random.default_rng(0).integers(0, 256, (6, 5, 3), dtype=np.uint8)
    out, box = letterbox(img, spec(6, 5, 1 / 127.5, -1.0))
    assert out.shape == (1, 6, 5, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[0], img / 127.5 - 1.0, atol=1e-6)
    assert (box.scale, box.pad_x, box.pad_y) == (1.0, 0.0, 0.0)


def test_wide_image_is_centred_with_padding_rows() -> None:
    img = np.full((2, 8, 3), 200, dtype=np.uint8)
    out, box = letterbox(img, spec(8, 8))
    assert box.scale == 1.0 and box.pad_y == 3.0
    assert np.all(out[0, :3] == -7.0) and np.all(out[0, 5:] == -7.0)
    assert np.all(out[0, 3:5] == 200.0)


def test_upscale_interpolates_bilinearly() -> None:
    img = np.zeros((1, 2, 3), dtype=np.uint8)
    img[0, 1] = 100
    out, _ = letterbox(img, spec(2, 4))
    # Output columns sample x = -0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
    np.testing.assert_allclose(out[0, 0, :, 0], [0, 25, 75, 100], atol=1e-5)


def test_to_image_inverts_the_sampling_grid() -> None:
    box = Letterbox.fit(640, 480, 385, 385)
    # The model-input pixel that samples image pixel (x, y) maps back to (x, y).
    x_in = (np.array([0.0, 320.0, 639.0]) + 0.5) * box.scale + box.pad_x - 0.5
    y_in = (np.array([0.0, 240.0, 479.0]) + 0.5) * box.scale + box.pad_y - 0.5
    xs, ys = box.to_image(x_in, y_in)
    np.testing.assert_allclose(xs, [0, 320, 639])
    np.testing.assert_allclose(ys, [0, 240, 479])
