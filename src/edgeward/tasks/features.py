"""Feature classification: a trained head's probabilities → top-k classes. Mirrored by web/src/tasks/features.js.

A ``features`` package (``edgeward train`` on digits, a CSV, pose features) is a head alone: input
``head.input`` float32 [N, head.dim], output ``head.output`` float32 [N, classes] indexed by
``labels``. The ranking is classification's own (``edgeward.tasks.classify.top_k``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from edgeward.errors import ManifestError, OptionError
from edgeward.package.manifest import HeadSpec
from edgeward.tasks.classify import Classification, check_top_k, top_k
from edgeward.tasks.handles import TaskHandle
from edgeward.tasks.outputs import Outputs, output


@dataclass(frozen=True)
class FeaturesOptions:
    """Options of feature classification; JS: DEFAULT_FEATURES_OPTIONS."""

    top_k: int = 5

    def __post_init__(self) -> None:
        check_top_k(self.top_k)


def decode_features(head: HeadSpec | None, outputs: Outputs, labels: list[str] | None,
                    options: FeaturesOptions) -> dict[str, Any]:
    """``{"classes": [...]}`` from the head's probabilities of one feature vector."""
    if head is None:
        raise ManifestError("task 'features' needs manifest field 'head'")
    return {"classes": top_k(output(outputs, head.output, "head.output"), labels, options.top_k)}


def feature_rows(features: Any, dim: int) -> np.ndarray:
    """One feature vector (any float sequence of length ``dim``) as float32 [1, dim]; a wrong length, a
    non-number or a NaN is an OptionError naming it."""
    try:
        x = np.asarray(features, dtype=np.float64)
    except (TypeError, ValueError):
        raise OptionError(f"features must be a vector of {dim} numbers") from None
    if x.ndim == 2 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 1 or x.shape[0] != dim:
        raise OptionError(f"features must be a vector of length {dim} (this head's head.dim), "
                          f"got shape {list(x.shape)}")
    if not np.isfinite(x).all():
        raise OptionError(f"features[{int(np.flatnonzero(~np.isfinite(x))[0])}] is not a finite number")
    return x.astype(np.float32)[None, :]


_FEATURES = FeaturesOptions()


class FeaturesHandle(TaskHandle):
    """A trained head on feature vectors (``edgeward train digits``, a CSV, pose features)."""

    task, noun, methods = "features", "a feature classifier", ("classify",)

    def classify(self, features: Any, top_k: int = _FEATURES.top_k) -> list[Classification]:
        """The ``top_k`` classes of one feature vector as ``[{label, class_id, score}]``, best first."""
        options = FeaturesOptions(top_k=top_k)
        head = self.manifest.head
        if head is None:
            raise ManifestError(f"{self.name}: task 'features' needs manifest field 'head'")
        outputs = self.run({head.input: feature_rows(features, head.dim)})
        return decode_features(head, outputs, self.manifest.labels, options)["classes"]
