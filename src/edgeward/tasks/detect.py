"""Detection decoding: model outputs (+ the letterbox) → labelled boxes. Mirrored by web/src/tasks/detect.js.

Detections: ``[{"label", "class_id", "score", "box": [x1, y1, x2, y2]}]`` in the input image's
pixels (box edges, clipped to the image), best first, after class-wise NMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from edgeward.errors import ManifestError, OptionError
from edgeward.package.manifest import CenterNetPostprocess, Postprocess
from edgeward.runtime.preprocess import Letterbox
from edgeward.tasks.nms import nms
from edgeward.tasks.outputs import Outputs, output

Detection = dict[str, Any]


@dataclass(frozen=True)
class DetectOptions:
    """Options of detection; JS: DEFAULT_DETECT_OPTIONS."""

    score_threshold: float = 0.3
    iou_threshold: float = 0.5
    max_detections: int = 20

    def __post_init__(self) -> None:
        if not np.isfinite(self.score_threshold):
            raise OptionError(f"score_threshold must be a number, got {self.score_threshold!r}")
        if not 0.0 <= self.iou_threshold <= 1.0:
            raise OptionError(f"iou_threshold must be within [0, 1], got {self.iou_threshold}")
        if (isinstance(self.max_detections, bool) or not isinstance(self.max_detections, int | np.integer)
                or self.max_detections < 1):
            raise OptionError(f"max_detections must be an integer >= 1, got {self.max_detections!r}")


def decode_detections(post: Postprocess | None, outputs: Outputs, box: Letterbox, labels: list[str] | None,
                      options: DetectOptions) -> list[Detection]:
    if not isinstance(post, CenterNetPostprocess):
        raise ManifestError(f"postprocess kind '{getattr(post, 'kind', None)}' is not a detector")
    rows = output(outputs, post.output, "postprocess.output").reshape(-1, 6).astype(np.float64)
    rows = rows[rows[:, 4] >= options.score_threshold]
    # Box edges are continuous coordinates (no half-pixel shift): image = (input − pad) / scale.
    corners = np.empty((len(rows), 4))
    corners[:, [0, 2]] = np.clip((rows[:, [0, 2]] - box.pad_x) / box.scale, 0, box.image_w)
    corners[:, [1, 3]] = np.clip((rows[:, [1, 3]] - box.pad_y) / box.scale, 0, box.image_h)
    classes = rows[:, 5].astype(np.int64)
    kept = nms(corners, rows[:, 4], classes, options.iou_threshold, options.max_detections)
    names = labels or []
    return [
        {"label": names[classes[i]] if 0 <= classes[i] < len(names) else str(classes[i]),
         "class_id": int(classes[i]), "score": float(rows[i, 4]), "box": [float(v) for v in corners[i]]}
        for i in kept
    ]
