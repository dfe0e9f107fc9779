"""A head's layers ⇄ the flat parameter vector updates carry (protocol.param_shapes gives the order:
per layer W [in, out] row-major, then b [out]) — the layers of edgeward.train's TrainedHead."""

from __future__ import annotations

import math

import numpy as np

from edgeward.errors import FederatedError
from edgeward.federated.protocol import FederatedHead, param_count, param_shapes
from edgeward.train.backprop import Layer


def flatten(layers: list[Layer]) -> np.ndarray:
    """[(W, b), …] → one float32 vector, W row-major then b, layer by layer."""
    parts = [np.asarray(a, dtype=np.float32).ravel() for w, b in layers for a in (w, b)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def unflatten(vector: np.ndarray, head: FederatedHead) -> list[Layer]:
    """The vector as float64 layers [(W [in, out], b [out]), …] for ``head`` (a copy)."""
    v = np.asarray(vector, dtype=np.float64)
    if v.shape != (param_count(head),):
        raise FederatedError(f"parameter vector of shape {list(v.shape)}; this head has [{param_count(head)}]")
    arrays, at = [], 0
    for shape in param_shapes(head):
        size = math.prod(shape)
        arrays.append(v[at:at + size].reshape(shape).copy())
        at += size
    return [(arrays[i], arrays[i + 1]) for i in range(0, len(arrays), 2)]


def initial_params(head: FederatedHead, seed: int = 0) -> np.ndarray:
    """Version 0: Glorot-uniform weights and zero biases drawn as edgeward.train.head draws them (the
    same mulberry32 stream as the browser trainer), flattened to float32."""
    from edgeward.train.head import glorot
    from edgeward.train.prng import Rng

    sizes = [head.dim, *([head.hidden] if head.hidden is not None else []), len(head.labels)]
    return flatten(glorot(Rng(seed), sizes))
