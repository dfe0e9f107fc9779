"""The input sizes a package carries: its own (``preprocess.size``) and its size files (mirrored by web/src/sizes.js).

A fully convolutional model (PoseNet) can be converted for more than one input size; the package then carries,
besides each variant, files keyed ``<variant>@<H>x<W>`` (``fp32@257x257``): the same network for a
[1, H, W, C] input. Every other manifest field applies unchanged; the output's spatial dims follow the input.
A runtime that tracks a person who fills the crop can run the smaller input (fewer pixels, same person).
The file for (variant, size) is that variant's size file if the package has one, else fp32's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edgeward.errors import ManifestError, OptionError
from edgeward.package.manifest import FileEntry, Manifest
from edgeward.package.size_keys import MAX_INPUT_SIDE, MIN_INPUT_SIDE, split_size_key

Size = tuple[int, int]
"""[height, width] of the model input."""


def own_size(manifest: Manifest) -> Size:
    if manifest.preprocess is None:
        raise ManifestError(f"{manifest.name}: task '{manifest.task}' has no field 'preprocess', so no input size")
    height, width = manifest.preprocess.size
    return height, width


def input_sizes(manifest: Manifest) -> list[Size]:
    """The package's own size first, then the sizes of its size files by descending area (then height),
    each once (``fp32@257x257`` and ``int8@257x257`` are one size)."""
    own = own_size(manifest)
    carried = {split[1] for key in manifest.files if (split := split_size_key(key)) is not None}
    return [own, *sorted(carried - {own}, key=lambda s: (-s[0] * s[1], -s[0], -s[1]))]


def size_key(manifest: Manifest, variant: str, size: Sequence[int]) -> str:
    """The ``files`` key of ``variant`` at ``size``: the variant itself at the package's own size, else
    ``'<variant>@<H>x<W>'``."""
    height, width = size
    return variant if (height, width) == own_size(manifest) else f"{variant}@{height}x{width}"


def describe_sizes(sizes: Sequence[Sequence[int]]) -> str:
    return ", ".join(f"{h}x{w}" for h, w in sizes)


def file_for_size(manifest: Manifest, variant: str, size: Sequence[int]) -> tuple[str, FileEntry]:
    """The file to run for ``variant`` at ``size``, as (its ``files`` key, its entry): the variant's own file at
    that size, else fp32's (a size file is converted once, in fp32); a size the package does not carry is an
    OptionError naming the sizes it does."""
    for name in (variant, "fp32"):
        key = size_key(manifest, name, size)
        if key in manifest.files:
            return key, manifest.files[key]
    height, width = size
    raise OptionError(f"{manifest.name} has no {height}x{width} input size "
                      f"(it carries {describe_sizes(input_sizes(manifest))})")


def check_input_size(value: object) -> Size | None:
    """The ``input_size`` option as (height, width): None stays None (the package's own), an integer n is
    (n, n), a pair of integers is (height, width); anything else is an OptionError."""
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        pair: Sequence[object] = (value, value)
    elif isinstance(value, list | tuple) and len(value) == 2:
        pair = value
    else:
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, int | np.integer) and not isinstance(v, bool)
                                 and MIN_INPUT_SIDE <= v <= MAX_INPUT_SIDE for v in pair):
        raise OptionError(f"input_size must be an integer or [height, width], each {MIN_INPUT_SIDE} to "
                          f"{MAX_INPUT_SIDE} (or None: the package's own), got {value!r}")
    return int(pair[0]), int(pair[1])  # type: ignore[call-overload]


def size_files(manifest: Manifest, variant: str) -> list[str]:
    """The ``files`` keys ``variant`` runs at the package's other input sizes (:func:`file_for_size`), for a
    download of one variant to bring them along; a size with no file for it (nor fp32's) is left out."""
    if manifest.preprocess is None:
        return []
    keys = []
    for size in input_sizes(manifest)[1:]:
        try:
            keys.append(file_for_size(manifest, variant, size)[0])
        except OptionError:
            continue
    return keys
