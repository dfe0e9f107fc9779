"""The model zoo: one recipe per pretrained model (where its weights come from, how to convert)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edgeward.errors import EdgewardError

RECIPES: dict[str, str] = {"posenet": "edgeward.zoo.posenet"}


def build(name: str, *, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    """Build a zoo package into the local store (at setup time; never at inference time)."""
    import importlib

    if name not in RECIPES:
        raise EdgewardError(f"no zoo recipe named '{name}' (available: {', '.join(sorted(RECIPES))})")
    module = importlib.import_module(RECIPES[name])
    result: Path = module.build(force=force, on_step=on_step)
    return result
