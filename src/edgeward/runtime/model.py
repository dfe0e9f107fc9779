"""A loaded model package: verified files, an onnxruntime session and its task helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from edgeward.errors import EdgewardError, ManifestError
from edgeward.package.manifest import MANIFEST_FILE, Manifest, read_manifest
from edgeward.package.store import package_dir, verify_file


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
                       nms_radius: float = 20.0, flip_horizontal: bool = False) -> list[dict[str, Any]]:
        if self.manifest.task != "pose":
            raise EdgewardError(f"{self.name} is a '{self.manifest.task}' model, not a pose model")
        from edgeward.tasks.pose import estimate_poses

        return estimate_poses(self, image, max_poses, score_threshold, nms_radius, flip_horizontal)


def load_model(spec: str | Path, variant: str = "fp32", threads: int | None = None) -> Model:
    """``spec`` is a package folder, or NAME / NAME@VERSION from the local store."""
    path = Path(spec)
    directory = path if (path / MANIFEST_FILE).is_file() else package_dir(str(spec))
    return Model(directory, variant, threads)
