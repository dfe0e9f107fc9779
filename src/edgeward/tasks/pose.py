"""Pose estimation on a model package: pre-process, run, decode, map back to image pixels.

The decoder comes from the manifest's ``postprocess.kind`` (PoseNet or MoveNet); both yield
keypoints in model-input pixels, mapped back to the image through the same letterbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from edgeward.errors import EdgewardError
from edgeward.package.manifest import MoveNetPostprocess, PoseNetPostprocess
from edgeward.runtime.image import ImageInput, load_image
from edgeward.runtime.preprocess import Letterbox, letterbox, to_input_dtype
from edgeward.tasks.movenet import decode_movenet
from edgeward.tasks.posenet import RawPose, decode_multiple, decode_single, sigmoid
from edgeward.tasks.roi import check_roi

if TYPE_CHECKING:
    from edgeward.runtime.model import Model

Pose = dict[str, Any]


def _to_output(raw: RawPose, box: Letterbox, names: list[str], flip: bool, origin: tuple[int, int],
               image_w: int) -> Pose:
    xs, ys = box.to_image(raw.xs, raw.ys)
    xs, ys = xs + origin[0], ys + origin[1]  # crop pixels → image pixels (a no-op without an ROI)
    if flip:
        xs = (image_w - 1) - xs  # mirror x only: names stay the subject's own left/right
    keypoints = [
        {"name": n, "x": float(x), "y": float(y), "score": float(s)}
        for n, x, y, s in zip(names, xs, ys, raw.scores, strict=True)
    ]
    return {"score": float(raw.score), "keypoints": keypoints}


def _posenet(post: PoseNetPostprocess, out: dict[str, np.ndarray], box: Letterbox, max_poses: int,
             score_threshold: float, nms_radius: float) -> list[RawPose]:
    heat = out[post.outputs["heatmap"]][0]
    scores = sigmoid(heat) if post.heatmap_activation == "sigmoid" else heat.astype(np.float32)
    offsets = out[post.outputs["offset"]][0]
    if max_poses == 1:
        raw = decode_single(scores, offsets, post.output_stride)
        return [raw] if raw.score >= score_threshold else []
    chain = [(int(a), int(b)) for a, b in post.pose_chain]
    return decode_multiple(scores, offsets, out[post.outputs["displacement_fwd"]][0],
                           out[post.outputs["displacement_bwd"]][0], post.output_stride, chain,
                           max_poses, score_threshold, nms_radius * box.scale, post.refine_steps)


def estimate_poses(model: Model, image: ImageInput, max_poses: int = 1, score_threshold: float = 0.5,
                   nms_radius: float = 20.0, flip_horizontal: bool = False,
                   roi: Sequence[int] | None = None) -> list[Pose]:
    """Poses in the input image's pixel coordinates, best first.

    PoseNet: ``max_poses=1`` uses single-pose decoding (per-keypoint argmax); more uses PersonLab
    multi-pose decoding. MoveNet decodes in its graph. Poses scoring below ``score_threshold`` are
    dropped. ``nms_radius`` is in image pixels. ``roi`` (x0, y0, x1, y1; see tasks/roi.py) estimates
    on that crop only; keypoints are still in the whole image's pixels.
    """
    manifest = model.manifest
    post = manifest.postprocess
    if not isinstance(post, PoseNetPostprocess | MoveNetPostprocess):
        raise EdgewardError(f"{manifest.name}: postprocess kind '{post.kind}' is not a pose decoder")
    if max_poses < 1:
        raise EdgewardError(f"max_poses must be at least 1, got {max_poses}")
    rgb = load_image(image)
    image_h, image_w = rgb.shape[:2]
    origin = (0, 0)
    if roi is not None:
        x0, y0, x1, y1 = check_roi(roi, image_w, image_h)
        rgb, origin = rgb[y0:y1, x0:x1], (x0, y0)
    spec = manifest.inputs[0]
    x, box = letterbox(rgb, manifest.preprocess)
    out = model.run({spec.name: to_input_dtype(x, spec.dtype)})
    if isinstance(post, PoseNetPostprocess):
        poses = _posenet(post, out, box, max_poses, score_threshold, nms_radius)
    else:
        h, w = manifest.preprocess.size
        poses = decode_movenet(out[post.output], len(post.keypoints), h, w, post.multipose, max_poses,
                               score_threshold)
    return [_to_output(p, box, post.keypoints, flip_horizontal, origin, image_w) for p in poses]
