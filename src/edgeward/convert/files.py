"""``edgeward convert FILE``: pick the importer by the file's suffix.

Files are read from the user's own local disk only. ``.pt``, ``.pkl`` and ``.joblib`` are pickles,
which run code when loaded: never pass a file someone uploaded or sent you.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from edgeward.convert.importer import DEFAULT_TOLERANCE, ImportResult
from edgeward.errors import ConversionError, ModelFormatError

IMPORT_SUFFIXES = {
    ".pt": "PyTorch: TorchScript (torch.jit.save) or a whole pickled module (torch.save), with --input-shape",
    ".pt2": "PyTorch: torch.export archive (torch.export.save)",
    ".keras": "Keras 3 (model.save('model.keras')), run on the torch backend",
    ".pkl": "scikit-learn estimator or pipeline (pickle)",
    ".joblib": "scikit-learn estimator or pipeline (joblib.dump)",
    ".onnx": "ONNX (checked with onnx.checker full_check; external data only from the model's folder)",
}


def convert_file(path: Path, output: Path, *, input_shapes: Mapping[str, Sequence[int]] | None = None,
                 example: Path | None = None, tolerance: float = DEFAULT_TOLERANCE) -> ImportResult:
    """Import a model file to verified ONNX. ``input_shapes``: name (or '' for positional) → shape."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        known = ", ".join([".json (TF.js graph model)", *IMPORT_SUFFIXES])
        raise ConversionError(f"{path}: unknown model format '{suffix or path.name}' (supported: {known})")
    if not path.is_file():
        raise ModelFormatError(f"{path}: file not found")
    shapes = [list(s) for s in (input_shapes or {}).values()] or None
    if suffix == ".onnx":
        from edgeward.convert.onnx_model import import_onnx

        return import_onnx(path, output, input_shapes=input_shapes, tolerance=tolerance)
    if suffix in (".pkl", ".joblib"):
        from edgeward.convert.sklearn import convert_sklearn_file

        rows = _load_example(example) if example else None
        if rows is None and shapes:
            rows = np.random.default_rng(0).standard_normal(shapes[0]).astype(np.float32)
        return convert_sklearn_file(path, output, rows, tolerance=tolerance)
    arrays = [_load_example(example)] if example is not None else None
    if suffix == ".keras":
        from edgeward.convert.keras import convert_keras_file

        return convert_keras_file(path, output, shapes, tolerance=tolerance, example=arrays)
    from edgeward.convert.torch import convert_torch_file

    return convert_torch_file(path, output, shapes, tolerance=tolerance, example=arrays)


def _load_example(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except Exception as e:
        raise ModelFormatError(f"{path}: --example must be a .npy array ({e})") from None
