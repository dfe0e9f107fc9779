"""Object detection on a model package: letterbox, run, threshold, class-wise NMS, map back.

Detections: ``[{"label", "class_id", "score", "box": [x1, y1, x2, y2]}]`` in the input image's
pixels (box edges, clipped to the image), best first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from edgeward.errors import EdgewardError
from edgeward.package.manifest import CenterNetPostprocess
from edgeward.runtime.image import ImageInput, load_image
from edgeward.runtime.preprocess import letterbox, to_input_dtype
from edgeward.tasks.nms import nms

if TYPE_CHECKING:
    from edgeward.runtime.model import Model

Detection = dict[str, Any]


def detect(model: Model, image: ImageInput, score_threshold: float = 0.3, iou_threshold: float = 0.5,
           max_detections: int = 20) -> list[Detection]:
    manifest = model.manifest
    post = manifest.postprocess
    if not isinstance(post, CenterNetPostprocess):
        raise EdgewardError(f"{manifest.name}: postprocess kind '{post.kind}' is not a detector")
    if not 0.0 <= iou_threshold <= 1.0:
        raise EdgewardError(f"iou_threshold must be within [0, 1], got {iou_threshold}")
    labels = manifest.labels or []
    rgb = load_image(image)
    spec = manifest.inputs[0]
    x, box = letterbox(rgb, manifest.preprocess)
    rows = model.run({spec.name: to_input_dtype(x, spec.dtype)})[post.output].reshape(-1, 6).astype(np.float64)
    rows = rows[rows[:, 4] >= score_threshold]
    # Box edges are continuous coordinates (no half-pixel shift): image = (input − pad) / scale.
    corners = np.empty((len(rows), 4))
    corners[:, [0, 2]] = np.clip((rows[:, [0, 2]] - box.pad_x) / box.scale, 0, box.image_w)
    corners[:, [1, 3]] = np.clip((rows[:, [1, 3]] - box.pad_y) / box.scale, 0, box.image_h)
    classes = rows[:, 5].astype(np.int64)
    kept = nms(corners, rows[:, 4], classes, iou_threshold, max_detections)
    return [
        {"label": labels[classes[i]] if 0 <= classes[i] < len(labels) else str(classes[i]),
         "class_id": int(classes[i]), "score": float(rows[i, 4]), "box": [float(v) for v in corners[i]]}
        for i in kept
    ]
