"""The model zoo: one recipe per pretrained model (where its weights come from, how to convert)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from edgeward.errors import OptionError

# name → "module:function" building it (imported lazily: recipes pull in the converter).
RECIPES: dict[str, str] = {
    "posenet": "edgeward.zoo.posenet:build",
    "movenet-lightning": "edgeward.zoo.movenet:build_lightning",
    "movenet-thunder": "edgeward.zoo.movenet:build_thunder",
    "movenet-multipose": "edgeward.zoo.movenet:build_multipose",
    "centernet": "edgeward.zoo.centernet:build",
    "efficientnet-lite0": "edgeward.zoo.efficientnet:build",
}


def build(name: str, *, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    """Build a zoo package into the local store (at setup time; never at inference time)."""
    import importlib

    if name not in RECIPES:
        raise OptionError(f"no zoo recipe named '{name}' (available: {', '.join(sorted(RECIPES))})")
    module_name, _, func = RECIPES[name].partition(":")
    result: Path = getattr(importlib.import_module(module_name), func)(force=force, on_step=on_step)
    return result
