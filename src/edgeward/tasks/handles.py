"""One thin handle per task: load → pre-process → run → decode. The decoding is the task module's.

``edgeward.load`` returns the handle the package's task names (``edgeward.tasks.TASKS``); each one
also offers ``run(feeds)`` on the raw model. Asking a handle for another task's method (``classify``
on a pose package) is a TaskError that names both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from edgeward.errors import ManifestError, TaskError
from edgeward.package.manifest import LetterboxPreprocess, Manifest
from edgeward.runtime.image import ImageInput, load_image
from edgeward.runtime.model import Model
from edgeward.runtime.preprocess import Box, Letterbox, preprocess, to_input_dtype
from edgeward.tasks.classify import Classification, ClassifyOptions, decode_classification
from edgeward.tasks.detect import Detection, DetectOptions, decode_detections
from edgeward.tasks.pose import Frame, Pose, PoseOptions, decode_poses
from edgeward.tasks.roi import check_roi

_POSE, _DETECT, _CLASSIFY = PoseOptions(), DetectOptions(), ClassifyOptions()  # the defaults, written once


class TaskHandle:
    """What every task handle has: the model, its manifest, ``run`` on raw tensors."""

    task: ClassVar[str] = ""
    noun: ClassVar[str] = ""
    methods: ClassVar[tuple[str, ...]] = ()

    def __init__(self, model: Model):
        if model.manifest.task != self.task:
            raise TaskError(f"{model.name} is a '{model.manifest.task}' package, not {self.noun}")
        self.model = model

    @property
    def manifest(self) -> Manifest:
        return self.model.manifest

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def directory(self) -> Path:
        """The package folder the model was loaded (and verified) from."""
        return self.model.directory

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self.model.run(feeds)

    def __getattr__(self, attr: str) -> Any:
        for other in _all_handles():
            if attr in other.methods:
                raise TaskError(f"{self.name} is a '{self.task}' package, not {other.noun}: it has no {attr}() "
                                f"(it offers {', '.join((*self.methods, 'run'))})")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    def _prepare(self, image: ImageInput, roi: Sequence[int] | None = None, resize: str | None = None,
                 size: tuple[int, int] | None = None) -> tuple[dict[str, np.ndarray], Box, Frame]:
        """The image (or its ``roi`` crop) letterboxed (or resized by ``resize``) into the model's feeds, and
        how to map back; ``size``: to that input size (height, width) instead of the package's own."""
        pre = self.manifest.preprocess
        if not isinstance(pre, LetterboxPreprocess):
            raise ManifestError(f"{self.name}: task '{self.task}' needs manifest field 'preprocess'")
        if size is not None:
            pre = pre.model_copy(update={"size": list(size)})
        rgb = load_image(image)
        height, width = rgb.shape[:2]
        frame = Frame(0, 0, width)
        if roi is not None:
            x0, y0, x1, y1 = check_roi(roi, width, height)
            rgb, frame = rgb[y0:y1, x0:x1], Frame(x0, y0, width)
        spec = self.manifest.inputs[0]
        x, box = preprocess(rgb, pre, resize)
        return {spec.name: to_input_dtype(x, spec.dtype)}, box, frame


class PoseHandle(TaskHandle):
    task, noun, methods = "pose", "a pose model", ("estimate_poses",)

    def estimate_poses(self, image: ImageInput, max_poses: int = _POSE.max_poses,
                       score_threshold: float = _POSE.score_threshold, nms_radius: float = _POSE.nms_radius,
                       flip_horizontal: bool = _POSE.flip_horizontal,
                       roi: Sequence[int] | None = _POSE.roi, resize: str | None = _POSE.resize,
                       input_size: int | Sequence[int] | None = _POSE.input_size) -> list[Pose]:
        """Poses in the image's pixels, best first (see ``edgeward.tasks.pose``). ``roi`` (x0, y0, x1, y1;
        see tasks/roi.py) estimates on that crop only; keypoints are still in the whole image's pixels.
        ``resize='tfjs-posenet'`` pre-processes as @tensorflow-models/posenet does (runtime/tfjs_resize.py)
        instead of the package's letterbox: the poses a TF.js app on that package gets. ``input_size``
        (an integer: square; or (height, width)) runs the package's file for that input size instead of its
        own (edgeward.package.sizes; e.g. 257 on a crop the tracked person fills)."""
        options = PoseOptions(max_poses, score_threshold, nms_radius, flip_horizontal,
                              None if roi is None else tuple(roi), resize,  # type: ignore[arg-type]
                              input_size)  # type: ignore[arg-type]
        run = self.model.runner_at(options.input_size)  # an unknown size fails before any work
        feeds, box, frame = self._prepare(image, options.roi, options.resize, options.input_size)
        assert self.manifest.preprocess is not None
        size = options.input_size or self.manifest.preprocess.size
        return decode_poses(self.manifest.postprocess, run(feeds), box, options, size, frame)


class DetectHandle(TaskHandle):
    task, noun, methods = "detect", "a detector", ("detect",)

    def detect(self, image: ImageInput, score_threshold: float = _DETECT.score_threshold,
               iou_threshold: float = _DETECT.iou_threshold,
               max_detections: int = _DETECT.max_detections) -> list[Detection]:
        """Objects as ``[{label, class_id, score, box: [x1, y1, x2, y2]}]`` in image pixels, best first."""
        options = DetectOptions(score_threshold, iou_threshold, max_detections)
        feeds, box, _ = self._prepare(image)
        assert isinstance(box, Letterbox)  # no other resize was asked for
        return decode_detections(self.manifest.postprocess, self.run(feeds), box, self.manifest.labels, options)


class ClassifyHandle(TaskHandle):
    task, noun, methods = "classify", "a classifier", ("classify", "embed")

    def classify(self, image: ImageInput, top_k: int = _CLASSIFY.top_k) -> list[Classification]:
        """The ``top_k`` classes as ``[{label, class_id, score}]``, best first (ties in class-id order)."""
        options = ClassifyOptions(top_k=top_k)
        feeds, _, _ = self._prepare(image)
        return decode_classification(self.manifest.postprocess, self.run(feeds), self.manifest.labels,
                                     options)["classes"]

    def embed(self, image: ImageInput) -> np.ndarray:
        """The penultimate features for ``image``: a float32 vector (EfficientNet-Lite0: 1280)."""
        feeds, _, _ = self._prepare(image)
        result = decode_classification(self.manifest.postprocess, self.run(feeds), self.manifest.labels,
                                       ClassifyOptions(top_k=1, embedding=True))
        return result["embedding"]


class TensorHandle(TaskHandle):
    """A ``tensor`` package: raw tensors in and out, nothing to decode."""

    task, noun, methods = "tensor", "a tensor model", ()


def _all_handles() -> list[type[TaskHandle]]:
    return TaskHandle.__subclasses__()
