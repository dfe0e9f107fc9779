"""int8 (static QDQ, per-channel, calibrated on real photos) and fp16 variants of a package's model.

``quantize_package`` is what ``edgeward quantize`` runs: calibrate → quantize → measure the
accuracy gate (:mod:`.gate`) on held-out photos → if it fails, rank nodes by per-node error
(:func:`sensitivity`) and keep the most sensitive ones in fp32, more each round, until the gate
passes or the search gives up → write the variant and its measured figures into the manifest
(:mod:`.report`).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import onnx
import onnxruntime as ort

from edgeward.errors import EdgewardError
from edgeward.optimize.calibration import ArrayReader
from edgeward.optimize.gate import GateResult, GateSpec, measure

Variant = Literal["int8", "fp16"]
Progress = Callable[[str, float], None]
"""``progress(description, fraction_done)``."""

QUANTIZED_OPS = ["Conv", "MatMul", "Gemm", "Add", "Mul", "Clip", "Relu", "Transpose", "Reshape", "Concat",
                 "MaxPool", "AveragePool", "GlobalAveragePool", "Resize", "Sigmoid"]


class QuantizationError(EdgewardError):
    """The variant cannot be made, or cannot pass its accuracy gate."""


def session(path: Path | str, threads: int | None = None) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def runner(sess: ort.InferenceSession) -> Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]:
    names = [o.name for o in sess.get_outputs()]
    return lambda feeds: dict(zip(names, sess.run(names, feeds), strict=True))


def quantize_int8(fp32: Path, out: Path, input_name: str, inputs: Sequence[np.ndarray],
                  exclude: Sequence[str] = (), method: str = "MinMax") -> None:
    """Static QDQ int8: per-channel int8 weights, uint8 activations, ranges from ``inputs``."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    logging.getLogger().setLevel(logging.ERROR)  # onnxruntime.quantization logs every tensor at INFO
    quantize_static(str(fp32), str(out), ArrayReader(input_name, inputs), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=getattr(CalibrationMethod, method), nodes_to_exclude=list(exclude),
                    op_types_to_quantize=QUANTIZED_OPS)


def convert_fp16(fp32: Path, out: Path) -> None:
    """fp16 weights and arithmetic (for WebGPU); inputs and outputs stay float32 (same runtime contract)."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True)
    onnx.save(model, str(out))


def _with_outputs(path: Path, names: Sequence[str], out: Path) -> Path:
    model = onnx.load(str(path))
    have = {o.name for o in model.graph.output}
    model.graph.output.extend(onnx.ValueInfoProto(name=n) for n in names if n not in have)
    onnx.save(model, str(out))
    return out


def _sqnr(ref: np.ndarray, got: np.ndarray) -> float:
    noise = float(np.sum((ref.astype(np.float64) - got) ** 2))
    return 10 * np.log10(float(np.sum(ref.astype(np.float64) ** 2)) / noise) if noise > 0 else 120.0


def sensitivity(fp32: Path, int8: Path, input_name: str, inputs: Sequence[np.ndarray]) -> list[tuple[str, float]]:
    """Per-node error analysis: how many dB of signal-to-quantization-noise each node loses.

    Every quantizable node's output is read from the fp32 model and from the int8 model on the
    same inputs; a node's loss is the SQNR of its input minus the SQNR of its output (the error it
    adds itself, not what it inherits). Most sensitive first.
    """
    graph = onnx.load(str(fp32)).graph
    kept = {o for n in onnx.load(str(int8)).graph.node for o in n.output} | {input_name}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def visible(t: str) -> str | None:  # a fused Conv's output is gone in int8: read its activation's
        while t not in kept:
            after = consumers.get(t, [])
            if len(after) != 1 or after[0].op_type not in ("Clip", "Relu"):
                return None
            t = after[0].output[0]
        return t

    nodes = []
    for n in graph.node:
        if n.op_type in ("Conv", "MatMul", "Gemm"):
            src, dst = visible(n.input[0]), visible(n.output[0])
            if src and dst:
                nodes.append((n.name, src, dst))
    tensors = sorted({t for _, a, b in nodes for t in (a, b)})
    with tempfile.TemporaryDirectory(prefix="edgeward-sens-") as tmp:
        ref_sess = session(_with_outputs(fp32, tensors, Path(tmp) / "f.onnx"))
        q_sess = session(_with_outputs(int8, tensors, Path(tmp) / "q.onnx"))
        sq: dict[str, list[float]] = {t: [] for t in tensors}
        for x in inputs:
            ref = runner(ref_sess)({input_name: x})
            got = runner(q_sess)({input_name: x})
            for t in tensors:
                sq[t].append(120.0 if t == input_name else _sqnr(ref[t], got[t]))
    mean = {t: float(np.mean(v)) for t, v in sq.items()}
    loss = [(name, mean[src] - mean[dst]) for name, src, dst in nodes]
    return sorted(loss, key=lambda kv: -kv[1])


def _followers(fp32: Path, names: Sequence[str]) -> list[str]:
    """The activation (Clip, Relu) and layout nodes (Transpose, Reshape) right after excluded nodes
    stay fp32 too: quantizing an excluded Conv's un-clipped output would cost more than it saves."""
    graph = onnx.load(str(fp32)).graph
    outs = {o for n in graph.node if n.name in names for o in n.output}
    found: list[str] = []
    for n in graph.node:  # topological order: a chain Conv → Clip → Transpose is followed in one pass
        if n.op_type in ("Clip", "Relu", "Transpose", "Reshape") and n.input and n.input[0] in outs:
            found.append(n.name)
            outs.update(n.output)
    return found


@dataclass
class SearchResult:
    gate: GateResult
    excluded: list[str]
    rounds: list[tuple[int, GateResult]] = field(default_factory=list)
    ranking: list[tuple[str, float]] = field(default_factory=list)


def search_int8(fp32: Path, out: Path, input_name: str, calibration: Sequence[np.ndarray],
                measure_variant: Callable[[Path], GateResult], steps: Sequence[int] = (1, 2, 4, 6, 8, 12, 16),
                method: str = "MinMax", progress: Progress | None = None) -> SearchResult:
    """Quantize; while the gate fails, keep the top-k most sensitive nodes in fp32 for k in ``steps``."""
    step = progress or (lambda _d, _f: None)
    total = len(steps) + 2
    step("calibrating and quantizing (all nodes int8)", 0.0)
    quantize_int8(fp32, out, input_name, calibration, method=method)
    step("measuring the accuracy gate on held-out photos", 1 / total)
    gate = measure_variant(out)
    result = SearchResult(gate, [], [(0, gate)])
    if gate.passed:
        return result
    step("per-node error analysis", 1.5 / total)
    result.ranking = sensitivity(fp32, out, input_name, calibration[: max(4, len(calibration) // 8)])
    for i, k in enumerate(steps):
        if k > len(result.ranking):
            break
        top = [name for name, _ in result.ranking[:k]]
        excluded = top + _followers(fp32, top)
        step(f"gate failed ({gate.message}); keeping {k} most sensitive node(s) fp32", (2 + i) / total)
        quantize_int8(fp32, out, input_name, calibration, exclude=excluded, method=method)
        gate = measure_variant(out)
        result.rounds.append((k, gate))
        result.gate, result.excluded = gate, excluded
        if gate.passed:
            break
    return result


def gate_measurer(manifest: object, feeds: Sequence[dict[str, np.ndarray]], reference: Sequence[dict[str, np.ndarray]],
                  spec: GateSpec) -> Callable[[Path], GateResult]:
    return lambda path: measure(manifest, feeds, reference, runner(session(path)), spec)  # type: ignore[arg-type]


def _verdict(metrics: dict[str, float], result: QuantizeResult) -> str:
    gate = result.search.gate if result.search else None
    return gate.message if gate else "failed: " + ", ".join(f"{k}={v:g}" for k, v in metrics.items())


@dataclass
class QuantizeResult:
    directory: Path
    variant: Variant
    entry: object  # FileEntry, with its VariantReport
    fp32_bytes: int
    installed: bool
    search: SearchResult | None = None
    name: str = ""
    """NAME@VERSION of the package."""

    @property
    def passed(self) -> bool:
        return bool(self.entry.report.gate_passed)  # type: ignore[attr-defined]

    def explain(self) -> str:
        """Why the variant was not written: the gate's verdict and what the mixed-precision search tried."""
        report = self.entry.report  # type: ignore[attr-defined]
        text = f"{self.variant} variant not written: accuracy gate {_verdict(report.metrics, self)}"
        if self.search and len(self.search.rounds) > 1:
            tried = ", ".join(f"{k} node(s) fp32 → {g.message}" for k, g in self.search.rounds)
            text += f"; mixed precision tried: {tried}; no setting passed"
        elif self.search:
            text += "; no node ranked sensitive enough to keep in fp32"
        return text


def quantize_package(spec: str | Path, to: Variant, calibration_dir: Path | None = None,
                     gate: GateSpec | None = None, progress: Progress | None = None,
                     method: str = "MinMax", steps: Sequence[int] = (1, 2, 4, 6, 8, 12, 16),
                     install: bool = True) -> QuantizeResult:
    """Make the ``to`` variant of a package, measure it, and (if the gate passes) add it to the package."""
    from edgeward import __version__
    from edgeward.optimize.calibration import calibration_inputs, photos_from_dir
    from edgeward.optimize.gate import reference_inputs
    from edgeward.optimize.report import compare_ms, install_variant
    from edgeward.package.manifest import MANIFEST_FILE, FileEntry, VariantReport, read_manifest
    from edgeward.package.store import file_entry, package_dir, verify_file
    from edgeward.zoo.photos import calibration_photos, heldout_photos

    step = progress or (lambda _d, _f: None)
    spec_path = Path(spec)
    directory = spec_path if (spec_path / MANIFEST_FILE).is_file() else package_dir(str(spec))
    manifest = read_manifest(directory / MANIFEST_FILE)
    if manifest.preprocess is None:
        raise QuantizationError(f"{manifest.name}: task '{manifest.task}' has no image pre-processing; "
                                "quantize needs it to calibrate on photos")
    if to not in ("int8", "fp16"):
        raise QuantizationError(f"--to must be int8 or fp16, not '{to}'")
    fp32 = verify_file(directory, manifest.files["fp32"])
    spec_ = gate or GateSpec()
    step("reading held-out photos", 0.0)
    held = heldout_photos()
    feeds = reference_inputs(held, manifest)
    ref_run = runner(session(fp32))
    reference = [ref_run(f) for f in feeds]
    check = gate_measurer(manifest, feeds, reference, spec_)
    input_name = manifest.inputs[0].name
    calib = list(photos_from_dir(calibration_dir) if calibration_dir else calibration_photos())
    with tempfile.TemporaryDirectory(prefix="edgeward-quantize-") as tmp:
        out = Path(tmp) / f"model.{to}.onnx"
        search = None
        if to == "int8":
            inputs = calibration_inputs(calib, manifest)
            search = search_int8(fp32, out, input_name, inputs, check, steps=steps, method=method,
                                 progress=lambda d, f: step(d, 0.05 + 0.8 * f))
            result, excluded = search.gate, search.excluded
            how = f"static QDQ int8, per-channel weights, uint8 activations, {method} calibration"
        else:
            step("converting to fp16", 0.1)
            convert_fp16(fp32, out)
            step("measuring the accuracy gate on held-out photos", 0.5)
            result, excluded = check(out), []
            how = "fp16 weights and arithmetic; inputs and outputs float32"
        step("timing fp32 and the variant in native onnxruntime", 0.9)
        ms = compare_ms(fp32, out, feeds[0], to)
        size = out.stat().st_size
        report = VariantReport(
            method=how, bytes_ratio=round(size / fp32.stat().st_size, 4),
            metrics={k: round(v, 4) for k, v in result.metrics.items()},
            gate=spec_.describe(), gate_passed=result.passed,
            native_ms=ms, excluded_nodes=excluded,
            calibration=[p.source for p in calib] if to == "int8" else [],
            heldout=[p.source for p in held], tool=f"edgeward {__version__}, onnxruntime {ort.__version__}")
        fe = file_entry(out)
        entry = FileEntry(path=out.name, sha256=fe.sha256, bytes=fe.bytes, report=report)
        installed = False
        if install and result.passed:
            step("writing the variant into the package", 0.97)
            entry = install_variant(directory, to, out, report).files[to]
            installed = True
    step("done", 1.0)
    return QuantizeResult(directory, to, entry, fp32.stat().st_size, installed, search,
                          f"{manifest.name}@{manifest.version}")
