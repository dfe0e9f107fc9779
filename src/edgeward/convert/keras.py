"""Keras 3 → ONNX, on the PyTorch backend: Keras' own ``model.export(format="onnx")`` (which runs
torch.onnx on the backend module), verified against the Keras model itself.

Keras must run on the torch backend (``KERAS_BACKEND=torch``; set here when Keras is not imported
yet). A ``.keras`` file is loaded with ``safe_mode=True`` (no arbitrary Lambda code); a custom layer
must be registered (``@keras.saving.register_keras_serializable``) and imported before converting.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.convert.importer import (
    DEFAULT_TOLERANCE,
    RANDOM_CASES,
    ImportResult,
    as_numpy,
    example_cases,
    finish,
    first_line,
    graph_io,
    rename_outputs,
    require,
)
from edgeward.errors import ConversionError, ModelFormatError

_UNSUPPORTED = [
    re.compile(r"Exporting the operator '?([\w:.]+)'? to ONNX opset version \d+ is not supported"),
    re.compile(r"No ONNX function found for <OpOverload\(op='([^']+)'"),
]
_UNKNOWN_LAYER = re.compile(r"Could not locate (?:class|function) '([^']+)'")


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = require("keras")
    backend = keras.backend.backend()
    if backend != "torch":
        raise ConversionError(f"Keras runs on the '{backend}' backend; edgeward exports Keras models through "
                              "PyTorch: set KERAS_BACKEND=torch before keras is imported")
    require("torch")
    return keras


def from_keras(model: Any, example: Any, output: Path | str, *, tolerance: float = DEFAULT_TOLERANCE,
               random_cases: int = RANDOM_CASES, source: str | None = None) -> ImportResult:
    """Export a ``keras.Model`` to ONNX and verify it on ``example`` (an array or a list of arrays)."""
    keras = _keras()
    started = time.perf_counter()
    output = Path(output)
    source = source or f"keras model '{getattr(model, 'name', type(model).__name__)}'"
    if not isinstance(model, keras.Model):
        raise ConversionError(f"{source}: expected a keras.Model, got {type(model).__name__}")
    arrays = [np.asarray(a) for a in (example if isinstance(example, list | tuple) else [example])]
    first = _run(model, arrays, source)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _quiet():
            model.export(str(output), format="onnx", verbose=False)
    except Exception as e:
        raise ConversionError(_describe_export_error(e, source)) from None
    out_names = _output_names(model, len(first))
    rename_outputs(output, out_names)
    names, onnx_outs = graph_io(output)
    if len(names) != len(arrays):
        raise ConversionError(f"{source}: the exported graph has {len(names)} inputs, the example has {len(arrays)}")

    def reference(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return dict(zip(onnx_outs, _run(model, [feeds[n] for n in names], source), strict=True))

    example_feeds = dict(zip(names, arrays, strict=True))
    return finish(output, "keras", source, example_cases(example_feeds, random_cases), reference, tolerance, started)


def convert_keras_file(path: Path, output: Path, input_shapes: Sequence[Sequence[int]] | None = None,
                       tolerance: float = DEFAULT_TOLERANCE, example: Sequence[np.ndarray] | None = None
                       ) -> ImportResult:
    """A ``.keras`` archive → verified ONNX. Example: ``example`` arrays, else random normal of
    ``input_shapes``, else of the model's input shapes (batch 1)."""
    keras = _keras()
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"{path}: file not found")
    try:
        with _quiet():
            model = keras.saving.load_model(str(path), compile=False, safe_mode=True)
    except Exception as e:
        text = str(e)
        m = _UNKNOWN_LAYER.search(text)
        if m:
            raise ConversionError(f"{path}: unsupported layer '{m.group(1)}': it is not a built-in Keras layer. "
                                  "Register it with @keras.saving.register_keras_serializable and convert from "
                                  "Python with edgeward.convert.from_keras(model, example, output)") from None
        raise ModelFormatError(f"{path}: not a loadable .keras archive: {first_line(e)}") from None
    if example is None:
        if input_shapes:
            shapes = [list(s) for s in input_shapes]
        else:
            shapes = [[1 if d is None else int(d) for d in t.shape] for t in model.inputs]
        rng = np.random.default_rng(0)
        example = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    return from_keras(model, list(example), output, tolerance=tolerance, source=str(path))


def _run(model: Any, arrays: list[np.ndarray], source: str) -> list[np.ndarray]:
    try:
        with _quiet():
            result = model(arrays[0] if len(arrays) == 1 else arrays, training=False)
    except Exception as e:
        shapes = ", ".join(str(list(a.shape)) for a in arrays)
        raise ConversionError(f"{source}: the model rejects the example input of shape {shapes}: "
                              f"{_keras_message(e)}") from None
    if isinstance(result, dict):
        result = list(result.values())
    items = result if isinstance(result, list | tuple) else [result]
    return [as_numpy(t) for t in items]


def _output_names(model: Any, count: int) -> list[str]:
    """The layers that produce the outputs ('logits'), instead of the exporter's numbers."""
    names: list[str] = []
    for t in getattr(model, "outputs", None) or []:
        history = getattr(t, "_keras_history", None)
        op = getattr(history, "operation", None) if history is not None else None
        names.append(getattr(op, "name", "") or "")
    if len(names) != count or not all(names) or len(set(names)) != count:
        return ["output"] if count == 1 else [f"output_{i}" for i in range(count)]
    return names


def _keras_message(e: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(e))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(("Exception encountered", "Arguments received", "•"))]
    return useful[0] if useful else type(e).__name__


def _describe_export_error(e: BaseException, source: str) -> str:
    text = str(e)
    for pattern in _UNSUPPORTED:
        m = pattern.search(text)
        if m:
            return (f"{source}: unsupported op '{m.group(1)}': torch.onnx has no ONNX translation for it. "
                    "Replace the layer that uses it with supported ops")
    return f"{source}: ONNX export failed (unsupported layer or op?): {_keras_message(e)}"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield
