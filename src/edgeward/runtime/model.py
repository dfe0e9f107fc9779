"""A loaded model package: verified files, an onnxruntime session and its task helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from edgeward.errors import EdgewardError, ManifestError
from edgeward.package.manifest import MANIFEST_FILE, Manifest, read_manifest
from edgeward.package.store import verify_file


class Model:
    def __init__(self, directory: Path, variant: str = "fp32", threads: int | None = None):
        self.directory = Path(directory)
        self.manifest: Manifest = read_manifest(self.directory / MANIFEST_FILE)
        entry = self.manifest.files.get(variant)  # type: ignore[call-overload]
        if entry is None:
            raise ManifestError(f"{self.directory / MANIFEST_FILE}: field 'files' has no '{variant}' variant "
                                f"(has: {', '.join(self.manifest.files)})")
        path = verify_file(self.directory, entry)  # integrity before use
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._output_names = [o.name for o in self.session.get_outputs()]

    @property
    def name(self) -> str:
        return self.manifest.name

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(self._output_names, self.session.run(self._output_names, feeds), strict=True))

    def estimate_poses(self, image: Any, max_poses: int = 1, score_threshold: float = 0.5,
                       nms_radius: float = 20.0, flip_horizontal: bool = False,
                       roi: tuple[int, int, int, int] | None = None) -> list[dict[str, Any]]:
        if self.manifest.task != "pose":
            raise EdgewardError(f"{self.name} is a '{self.manifest.task}' model, not a pose model")
        from edgeward.tasks.pose import estimate_poses

        return estimate_poses(self, image, max_poses, score_threshold, nms_radius, flip_horizontal, roi)

    def detect(self, image: Any, score_threshold: float = 0.3, iou_threshold: float = 0.5,
               max_detections: int = 20) -> list[dict[str, Any]]:
        """Objects as ``[{label, class_id, score, box: [x1, y1, x2, y2]}]`` in image pixels, best first."""
        if self.manifest.task != "detect":
            raise EdgewardError(f"{self.name} is a '{self.manifest.task}' model, not a detector")
        from edgeward.tasks.detect import detect

        return detect(self, image, score_threshold, iou_threshold, max_detections)

    def classify(self, image: Any, top_k: int = 5) -> list[dict[str, Any]]:
        """The ``top_k`` classes as ``[{label, class_id, score}]``, best first (ties in class-id order)."""
        if self.manifest.task != "classify":
            raise EdgewardError(f"{self.name} is a '{self.manifest.task}' model, not a classifier")
        from edgeward.tasks.classify import classify

        return classify(self, image, top_k)

    def embed(self, image: Any) -> np.ndarray:
        """The classifier's penultimate features for ``image``: a float32 vector (EfficientNet-Lite0: 1280)."""
        if self.manifest.task != "classify":
            raise EdgewardError(f"{self.name} is a '{self.manifest.task}' model, not a classifier")
        from edgeward.tasks.classify import embed

        return embed(self, image)


def load_model(spec: str | Path, variant: str = "fp32", threads: int | None = None,
               registry_url: str | None = None) -> Model:
    """``spec`` is a package folder, or NAME / NAME@VERSION / NAME@RANGE (``posenet@^1``).

    With a registry (``registry_url`` or EDGEWARD_REGISTRY_URL) the range is resolved there and the
    package cached in the local store, each file verified (a bad one is fetched again once); without
    one, or when it cannot be reached, the local store answers.
    """
    path = Path(spec)
    if (path / MANIFEST_FILE).is_file():
        return Model(path, variant, threads)
    from edgeward.registry.client import locate_package

    return Model(locate_package(str(spec), [variant], registry_url), variant, threads)
