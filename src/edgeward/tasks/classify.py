"""Classification decoding: model outputs → top-k classes (+ the embedding). Mirrored by web/src/tasks/classify.js.

Results: ``[{"label", "class_id", "score"}]``, best first; equal scores keep class-id order. Scores
are the graph's own probabilities (softmax inside the ONNX graph), compared as the float32 values it
returns, so the browser ranks exactly the same numbers.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgeward.errors import ManifestError, OptionError
from edgeward.package.manifest import ClassifyPostprocess, Postprocess
from edgeward.tasks.outputs import Outputs, output

Classification = dict[str, Any]


def check_top_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise OptionError(f"top_k must be an integer >= 1, got {k!r}")
    return int(k)


@dataclass(frozen=True)
class ClassifyOptions:
    """Options of classification; JS: DEFAULT_CLASSIFY_OPTIONS."""

    top_k: int = 5
    embedding: bool = False
    """Also return the penultimate features (``postprocess.embedding``)."""

    def __post_init__(self) -> None:
        check_top_k(self.top_k)
        if not isinstance(self.embedding, bool):
            raise OptionError(f"embedding must be true or false, got {self.embedding!r}")


def top_k(probabilities: np.ndarray, labels: list[str] | None, k: int) -> list[Classification]:
    """The ``k`` best classes of a [C] (or [1, C]) score vector: score descending, ties by class id."""
    k = check_top_k(k)
    scores = np.asarray(probabilities, dtype=np.float32).reshape(-1)
    order = np.argsort(-scores, kind="stable")[:k]  # stable: equal scores stay in class-id order
    names = labels or []
    return [{"label": names[i] if i < len(names) else str(int(i)), "class_id": int(i), "score": float(scores[i])}
            for i in order]


def decode_classification(post: Postprocess | None, outputs: Outputs, labels: list[str] | None,
                          options: ClassifyOptions) -> dict[str, Any]:
    """``{"classes": [...]}``, plus ``"embedding"`` (float32 [D]) when ``options.embedding``."""
    if not isinstance(post, ClassifyPostprocess):
        raise ManifestError(f"postprocess kind '{getattr(post, 'kind', None)}' is not a classifier")
    result: dict[str, Any] = {"classes": top_k(output(outputs, post.output, "postprocess.output"), labels,
                                                options.top_k)}
    if options.embedding:
        if post.embedding is None or post.embedding not in outputs:
            raise ManifestError("the package has no embedding output (postprocess.embedding)")
        result["embedding"] = np.asarray(outputs[post.embedding], dtype=np.float32).reshape(-1).copy()
    return result
