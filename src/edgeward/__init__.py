"""Edgeward: convert, package and run ML models in the browser and in Python with the same answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pathlib import Path


def load(spec: str | Path, variant: str = "fp32", registry_url: str | None = None, threads: int | None = None) -> Any:
    """Load a verified model package: ``edgeward.load("posenet")``, ``"posenet@^1"`` or a folder.

    Returns the handle of the package's task (``edgeward.tasks.TASKS``): ``estimate_poses`` for pose
    packages, ``detect``, ``classify`` / ``embed``; every handle has ``run(feeds)`` and ``manifest``.
    Ranges resolve in the registry at ``registry_url`` / EDGEWARD_REGISTRY_URL when one is set
    (files are cached in the local store), else in the local store.
    """
    from edgeward.tasks import load as load_task

    return load_task(spec, variant, threads, registry_url)


def __getattr__(name: str) -> Any:
    """``edgeward.train``, imported on first use: the training package, itself callable as
    ``edgeward.train(data, name, **options)`` → ``TrainResult`` (``.report``, ``.path``); see
    ``edgeward.train.pipeline.train`` for the options."""
    if name == "train":
        import importlib

        return importlib.import_module("edgeward.train")
    raise AttributeError(f"module 'edgeward' has no attribute {name!r}")


__all__ = ["__version__", "load", "train"]
