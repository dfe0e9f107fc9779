"""A loaded model package: its manifest, its verified file and an onnxruntime session — nothing task-specific.

What a package's outputs mean is the task's business (``edgeward.tasks``); the runtime only runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from edgeward.errors import ManifestError
from edgeward.kernels.oracle import run as kernel_outputs
from edgeward.kernels.plan import SUFFIX, read_plan
from edgeward.package.manifest import MANIFEST_FILE, Manifest, pick_variant, read_manifest
from edgeward.package.size_keys import split_size_key
from edgeward.package.sizes import Size, file_for_size, own_size
from edgeward.package.store import verify_file
from edgeward.runtime.session import Runner, build_session, runner


class Model:
    """A manifest plus ``run``: feeds in, every output out, by name."""

    def __init__(self, directory: Path, variant: str = "fp32", threads: int | None = None):
        self.directory = Path(directory)
        self.manifest: Manifest = read_manifest(self.directory / MANIFEST_FILE)
        if variant == "auto":  # the variant made for native onnxruntime ('cpu'), else fp32 (pick_variant)
            variant = pick_variant(self.manifest, "cpu")
        if split_size_key(variant) is not None:
            pick_variant(self.manifest, "cpu", variant)  # the ManifestError saying a size file is no variant
        self.variant = variant
        self.threads = threads
        entry = self.manifest.files.get(variant)
        if entry is None:
            raise ManifestError(f"{self.directory / MANIFEST_FILE}: field 'files' has no '{variant}' variant "
                                f"(has: {', '.join(self.manifest.files)})")
        path = verify_file(self.directory, entry)  # integrity before use
        self.kernels = path.suffix == SUFFIX
        """An Edgeward kernels file (int8-kernels): run by their oracle, bit for bit as in the browser, at every
        input size the package carries (one file serves them all)."""
        if self.kernels:
            plan = read_plan(path)
            self.session = None
            self._run = lambda feeds: kernel_outputs(plan, feeds[plan.input_name])
        else:
            self.session = build_session(path, threads)
            self._run = runner(self.session)
        self._sized: dict[Size, Runner] = {}
        """Sessions on the package's other input sizes (edgeward.package.sizes), made on first use."""

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def task(self) -> str:
        return self.manifest.task

    def run(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self._run(feeds)

    def runner_at(self, size: Sequence[int] | None) -> Runner:
        """``run`` on the file for this variant at input ``size`` (height, width; None: the package's own):
        verified and opened once, on first use (an OptionError naming the sizes the package carries)."""
        if size is None or (size[0], size[1]) == own_size(self.manifest):
            return self._run
        key_size: Size = (int(size[0]), int(size[1]))
        if self.kernels:
            file_for_size(self.manifest, "fp32", key_size)  # the OptionError for a size the package lacks
            return self._run
        if key_size not in self._sized:
            _, entry = file_for_size(self.manifest, self.variant, key_size)
            path = verify_file(self.directory, entry)  # integrity before use, as for the main file
            self._sized[key_size] = runner(build_session(path, self.threads))
        return self._sized[key_size]


def load_model(spec: str | Path, variant: str = "fp32", threads: int | None = None,
               registry_url: str | None = None) -> Model:
    """``spec`` is a package folder, or NAME / NAME@VERSION / NAME@RANGE (``posenet@^1``); ``variant`` a
    ``files`` key, or 'auto': the one made for native onnxruntime if the package has one, else fp32.

    With a registry (``registry_url`` or EDGEWARD_REGISTRY_URL) the range is resolved there and the
    package cached in the local store, each file verified (a bad one is fetched again once); without
    one, or when it cannot be reached, the local store answers.
    """
    path = Path(spec)
    if (path / MANIFEST_FILE).is_file():
        return Model(path, variant, threads)
    from edgeward.registry.client import locate_package

    return Model(locate_package(str(spec), None if variant == "auto" else [variant], registry_url), variant, threads)
