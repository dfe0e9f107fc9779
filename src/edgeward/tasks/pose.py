"""Pose decoding: model outputs (+ the letterbox) → poses in image pixels. Mirrored by web/src/tasks/pose.js.

The decoder comes from ``postprocess.kind`` (PoseNet or MoveNet); both yield keypoints in
model-input pixels (:func:`decode_raw_poses`, which the accuracy gate uses too), mapped back to
the image through the same letterbox, then by the crop's origin, then mirrored if asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from edgeward.errors import ManifestError, OptionError
from edgeward.package.manifest import MoveNetPostprocess, PoseNetPostprocess, Postprocess
from edgeward.package.sizes import check_input_size
from edgeward.runtime.preprocess import RESIZE_OPTIONS, Box
from edgeward.tasks.movenet import decode_movenet
from edgeward.tasks.outputs import Outputs, hwc, output
from edgeward.tasks.posenet import RawPose, decode_multiple, decode_single, sigmoid
from edgeward.tasks.roi import Roi, check_roi

Pose = dict[str, Any]


@dataclass(frozen=True)
class PoseOptions:
    """Options of pose estimation; JS: DEFAULT_POSE_OPTIONS (the same values in camelCase, a test checks)."""

    max_poses: int = 1
    score_threshold: float = 0.5
    nms_radius: float = 20.0
    """In image pixels."""
    flip_horizontal: bool = False
    roi: Roi | None = None
    resize: str | None = None
    """None: the package's own pre-processing; ``'tfjs-posenet'``: @tensorflow-models/posenet's (pad to the
    input's aspect with black, TF.js bilinear resize; runtime/tfjs_resize.py), so the poses are a TF.js app's."""
    input_size: tuple[int, int] | None = None
    """None: the package's own input size; (height, width) or an integer (square): another size the package
    carries (edgeward.package.sizes), e.g. 257 for a person who fills the ROI crop."""

    def __post_init__(self) -> None:
        if isinstance(self.max_poses, bool) or not isinstance(self.max_poses, int | np.integer) or self.max_poses < 1:
            raise OptionError(f"max_poses must be at least 1, got {self.max_poses!r}")
        if not np.isfinite(self.score_threshold):
            raise OptionError(f"score_threshold must be a number, got {self.score_threshold!r}")
        if not np.isfinite(self.nms_radius) or self.nms_radius < 0:
            raise OptionError(f"nms_radius must be >= 0, got {self.nms_radius!r}")
        if self.roi is not None:
            object.__setattr__(self, "roi", check_roi(self.roi))  # bounds: once the image is known
        if self.resize is not None and self.resize not in RESIZE_OPTIONS:
            raise OptionError(f"resize must be {' or '.join(RESIZE_OPTIONS)} (or None: the package's own "
                              f"pre-processing), got {self.resize!r}")
        object.__setattr__(self, "input_size", check_input_size(self.input_size))


class Frame(NamedTuple):
    """Where the model's input came from: the crop's origin in the whole image, and that image's width."""

    x0: int
    y0: int
    width: int


def decode_raw_poses(post: Postprocess | None, outputs: Outputs, input_size: tuple[int, int] | list[int],
                     options: PoseOptions, nms_scale: float = 1.0) -> list[RawPose]:
    """Poses in model-input pixels, best first. ``nms_scale`` turns ``options.nms_radius`` into
    model-input pixels (the letterbox scale; 1 when the radius is already in them)."""
    o = options
    if isinstance(post, MoveNetPostprocess):
        out = output(outputs, post.output, "postprocess.output")
        return decode_movenet(out, len(post.keypoints), int(input_size[0]), int(input_size[1]), post.multipose,
                              o.max_poses, o.score_threshold)
    if not isinstance(post, PoseNetPostprocess):
        raise ManifestError(f"postprocess kind '{getattr(post, 'kind', None)}' is not a pose decoder")
    heat = hwc(outputs, post.outputs["heatmap"], "postprocess.outputs.heatmap")
    scores = sigmoid(heat) if post.heatmap_activation == "sigmoid" else heat.astype(np.float32)
    offsets = hwc(outputs, post.outputs["offset"], "postprocess.outputs.offset")
    if o.max_poses == 1:
        raw = decode_single(scores, offsets, post.output_stride)
        return [raw] if raw.score >= o.score_threshold else []
    chain = [(int(a), int(b)) for a, b in post.pose_chain]
    return decode_multiple(scores, offsets, hwc(outputs, post.outputs["displacement_fwd"],
                                                "postprocess.outputs.displacement_fwd"),
                           hwc(outputs, post.outputs["displacement_bwd"], "postprocess.outputs.displacement_bwd"),
                           post.output_stride, chain, o.max_poses, o.score_threshold, o.nms_radius * nms_scale,
                           post.refine_steps)


def _to_output(raw: RawPose, box: Box, names: list[str], flip: bool, frame: Frame) -> Pose:
    xs, ys = box.to_image(raw.xs, raw.ys)
    xs, ys = xs + frame.x0, ys + frame.y0  # crop pixels → image pixels (a no-op without an ROI)
    if flip:
        xs = (frame.width - 1) - xs  # mirror x only: names stay the subject's own left/right
    keypoints = [
        {"name": n, "x": float(x), "y": float(y), "score": float(s)}
        for n, x, y, s in zip(names, xs, ys, raw.scores, strict=True)
    ]
    return {"score": float(raw.score), "keypoints": keypoints}


def decode_poses(post: Postprocess | None, outputs: Outputs, box: Box, options: PoseOptions,
                 input_size: tuple[int, int] | list[int], frame: Frame | None = None) -> list[Pose]:
    """``[{score, keypoints: [{name, x, y, score}]}]`` in the whole image's pixels, best first.

    PoseNet: ``max_poses=1`` uses single-pose decoding (per-keypoint argmax); more uses PersonLab
    multi-pose decoding. MoveNet decodes in its graph. Poses scoring below ``score_threshold`` are
    dropped. ``frame``: the crop the input was letterboxed from (default: the whole image).
    """
    at = frame or Frame(0, 0, box.image_w)
    # Best first: PersonLab finds poses in the order of their root keypoints' scores, but a pose's own
    # score (its keypoints' mean, less those near an earlier pose) can rank it lower. Stable: equal
    # scores keep the decoder's order (JS sorts the same way).
    raws = sorted(decode_raw_poses(post, outputs, input_size, options, box.scale), key=lambda p: -p.score)
    names = post.keypoints  # type: ignore[union-attr]  # a pose decoder: checked above
    return [_to_output(p, box, names, options.flip_horizontal, at) for p in raws]

