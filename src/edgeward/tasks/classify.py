"""Image classification on a model package: pre-process, run, top-k (the oracle web/src/tasks/classify.js mirrors).

Results: ``[{"label", "class_id", "score"}]``, best first; equal scores keep class-id order. Scores
are the graph's own probabilities (softmax inside the ONNX graph), compared as the float32 values it
returns, so the browser ranks exactly the same numbers.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from edgeward.errors import EdgewardError
from edgeward.package.manifest import ClassifyPostprocess
from edgeward.runtime.image import ImageInput, load_image
from edgeward.runtime.preprocess import letterbox, to_input_dtype

if TYPE_CHECKING:
    from edgeward.runtime.model import Model

Classification = dict[str, Any]


def _post(model: Model) -> ClassifyPostprocess:
    post = model.manifest.postprocess
    if not isinstance(post, ClassifyPostprocess):
        raise EdgewardError(f"{model.manifest.name}: postprocess kind '{post.kind}' is not a classifier")
    return post


def _run(model: Model, image: ImageInput) -> dict[str, np.ndarray]:
    spec = model.manifest.inputs[0]
    x, _ = letterbox(load_image(image), model.manifest.preprocess)
    return model.run({spec.name: to_input_dtype(x, spec.dtype)})


def check_top_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise EdgewardError(f"top_k must be an integer >= 1, got {k!r}")
    return int(k)


def top_k(probabilities: np.ndarray, labels: list[str] | None, k: int) -> list[Classification]:
    """The ``k`` best classes of a [C] (or [1, C]) score vector: score descending, ties by class id."""
    k = check_top_k(k)
    scores = np.asarray(probabilities, dtype=np.float32).reshape(-1)
    order = np.argsort(-scores, kind="stable")[:k]  # stable: equal scores stay in class-id order
    names = labels or []
    return [{"label": names[i] if i < len(names) else str(int(i)), "class_id": int(i), "score": float(scores[i])}
            for i in order]


def classify(model: Model, image: ImageInput, k: int = 5) -> list[Classification]:
    post = _post(model)
    k = check_top_k(k)
    return top_k(_run(model, image)[post.output], model.manifest.labels, k)


def embed(model: Model, image: ImageInput) -> np.ndarray:
    """The penultimate features (``postprocess.embedding``) as a float32 vector [D]."""
    post = _post(model)
    if post.embedding is None:
        raise EdgewardError(f"{model.manifest.name}: the package has no embedding output (postprocess.embedding)")
    return np.asarray(_run(model, image)[post.embedding], dtype=np.float32).reshape(-1)
