"""The task table: every task a package can name, with its decoder, its default options and its handle.

Task modules (pose.py, detect.py, classify.py, …) are pure functions from model outputs (+ the
letterbox) to results — what web/src/tasks/ mirrors, with the same table in web/src/tasks/index.js
(same keys, same defaults in camelCase; tests/tasks/test_table.py checks). ``python -m edgeward.tasks``
prints it. New tasks (trained heads) add one row here and one there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgeward.errors import ManifestError
from edgeward.tasks.classify import ClassifyOptions, decode_classification
from edgeward.tasks.detect import DetectOptions, decode_detections
from edgeward.tasks.features import FeaturesHandle, FeaturesOptions, decode_features
from edgeward.tasks.handles import ClassifyHandle, DetectHandle, PoseHandle, TaskHandle, TensorHandle
from edgeward.tasks.pose import PoseOptions, decode_poses


@dataclass(frozen=True)
class Task:
    name: str
    decoder: Callable[..., Any] | None
    """Model outputs → results (None: raw tensors)."""
    options: type | None
    """Frozen dataclass of the options; its field defaults are the task's defaults."""
    handle: type[TaskHandle]
    method: str | None
    """The handle's method that runs one image end to end (benchmarks call it)."""

    @property
    def defaults(self) -> dict[str, Any]:
        return dataclasses.asdict(self.options()) if self.options else {}


TASKS: dict[str, Task] = {
    "pose": Task("pose", decode_poses, PoseOptions, PoseHandle, "estimate_poses"),
    "detect": Task("detect", decode_detections, DetectOptions, DetectHandle, "detect"),
    "classify": Task("classify", decode_classification, ClassifyOptions, ClassifyHandle, "classify"),
    "tensor": Task("tensor", None, None, TensorHandle, None),
    "features": Task("features", decode_features, FeaturesOptions, FeaturesHandle, "classify"),
}


def task_of(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise ManifestError(f"field 'task': '{name}' is not a known task (known: {', '.join(TASKS)})") from None


def load(spec: str | Path, variant: str = "fp32", threads: int | None = None,
         registry_url: str | None = None) -> Any:
    """The task handle of a verified package (``PoseHandle``, ``ClassifyHandle``, …)."""
    from edgeward.runtime.model import load_model

    model = load_model(spec, variant, threads, registry_url)
    return task_of(model.manifest.task).handle(model)


__all__ = ["TASKS", "Task", "load", "task_of"]
