"""Edgeward: convert, package and run ML models in the browser and in Python with the same answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from edgeward.runtime.model import Model


def load(spec: str) -> Model:
    """Load a model package from the local store, e.g. ``edgeward.load("posenet")``."""
    from edgeward.runtime.model import load_model

    return load_model(spec)


__all__ = ["__version__", "load"]
