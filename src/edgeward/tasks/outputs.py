"""Reading named model outputs for a decoder: a missing or misshapen output is the manifest's fault."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from edgeward.errors import ManifestError

Outputs = Mapping[str, np.ndarray]


def output(outputs: Outputs, name: str, field: str) -> np.ndarray:
    """The output ``name`` that manifest field ``field`` points at (mirrors web/src/tasks/outputs.js)."""
    if name not in outputs:
        raise ManifestError(f"model output '{name}' ({field}) is missing")
    return np.asarray(outputs[name])


def hwc(outputs: Outputs, name: str, field: str) -> np.ndarray:
    """A [1, H, W, C] output as one image's [H, W, C]."""
    t = output(outputs, name, field)
    if t.ndim != 4 or t.shape[0] != 1:
        raise ManifestError(f"model output '{name}' has shape {list(t.shape)}, expected [1, H, W, C]")
    return t[0]
