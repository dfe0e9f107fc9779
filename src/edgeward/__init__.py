"""Edgeward: convert, package and run ML models in the browser and in Python with the same answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from edgeward.runtime.model import Model


def load(spec: str, variant: str = "fp32", registry_url: str | None = None) -> Model:
    """Load a verified model package: ``edgeward.load("posenet")``, ``"posenet@^1"`` or a folder.

    Ranges resolve in the registry at ``registry_url`` / EDGEWARD_REGISTRY_URL when one is set
    (files are cached in the local store), else in the local store.
    """
    from edgeward.runtime.model import load_model

    return load_model(spec, variant, registry_url=registry_url)


__all__ = ["__version__", "load"]
