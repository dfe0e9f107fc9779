"""Converters from source formats to ONNX, each verified against its source.

Importers (PyTorch, Keras 3, scikit-learn, plain ONNX) take a live model plus an example input, or a
file, and return an :class:`ImportResult` with the max difference found against the source::

    from edgeward.convert import from_torch, from_keras, from_sklearn, import_onnx, convert_file
    result = from_torch(module, torch.randn(1, 3, 32, 32), "cnn.onnx")
    result.max_rel_diff    # {'output': 3.1e-08}
"""

from __future__ import annotations

from edgeward.convert.files import IMPORT_SUFFIXES, convert_file
from edgeward.convert.importer import DEFAULT_TOLERANCE, ImportResult
from edgeward.convert.keras import convert_keras_file, from_keras
from edgeward.convert.onnx_model import import_onnx
from edgeward.convert.sklearn import convert_sklearn_file, from_sklearn
from edgeward.convert.torch import convert_torch_file, from_torch

__all__ = [
    "DEFAULT_TOLERANCE",
    "IMPORT_SUFFIXES",
    "ImportResult",
    "convert_file",
    "convert_keras_file",
    "convert_sklearn_file",
    "convert_torch_file",
    "from_keras",
    "from_sklearn",
    "from_torch",
    "import_onnx",
]
