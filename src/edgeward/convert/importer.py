"""What every importer shares: optional-framework imports, example inputs, verification, the result.

An importer turns a model of a Python framework into an ONNX file, then runs the *source* model and
the ONNX model (onnxruntime) on the same inputs and compares every output. Parity is relative:
``max|onnx - source| / max(max|source|, 1)`` per output, so a logit of 40 and a probability of
0.4 are held to the same number of significant digits.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import onnx

from edgeward.convert.verify import ParityReport, compare, run_onnx
from edgeward.errors import ConversionError, MissingExtraError, VerificationError

DEFAULT_TOLERANCE = 1e-5
"""Relative: max abs difference divided by max(max abs source value, 1)."""

RANDOM_CASES = 2
"""Random inputs verified besides the user's example (same shape and dtype, seeded)."""

_EXTRA_FOR = {"torch": "torch", "onnxscript": "torch", "keras": "keras", "sklearn": "sklearn",
              "skl2onnx": "sklearn", "joblib": "sklearn"}
_WHAT = {"torch": "PyTorch", "keras": "Keras", "sklearn": "scikit-learn"}


def require(module: str) -> ModuleType:
    """Import an optional framework, or raise an error that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        extra = _EXTRA_FOR.get(module.split(".")[0], module)
        raise MissingExtraError(
            f"importing {_WHAT.get(extra, extra)} models needs the '{extra}' extra: "
            f"pip install 'edgeward[{extra}]' ({e})"
        ) from None


@dataclass
class ImportResult:
    """An imported model: where the ONNX is, and how closely it matches its source."""

    path: Path
    source: str
    framework: str
    report: ParityReport
    max_rel_diff: dict[str, float] = field(default_factory=dict)
    input_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def worst_rel(self) -> float:
        return max(self.max_rel_diff.values(), default=0.0)


def random_like(example: np.ndarray, seed: int) -> np.ndarray:
    """A random input of the example's shape and dtype (normal for floats, the example's range for ints)."""
    rng = np.random.default_rng(seed)
    if example.dtype.kind == "f":
        return rng.standard_normal(example.shape).astype(example.dtype)
    if example.dtype.kind == "b":
        return rng.integers(0, 2, example.shape).astype(bool)
    lo, hi = (int(example.min()), int(example.max()) + 1) if example.size else (0, 2)
    return rng.integers(lo, max(hi, lo + 1), example.shape).astype(example.dtype)


def example_cases(example: Mapping[str, np.ndarray], random_cases: int = RANDOM_CASES
                  ) -> list[tuple[str, dict[str, np.ndarray]]]:
    cases = [("example", dict(example))]
    for i in range(1, random_cases + 1):
        cases.append((f"random-normal-{i}", {k: random_like(v, seed=i * 7919 + j)
                                              for j, (k, v) in enumerate(example.items())}))
    return cases


def verify_import(onnx_path: Path, cases: list[tuple[str, dict[str, np.ndarray]]],
                  reference: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]],
                  source: str, tolerance: float = DEFAULT_TOLERANCE) -> tuple[ParityReport, dict[str, float]]:
    """Run ``reference`` (the source framework) and onnxruntime on every case; raise past ``tolerance``."""
    report = ParityReport(tolerance=tolerance)
    rel: dict[str, float] = {}
    for case, feeds in cases:
        expected = reference(feeds)
        try:
            actual = run_onnx(onnx_path, feeds)
        except Exception as e:  # onnxruntime raises its own exception types
            raise ConversionError(f"{source}: onnxruntime cannot run the exported model: {first_line(e)}") from None
        diffs = compare(expected, actual, source)
        report.update(case, diffs)
        for name, diff in diffs.items():
            scale = max(float(np.max(np.abs(expected[name].astype(np.float64)), initial=0.0)), 1.0)
            rel[name] = max(rel.get(name, 0.0), diff / scale)
    bad = {k: v for k, v in rel.items() if not v <= tolerance}
    if bad:
        listed = ", ".join(f"'{k}' {v:.3g} (abs {report.max_abs_diff[k]:.3g})" for k, v in bad.items())
        raise VerificationError(f"{source}: the ONNX model disagrees with the original beyond relative tolerance "
                                f"{tolerance:g} on {', '.join(report.cases)}: {listed}")
    return report, rel


def graph_io(onnx_path: Path) -> tuple[list[str], list[str]]:
    model = onnx.load(str(onnx_path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits], [o.name for o in model.graph.output]


def rename_outputs(onnx_path: Path, names: list[str]) -> None:
    """Give the graph outputs readable names (exporters often leave numbers such as '105')."""
    model = onnx.load(str(onnx_path))
    outputs = list(model.graph.output)
    if len(outputs) != len(names) or len(set(names)) != len(names):
        return
    taken = {n for node in model.graph.node for n in (*node.input, *node.output)} | {
        i.name for i in model.graph.input} | {i.name for i in model.graph.initializer}
    mapping = {o.name: new for o, new in zip(outputs, names, strict=True) if o.name != new and new not in taken}
    if not mapping:
        return
    for node in model.graph.node:
        for i, n in enumerate(node.output):
            node.output[i] = mapping.get(n, n)
        for i, n in enumerate(node.input):
            node.input[i] = mapping.get(n, n)
    for o in model.graph.output:
        o.name = mapping.get(o.name, o.name)
    onnx.save(model, str(onnx_path))


def finish(onnx_path: Path, framework: str, source: str, cases: list[tuple[str, dict[str, np.ndarray]]],
           reference: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]], tolerance: float,
           started: float) -> ImportResult:
    try:
        onnx.checker.check_model(str(onnx_path), full_check=True)
    except Exception as e:
        raise ConversionError(f"{source}: the exported ONNX model is invalid: {first_line(e)}") from None
    report, rel = verify_import(onnx_path, cases, reference, source, tolerance)
    ins, outs = graph_io(onnx_path)
    return ImportResult(path=onnx_path, source=source, framework=framework, report=report, max_rel_diff=rel,
                        input_names=ins, output_names=outs, seconds=time.perf_counter() - started)


def as_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
