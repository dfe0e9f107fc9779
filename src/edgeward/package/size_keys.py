"""Size keys of a manifest's ``files`` (``fp32@257x257``: fp32 converted for a 257×257 input) and their rules.

Plain functions on the JSON form, so the manifest's model validator can use them (manifest.py) as well as
edgeward.package.sizes; web/src/manifest.js and web/src/sizes.js mirror them.
"""

from __future__ import annotations

from typing import Any

MIN_INPUT_SIDE, MAX_INPUT_SIDE = 16, 4096
"""The least and the largest height or width of a size key (``fp32@257x257``)."""


def split_size_key(key: str) -> tuple[str, tuple[int, int]] | None:
    """``'fp32@257x257'`` → ``('fp32', (257, 257))``; a key without a size → None. (The key matched
    manifest.FILE_KEY_PATTERN: digits without leading zeros.)"""
    variant, at, dims = key.partition("@")
    if not at:
        return None
    height, _, width = dims.partition("x")
    return variant, (int(height), int(width))


def size_key_errors(m: dict[str, Any]) -> list[str]:
    """The rules of size keys (web/src/manifest.js mirrors them, word for word): the package has an image input
    (``preprocess``); the variant is also a plain key; height and width are MIN_INPUT_SIDE..MAX_INPUT_SIDE and
    not the package's own size (that file is the plain key)."""
    errors = []
    files = m.get("files", {})
    pre = m.get("preprocess")
    for key in files:
        split = split_size_key(key)
        if split is None:
            continue
        (variant, (height, width)), where = split, f"field 'files.{key}'"
        if pre is None:
            errors.append(f"{where}: a file for another input size needs field 'preprocess' (an image input)")
            continue
        if variant not in files:
            errors.append(f"{where}: the package has no '{variant}' file at its own size (files.{variant})")
        if not all(MIN_INPUT_SIDE <= side <= MAX_INPUT_SIDE for side in (height, width)):
            errors.append(f"{where}: height and width must be {MIN_INPUT_SIDE} to {MAX_INPUT_SIDE}")
        elif [height, width] == list(pre["size"]):
            errors.append(f"{where}: {height}x{width} is the package's own input size (preprocess.size); "
                          f"that file is files.{variant}")
    return errors
