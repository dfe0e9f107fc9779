"""scikit-learn → ONNX with skl2onnx, verified against the estimator's own predict / predict_proba.

Classifiers export two outputs, ``label`` (int64 or string) and ``probabilities`` ([N, classes],
float32; no ZipMap, so browsers get a plain tensor); regressors and transformers one, ``variable``.
Inputs are float32 ``[N, features]`` named ``X``.

A ``.pkl`` / ``.joblib`` file is unpickled, which runs code from the file: load only files you made
yourself, from your own disk — never an uploaded or downloaded file.
"""

from __future__ import annotations

import pickle
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.convert.importer import (
    DEFAULT_TOLERANCE,
    ImportResult,
    example_cases,
    finish,
    first_line,
    graph_io,
    require,
)
from edgeward.errors import ConversionError, ModelFormatError


def from_sklearn(estimator: Any, example: Any, output: Path | str, *, tolerance: float = DEFAULT_TOLERANCE,
                 random_cases: int = 0, source: str | None = None) -> ImportResult:
    """Export a fitted estimator or pipeline to ONNX and verify it on ``example`` rows ([N, features])."""
    require("sklearn")
    skl2onnx = require("skl2onnx")
    started = time.perf_counter()
    output = Path(output)
    source = source or f"scikit-learn {type(estimator).__name__}"
    x = np.asarray(example, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ConversionError(f"{source}: the example must be rows of features [N, features], "
                              f"got shape {list(x.shape)}")
    classifier = hasattr(estimator, "predict_proba") and hasattr(estimator, "classes_")
    reference_fns = _reference_fns(estimator, classifier, source)
    _call(reference_fns, x, source)  # a wrong feature count fails here, with scikit-learn's own message
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            onx = skl2onnx.to_onnx(estimator, x[:1], options={"zipmap": False} if classifier else None)
    except Exception as e:
        raise ConversionError(_describe_error(e, source)) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(onx.SerializeToString())
    names, outs = graph_io(output)
    if len(outs) != len(reference_fns):
        raise ConversionError(f"{source}: the ONNX model has outputs {outs}; expected {len(reference_fns)}")
    string_labels = classifier and np.asarray(estimator.classes_).dtype.kind in "OUS"

    def reference(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        got = dict(zip(outs, _call(reference_fns, feeds[names[0]], source), strict=True))
        if string_labels:  # compared below: a numeric difference means nothing for strings
            got.pop(outs[0])
        return got

    cases = example_cases({names[0]: x}, random_cases)
    result = finish(output, "sklearn", source, cases, reference, tolerance, started)
    if string_labels:
        _check_string_labels(output, estimator, cases, names[0], outs[0], source)
    return result


def convert_sklearn_file(path: Path, output: Path, example: np.ndarray | None = None,
                         tolerance: float = DEFAULT_TOLERANCE) -> ImportResult:
    """A pickled estimator (``.pkl`` / ``.joblib``, your own file) → verified ONNX.

    Verified on ``example`` rows, else on 64 random normal rows of the estimator's feature count.
    """
    require("sklearn")
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"{path}: file not found")
    try:
        if path.suffix == ".joblib":
            estimator = require("joblib").load(path)  # runs pickled code: the user's own local file only
        else:
            with path.open("rb") as f:
                estimator = pickle.load(f)  # the user's own local file only (module docstring)
    except Exception as e:
        raise ModelFormatError(f"{path}: cannot unpickle a scikit-learn model: {first_line(e)}") from None
    if not hasattr(estimator, "predict") and not hasattr(estimator, "transform"):
        raise ConversionError(f"{path}: holds a {type(estimator).__name__}, not a scikit-learn estimator")
    if example is None:
        n = getattr(estimator, "n_features_in_", None)
        if n is None:
            raise ConversionError(f"{path}: the estimator does not say its feature count; pass an example "
                                  "(--example rows.npy)")
        example = np.random.default_rng(0).standard_normal((64, int(n))).astype(np.float32)
    return from_sklearn(estimator, example, output, tolerance=tolerance, source=str(path))


def _reference_fns(estimator: Any, classifier: bool, source: str) -> list[Any]:
    if classifier:
        return [estimator.predict, estimator.predict_proba]
    if hasattr(estimator, "predict"):
        return [estimator.predict]
    if hasattr(estimator, "transform"):
        return [estimator.transform]
    raise ConversionError(f"{source}: {type(estimator).__name__} has neither predict nor transform")


def _call(fns: list[Any], x: np.ndarray, source: str) -> list[np.ndarray]:
    try:
        return [np.asarray(fn(x)) for fn in fns]
    except Exception as e:
        raise ConversionError(f"{source}: the model rejects the example input of shape {list(x.shape)}: "
                              f"{first_line(e)}") from None


def _check_string_labels(output: Path, estimator: Any, cases: list[tuple[str, dict[str, np.ndarray]]],
                         input_name: str, label: str, source: str) -> None:
    from edgeward.convert.verify import run_onnx

    for case, feeds in cases:
        got = run_onnx(output, feeds)[label]
        want = estimator.predict(feeds[input_name])
        if not np.array_equal(got.astype(str), np.asarray(want).astype(str)):
            raise ConversionError(f"{source}: output '{label}' differs from predict() on {case}")


def _describe_error(e: BaseException, source: str) -> str:
    text = first_line(e)
    if "Unable to find a shape calculator" in text or "Unable to find converter" in text:
        kind = text.split("type '")[-1].split("'")[0].rsplit(".", 1)[-1].rstrip(">")
        return (f"{source}: unsupported estimator '{kind}': skl2onnx has no converter for it. "
                "Replace it with a supported one, or register a custom converter with skl2onnx")
    return f"{source}: skl2onnx could not convert the model: {text}"
