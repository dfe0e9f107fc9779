"""runtime/tfjs_resize.py against TF.js itself (Node, 'cpu' kernels): tf.image.resizeBilinear with every flag
setting, @tensorflow-models/posenet's padAndResizeTo + MobileNet input, and its scaleAndFlipPoses — on real
photo crops of both orientations, including sizes where posenet's pad is a half rounded up."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import skimage.data

from edgeward.bench.posenet_reference import posenet_reference
from edgeward.errors import OptionError
from edgeward.package.manifest import LetterboxPreprocess
from edgeward.runtime.preprocess import Letterbox, preprocess
from edgeward.runtime.tfjs_resize import PaddedResize, posenet_pads, resize_bilinear, tf_axis, tfjs_posenet
from edgeward.tasks.pose import PoseOptions

ASTRONAUT = np.ascontiguousarray(skimage.data.astronaut()[..., :3])
COFFEE = np.ascontiguousarray(skimage.data.coffee()[..., :3])
PHOTOS = {
    "astronaut-face": ASTRONAUT[60:180, 160:250],  # 90 × 120: tall
    "coffee-wide": COFFEE[100:181, 150:350],  # 200 × 81: wide
    "astronaut-odd": ASTRONAUT[200:301, 100:200],  # 100 × 101: the pad is round(0.5), JavaScript's 1
    "astronaut": ASTRONAUT,  # square: no pad
}
FLAGS = [(False, False), (True, False), (False, True)]
RESIZES = [("astronaut-face", [57, 41]), ("astronaut-face", [133, 250]), ("coffee-wide", [40, 97]),
           ("astronaut-odd", [1, 7])]
# PoseNet's own input: 385 (the zoo package) and 257 (posenet's default), and a non-square one.
PADS = [("astronaut-face", [385, 385]), ("coffee-wide", [257, 257]), ("astronaut-odd", [385, 385]),
        ("astronaut", [257, 257]), ("coffee-wide", [161, 225])]
POINTS = [[0.0, 0.0], [12.5, 7.25], [100.0, 250.0], [384.0, 384.0]]
SPEC = LetterboxPreprocess(size=[385, 385], scale=0.00784313725, offset=-1.0, pad_value=0.0)  # the zoo's posenet


@pytest.fixture(scope="module")
def tfjs() -> dict[str, Any]:
    names = list(PHOTOS)
    images = [PHOTOS[n] for n in names]
    request = {
        "resize": [{"image": names.index(n), "size": size, "alignCorners": a, "halfPixelCenters": h}
                   for n, size in RESIZES for a, h in FLAGS],
        "pad": [{"image": names.index(n), "size": size} for n, size in PADS],
        "map": [{"height": int(PHOTOS[n].shape[0]), "width": int(PHOTOS[n].shape[1]), "size": size,
                 "padding": None, "flip": flip, "points": POINTS} for n, size in PADS for flip in (False, True)],
    }
    # the padding of each mapping is posenet's own, from its padAndResizeTo: ask for it first
    first = posenet_reference(images, {"pad": request["pad"]})
    for i, m in enumerate(request["map"]):
        m["padding"] = first["pad"][i // 2]["padding"]
    return posenet_reference(images, request)


def test_resize_bilinear_is_tfjs_resize_bilinear_for_every_flag_setting(tfjs: dict[str, Any]) -> None:
    outs = iter(tfjs["resize"])
    for name, size in RESIZES:
        for align, half in FLAGS:
            want = tfjs["arrays"][next(outs)]
            got = resize_bilinear(PHOTOS[name], size, align, half)
            assert got.dtype == np.float32 and got.shape == want.shape
            # the same float64 steps stored as float32: equal, not just close
            np.testing.assert_array_equal(got, want, err_msg=f"{name} → {size}, alignCorners={align}, "
                                                             f"halfPixelCenters={half}")


def test_tfjs_posenet_is_posenets_own_preprocessing(tfjs: dict[str, Any]) -> None:
    for (name, size), pad in zip(PADS, tfjs["pad"], strict=True):
        rgb = PHOTOS[name]
        x, box = tfjs_posenet(rgb, SPEC.model_copy(update={"size": size}))
        assert (box.pad_y, box.pad_x) == (pad["padding"]["top"], pad["padding"]["left"]), name
        assert pad["padding"]["top"] == pad["padding"]["bottom"] and pad["padding"]["left"] == pad["padding"]["right"]
        # ours normalises with the manifest's scale (0.00784313725), posenet with / 127.5 in float32
        np.testing.assert_allclose(x[0], tfjs["arrays"][pad["out"]], rtol=0, atol=2e-6, err_msg=name)
    assert posenet_pads(100, 101, 385, 385) == (0, 1)  # Math.round(0.5) is 1; Python's round(0.5) is 0


def test_the_way_back_is_posenets_scale_and_flip(tfjs: dict[str, Any]) -> None:
    maps = iter(tfjs["map"])
    for name, size in PADS:
        h, w = PHOTOS[name].shape[:2]
        box = PaddedResize.fit(w, h, size[1], size[0])
        for flip in (False, True):
            want = np.asarray(next(maps))
            xs, ys = box.to_image(np.asarray([p[0] for p in POINTS]), np.asarray([p[1] for p in POINTS]))
            if flip:
                xs = (w - 1) - xs  # decode_poses mirrors the same way
            np.testing.assert_allclose(np.stack([xs, ys], axis=1), want, rtol=0, atol=1e-9, err_msg=f"{name} {flip}")


def test_the_rule_differs_from_the_letterbox() -> None:
    rgb = PHOTOS["astronaut-face"]
    mine, box = preprocess(rgb, SPEC, "tfjs-posenet")
    own, letter = preprocess(rgb, SPEC)
    assert isinstance(box, PaddedResize) and isinstance(letter, Letterbox)
    assert box.pad_x == 15 and box.pad_y == 0  # 90 × 120 padded to 120 × 120 (black: -1 after scaling)
    assert mine[0, 200, 0, 0] == pytest.approx(-1.0) and own[0, 200, 0, 0] == 0.0  # the letterbox pads with 0.0
    assert 0.05 < float(np.abs(mine - own).mean()) < 0.5  # the same photo, sampled a fraction of a pixel apart
    assert box.scale == pytest.approx(letter.scale)  # both fit the 120-pixel side to 385


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="halfPixelCenters"):
        tf_axis(4, 8, align_corners=True, half_pixel_centers=True)
    with pytest.raises(ValueError, match="resize must be one of tfjs-posenet"):
        preprocess(PHOTOS["astronaut-odd"], SPEC, "stretch")
    with pytest.raises(OptionError, match="resize must be tfjs-posenet"):
        PoseOptions(resize="tfjs")
    assert PoseOptions(resize="tfjs-posenet").resize == "tfjs-posenet"
