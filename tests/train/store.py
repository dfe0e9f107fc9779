"""A throwaway package store for the training tests, with the zoo's base packages linked in (read-only use)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from edgeward.settings import get_settings
from edgeward.zoo import build


@contextmanager
def isolated_store(root: Path, bases: tuple[str, ...] = ()) -> Iterator[Path]:
    """EDGEWARD_HOME = ``root``/home while inside; yields its packages folder holding links to ``bases``."""
    packages = root / "home" / "packages"
    packages.mkdir(parents=True)
    for name in bases:
        directory = build(name)
        (packages / name).mkdir()
        (packages / name / directory.name).symlink_to(directory)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("EDGEWARD_HOME", str(root / "home"))
            mp.delenv("EDGEWARD_REGISTRY_URL", raising=False)
            get_settings.cache_clear()
            yield packages
    finally:
        get_settings.cache_clear()  # read again with the environment restored

def trained(packages: Path) -> list[str]:
    """Everything in the store but the linked bases: what training wrote (hidden temp folders too)."""
    out = []
    for name in sorted(packages.iterdir()):
        versions = sorted(name.iterdir())
        if any(v.is_symlink() for v in versions):
            continue
        out += [str(v.relative_to(packages)) for v in versions] or [name.name]
    return out
