"""int8 (static QDQ, per-channel, calibrated on real photos) and fp16 variants of a package's model.

``quantize_package`` is what ``edgeward quantize`` runs: time each convolution in fp32 and int8
and keep the leading ones that are no faster in int8 in fp32 (``--target wasm``: every one that
onnxruntime-web's WASM kernels run no faster in int8, if that wins end to end; :mod:`.wasm_plan`)
→ calibrate → quantize → guard the u8s8 kernels against pair saturation and correct the biases
(:mod:`.refine`) → measure the accuracy gate (:mod:`.gate`) on held-out photos → if it fails,
rank nodes by per-node error (:func:`sensitivity`) and keep the most sensitive ones in fp32, more
each round, within the size budget, until the gate passes or the search gives up → time fp32 and
the variant interleaved → write the variant and its measured figures into the manifest
(:mod:`edgeward.package.store`; timing in :mod:`.timing`).
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import onnx
import onnxruntime as ort

from edgeward.errors import EdgewardError
from edgeward.optimize.calibration import ArrayReader
from edgeward.optimize.gate import GateResult, GateSpec, measure
from edgeward.optimize.wasm_plan import WasmPlan, plan_wasm, wasm_ms
from edgeward.runtime.session import build_session, runner

if TYPE_CHECKING:
    from edgeward.package.manifest import Manifest

Variant = Literal["int8", "fp16"]
Target = Literal["cpu", "wasm"]
"""The backend a variant is tuned for: native onnxruntime, or onnxruntime-web's WASM kernels."""
BYTES_BUDGET: dict[Target, float] = {"cpu": 0.3, "wasm": 0.35}
"""Largest int8 file, as a fraction of fp32's, by target. WASM keeps the depthwise convolutions fp32
(onnxruntime-web's int8 ones have no SIMD path), which alone takes PoseNet from 0.29 to 0.30."""
Progress = Callable[[str, float], None]
"""``progress(description, fraction_done)``."""

QUANTIZED_OPS = ["Conv", "MatMul", "Gemm", "Add", "Mul", "Clip", "Relu", "Transpose", "Reshape", "Concat",
                 "MaxPool", "AveragePool", "GlobalAveragePool", "Resize", "Sigmoid"]


class QuantizationError(EdgewardError):
    """The variant cannot be made, or cannot pass its accuracy gate."""


@dataclass(frozen=True)
class Recipe:
    """How the int8 model is made (each step is described in :mod:`.refine` and the README)."""

    method: str = "MinMax"
    """onnxruntime calibration: MinMax, Percentile, Entropy or Distribution."""
    views_per_photo: int = 4
    """Calibration views of each photo (:func:`.calibration.augmented_views`)."""
    symmetric_activations: bool = False
    reduce_range: bool = False
    """7-bit weights everywhere (onnxruntime's own remedy for u8s8 saturation)."""
    pair_guard: bool = True
    """Widen only the channel scales whose weight pairs could saturate (:func:`.refine.guard_pair_saturation`)."""
    bias_correction: bool = True
    bias_inputs: int = 32
    """Calibration inputs the empirical bias correction averages over."""
    speed_aware: bool = True
    """Keep the leading convolutions that onnxruntime runs no faster in int8 than in fp32 in fp32."""

    def describe(self) -> str:
        parts = [f"static QDQ int8, per-channel weights{' (7-bit)' if self.reduce_range else ''}, "
                 f"uint8 {'symmetric' if self.symmetric_activations else 'asymmetric'} activations, "
                 f"{self.method} calibration on {self.views_per_photo} views per photo"]
        if self.pair_guard:
            parts.append("u8s8 pair-saturation guard")
        if self.bias_correction:
            parts.append(f"empirical bias correction ({self.bias_inputs} calibration inputs)")
        return "; ".join(parts)


def _static_qdq(fp32: Path, out: Path, input_name: str, inputs: Sequence[np.ndarray], exclude: Sequence[str],
                recipe: Recipe) -> None:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    logging.getLogger().setLevel(logging.ERROR)  # onnxruntime.quantization logs every tensor at INFO
    quantize_static(str(fp32), str(out), ArrayReader(input_name, inputs), quant_format=QuantFormat.QDQ,
                    per_channel=True, reduce_range=recipe.reduce_range,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, calibrate_method=getattr(CalibrationMethod, recipe.method),
                    nodes_to_exclude=list(exclude), op_types_to_quantize=QUANTIZED_OPS,
                    extra_options={"ActivationSymmetric": recipe.symmetric_activations})


def quantize_int8(fp32: Path, out: Path, input_name: str, inputs: Sequence[np.ndarray],
                  exclude: Sequence[str] = (), recipe: Recipe | None = None, bias_correction: bool | None = None,
                  progress: Callable[[float], None] | None = None) -> dict[str, float]:
    """Static QDQ int8 from ``inputs``, then the :mod:`.refine` fixes the recipe asks for.

    Returns the pair guard's changes (convolution → mean growth of its channel scales).
    """
    from edgeward.optimize.refine import correct_bias, drop_dead_nodes, guard_pair_saturation, keep_float_inputs

    recipe = recipe or Recipe()
    _static_qdq(fp32, out, input_name, inputs, exclude, recipe)
    original, model = onnx.load(str(fp32)), onnx.load(str(out))
    drop_dead_nodes(model)
    keep_float_inputs(model, exclude)  # or onnxruntime would run them in int8 after all
    guarded = guard_pair_saturation(original, model) if recipe.pair_guard else {}
    if recipe.bias_correction if bias_correction is None else bias_correction:
        pick = np.random.default_rng(0).permutation(len(inputs))[: recipe.bias_inputs]  # photos and views alike
        correct_bias(original, model, input_name, [inputs[i] for i in sorted(pick)], progress)
    onnx.save(model, str(out))
    return guarded


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
    """Per-node error analysis: how many dB of signal-to-quantization-noise each convolution loses.

    The int8 model's quantized tensors (the uint8 outputs of its QuantizeLinear nodes, which the
    fused kernels produce themselves, so the real kernels are measured) are read on the same
    inputs as fp32's tensors; a convolution's loss is the SQNR of its quantized input minus the
    SQNR of its quantized output (the error it adds itself, not what it inherits). Convolutions
    already in fp32 are not ranked. Most sensitive first.
    """
    from onnx import numpy_helper

    model = onnx.load(str(int8))
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    producer = {o: n for n in model.graph.node for o in n.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in model.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    float_tensors = {o for n in onnx.load(str(fp32)).graph.node for o in n.output} | {input_name}

    def quantized(q: onnx.NodeProto | None) -> tuple[str, str, float, float] | None:
        """(uint8 tensor, fp32 tensor, scale, zero point) of a QuantizeLinear node."""
        if q is None or q.op_type != "QuantizeLinear" or q.input[0] not in float_tensors:
            return None
        zero = float(init[q.input[2]]) if len(q.input) > 2 and q.input[2] in init else 0.0
        return q.output[0], q.input[0], float(init[q.input[1]]), zero

    nodes = []
    for n in model.graph.node:
        if n.op_type not in ("Conv", "MatMul", "Gemm"):
            continue
        dq = producer.get(n.input[0])
        src = quantized(producer.get(dq.input[0])) if dq is not None and dq.op_type == "DequantizeLinear" else None
        after = consumers.get(n.output[0], [])
        dst = quantized(after[0]) if len(after) == 1 else None
        if src and dst:
            nodes.append((n.name, src, dst))
    tensors = {t[0]: t for _, a, b in nodes for t in (a, b)}
    with tempfile.TemporaryDirectory(prefix="edgeward-sens-") as tmp:
        ref_sess = build_session(_with_outputs(fp32, sorted({t[1] for t in tensors.values()}), Path(tmp) / "f.onnx"))
        q_sess = build_session(_with_outputs(int8, sorted(tensors), Path(tmp) / "q.onnx"))
        sq: dict[str, list[float]] = {t: [] for t in tensors}
        for x in inputs:
            ref = runner(ref_sess)({input_name: x})
            got = runner(q_sess)({input_name: x})
            for t, (_, name, scale, zero) in tensors.items():
                sq[t].append(_sqnr(ref[name], (got[t].astype(np.float32) - zero) * scale))
    mean = {t: float(np.mean(v)) for t, v in sq.items()}
    loss = [(name, mean[src[0]] - mean[dst[0]]) for name, src, dst in nodes]
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


def _weight_bytes(fp32: Path) -> dict[str, int]:
    """Per node, the bytes its weights gain when it stays fp32 (int8 → float32: 3 bytes each)."""
    from onnx import numpy_helper

    graph = onnx.load(str(fp32)).graph
    sizes = {i.name: int(numpy_helper.to_array(i).size) for i in graph.initializer}
    return {n.name: 3 * sizes.get(n.input[1], 0) for n in graph.node if len(n.input) > 1}


@dataclass
class SearchResult:
    gate: GateResult
    excluded: list[str]
    rounds: list[tuple[int, GateResult]] = field(default_factory=list)
    ranking: list[tuple[str, float]] = field(default_factory=list)
    slow_in_int8: list[str] = field(default_factory=list)
    """Leading convolutions kept fp32 because onnxruntime runs them no faster in int8."""
    node_ms: dict[str, tuple[float, float]] = field(default_factory=dict)
    guarded: dict[str, float] = field(default_factory=dict)
    wasm_plan: WasmPlan | None = None
    """``target='wasm'``: the per-node WASM timings and the end-to-end choice behind ``slow_in_int8``."""


def search_int8(fp32: Path, out: Path, input_name: str, calibration: Sequence[np.ndarray],
                measure_variant: Callable[[Path], GateResult], steps: Sequence[int] = (1, 2, 4, 6, 8, 12, 16),
                recipe: Recipe | None = None, progress: Progress | None = None,
                speed_feed: dict[str, np.ndarray] | None = None, max_bytes: int | None = None,
                target: Target = "cpu") -> SearchResult:
    """Quantize; while the gate fails, keep the top-k most sensitive nodes in fp32 for k in ``steps``.

    With ``recipe.speed_aware`` and a ``speed_feed``, a first quick int8 model (no bias correction)
    is timed node by node against fp32, and the convolutions that are no faster in int8 start out in
    fp32: the leading ones in native onnxruntime (:func:`.timing.conv_ms`, ``target='cpu'``), any
    of them in onnxruntime-web WASM if that wins end to end (:func:`.wasm_plan.plan_wasm`,
    ``target='wasm'``). ``max_bytes`` bounds the file: nodes whose fp32 weights would not fit are passed over.
    """
    from edgeward.optimize.timing import conv_ms, slow_prefix

    recipe = recipe or Recipe()
    step = progress or (lambda _d, _f: None)
    total = len(steps) + 3
    base: list[str] = []
    node_ms: dict[str, tuple[float, float]] = {}
    plan = None
    if recipe.speed_aware and speed_feed is not None:
        where = "onnxruntime-web WASM" if target == "wasm" else "native onnxruntime"
        step(f"timing each convolution in fp32 and int8 ({where})", 0.0)
        quantize_int8(fp32, out, input_name, calibration, recipe=recipe, bias_correction=False)
        if target == "wasm":
            def mixed(names: list[str]) -> Path:
                step(f"int8 with {len(names)} convolution(s) fp32, to time end to end (WASM)", 0.5 / total)
                path = out.with_name(f"mixed{len(list(out.parent.glob('mixed*')))}-{out.name}")
                quantize_int8(fp32, path, input_name, calibration, exclude=names + _followers(fp32, names),
                              recipe=recipe, bias_correction=False)
                return path

            plan = plan_wasm(fp32, out, mixed, speed_feed, max_bytes=max_bytes)
            node_ms, slow = plan.node_ms, plan.keep_fp32
        else:
            node_ms = conv_ms(fp32, out, speed_feed)
            slow = slow_prefix(fp32, node_ms)
        base = slow + _followers(fp32, slow)

    def make(exclude: list[str], what: str, at: float) -> dict[str, float]:
        step(what, at)
        return quantize_int8(fp32, out, input_name, calibration, exclude=exclude, recipe=recipe,
                             progress=lambda f: step(f"{what}: bias correction", at + f / total))

    kept = [n for n in base if n in node_ms]
    guarded = make(base, "calibrating and quantizing" + (f" ({len(kept)} slow node(s) fp32)" if kept else ""),
                   1 / total)
    step("measuring the accuracy gate on held-out photos", 2 / total)
    gate = measure_variant(out)
    result = SearchResult(gate, list(base), [(0, gate)], slow_in_int8=kept, node_ms=node_ms, guarded=guarded,
                          wasm_plan=plan)
    if gate.passed or not steps:
        return result
    step("per-node error analysis", 2.5 / total)
    result.ranking = sensitivity(fp32, out, input_name, calibration[: max(4, len(calibration) // 8)])
    extra = _weight_bytes(fp32)
    room = (max_bytes - out.stat().st_size) if max_bytes else None
    candidates = []
    for name, _ in result.ranking:
        if room is not None and extra.get(name, 0) > room:
            continue  # would not fit the size budget
        if room is not None:
            room -= extra.get(name, 0)
        candidates.append(name)
    for i, k in enumerate(steps):
        if k > len(candidates):
            break
        top = candidates[:k]
        excluded = base + top + _followers(fp32, top)
        result.guarded = make(excluded, f"gate failed ({gate.brief}); keeping {k} most sensitive node(s) fp32",
                              (3 + i) / total)
        gate = measure_variant(out)
        result.rounds.append((k, gate))
        result.gate, result.excluded = gate, excluded
        if gate.passed:
            break
    return result


def gate_measurer(manifest: object, feeds: Sequence[dict[str, np.ndarray]], reference: Sequence[dict[str, np.ndarray]],
                  spec: GateSpec) -> Callable[[Path], GateResult]:
    return lambda path: measure(manifest, feeds, reference, runner(build_session(path)), spec)  # type: ignore[arg-type]


def _verdict(metrics: dict[str, float], result: QuantizeResult) -> str:
    if result.gate_failures:
        return "; ".join(result.gate_failures)
    gate = result.search.gate if result.search else None
    return gate.message if gate else "failed: " + ", ".join(f"{k}={v:g}" for k, v in metrics.items())


def variant_name(to: Variant, target: str = "cpu") -> str:
    """The package ``files`` key a variant is written under: 'int8-wasm' for the WASM-tuned int8,
    'int8-kernels' for Edgeward's own WASM kernels."""
    if target in ("wasm", "kernels") and to != "int8":
        raise QuantizationError(f"--target {target} makes an int8 variant; --to {to} has no "
                                + ("WASM tuning" if target == "wasm" else "lowering for Edgeward's kernels"))
    return {"wasm": "int8-wasm", "kernels": "int8-kernels"}.get(target, to)


@dataclass
class QuantizeResult:
    directory: Path
    variant: str
    """Its ``files`` key (:func:`variant_name`)."""
    entry: object  # FileEntry, with its VariantReport
    fp32_bytes: int
    installed: bool
    search: SearchResult | None = None
    name: str = ""
    """NAME@VERSION of the package."""
    not_faster: str | None = None
    """Why a variant tuned for a backend was not written though its gate passed: no faster there than fp32."""
    gate_failures: list[str] = field(default_factory=list)
    """The gate's verdicts where it failed, each naming the input size (a variant judged at several sizes)."""

    @property
    def passed(self) -> bool:
        return bool(self.entry.report.gate_passed) and self.not_faster is None  # type: ignore[attr-defined]

    def explain(self) -> str:
        """Why the variant was not written: the gate's verdict and what the mixed-precision search tried."""
        report = self.entry.report  # type: ignore[attr-defined]
        if report.gate_passed and self.not_faster:
            return f"{self.variant} variant not written: {self.not_faster}"
        text = f"{self.variant} variant not written: accuracy gate {_verdict(report.metrics, self)}"
        if self.search and len(self.search.rounds) > 1:
            tried = ", ".join(f"{k} node(s) fp32 → {g.message}" for k, g in self.search.rounds)
            text += f"; mixed precision tried: {tried}; no setting passed"
        elif self.search:
            text += "; no node ranked sensitive enough to keep in fp32"
        return text


def image_package(spec: str | Path) -> tuple[Path, Manifest]:
    """The folder and manifest of a package (a folder, or a spec in the local store) whose model takes images:
    quantizing calibrates on photos."""
    from edgeward.package.manifest import MANIFEST_FILE, read_manifest
    from edgeward.package.store import package_dir

    spec_path = Path(spec)
    directory = spec_path if (spec_path / MANIFEST_FILE).is_file() else package_dir(str(spec))
    manifest = read_manifest(directory / MANIFEST_FILE)
    if manifest.preprocess is None:
        raise QuantizationError(f"{manifest.name}: task '{manifest.task}' has no image pre-processing; "
                                "quantize needs it to calibrate on photos")
    return directory, manifest


def quantize_package(spec: str | Path, to: Variant, calibration_dir: Path | None = None,
                     gate: GateSpec | None = None, progress: Progress | None = None,
                     method: str = "MinMax", steps: Sequence[int] = (1, 2, 4, 6, 8, 12, 16),
                     install: bool = True, recipe: Recipe | None = None, max_bytes_ratio: float | None = None,
                     timing_runs: int = 100, target: Target = "cpu", wasm_runs: int = 30) -> QuantizeResult:
    """Make the ``to`` variant of a package, measure it, and (if the gate passes) add it to the package.

    int8: ``recipe`` (default: ``Recipe(method=method)``) says how; the mixed-precision search
    keeps the file within ``max_bytes_ratio`` of fp32's bytes (default: the target's :data:`BYTES_BUDGET`;
    ``math.inf``: no budget). ``target='wasm'``: tuned for and timed
    in onnxruntime-web's WASM kernels (``wasm_runs`` interleaved runs at 1 and 2 threads), written as
    'int8-wasm' only if it is faster there than fp32 at one thread.
    """
    from edgeward import __version__
    from edgeward.optimize.calibration import calibration_inputs, photos_from_dir
    from edgeward.optimize.gate import noise_floor, reference_inputs
    from edgeward.optimize.timing import compare_ms
    from edgeward.package.manifest import FileEntry, VariantReport
    from edgeward.package.store import file_entry, install_variant, verify_file
    from edgeward.zoo.photos import calibration_photos, heldout_photos

    step = progress or (lambda _d, _f: None)
    directory, manifest = image_package(spec)
    if to not in ("int8", "fp16"):
        raise QuantizationError(f"--to must be int8 or fp16, not '{to}'")
    name = variant_name(to, target)
    recipe = recipe or Recipe(method=method)
    fp32 = verify_file(directory, manifest.files["fp32"])
    spec_ = gate or GateSpec()
    step("reading held-out photos", 0.0)
    held = heldout_photos()
    feeds = reference_inputs(held, manifest)
    ref_run = runner(build_session(fp32))
    reference = [ref_run(f) for f in feeds]
    check = gate_measurer(manifest, feeds, reference, spec_)
    input_name = manifest.inputs[0].name
    calib = list(photos_from_dir(calibration_dir) if calibration_dir else calibration_photos())
    with tempfile.TemporaryDirectory(prefix="edgeward-quantize-") as tmp:
        out = Path(tmp) / f"model.{name}.onnx"
        search = None
        if to == "int8":
            inputs = calibration_inputs(calib, manifest, views_per_photo=recipe.views_per_photo)
            ratio = BYTES_BUDGET[target] if max_bytes_ratio is None else max_bytes_ratio
            max_bytes = int(ratio * fp32.stat().st_size) if math.isfinite(ratio) else None
            search = search_int8(fp32, out, input_name, inputs, check, steps=steps, recipe=recipe,
                                 progress=lambda d, f: step(d, 0.05 + 0.8 * f), speed_feed=feeds[0],
                                 max_bytes=max_bytes, target=target)
            result, excluded = search.gate, search.excluded
            how = recipe.describe()
            if search.wasm_plan is not None:
                how += f"; tuned for onnxruntime-web WASM: {search.wasm_plan.describe()}"
            elif search.slow_in_int8:
                how += f"; {len(search.slow_in_int8)} leading convolution(s) fp32 (no faster in int8 here)"
        else:
            step("converting to fp16", 0.1)
            convert_fp16(fp32, out)
            step("measuring the accuracy gate on held-out photos", 0.5)
            result, excluded = check(out), []
            how = "fp16 weights and arithmetic; inputs and outputs float32"
        step("fp32 against itself with ±1 grey level of noise (for scale)", 0.86)
        floor = noise_floor(manifest, feeds, reference, ref_run, spec_)
        step(f"timing fp32 and the variant in native onnxruntime ({timing_runs} interleaved runs)", 0.88)
        ms = compare_ms(fp32, out, feeds[0], name, runs=timing_runs)
        web_ms: dict[str, float] = {}
        if target == "wasm":
            step(f"timing fp32 and the variant in onnxruntime-web WASM ({wasm_runs} interleaved runs)", 0.93)
            web_ms = wasm_ms(fp32, out, feeds[0], name, runs=wasm_runs)
        metrics = dict(result.metrics)
        for key in ("keypoint_agreement", "mean_px_error", "top1_agreement"):
            if key in floor:
                metrics[f"fp32_noise_{key}"] = floor[key]
        for suffix in ("", "_1thread"):
            if ms.get(f"{name}{suffix}"):
                metrics[f"native_speedup{suffix}"] = ms[f"fp32{suffix}"] / ms[f"{name}{suffix}"]
        for suffix in ("_1thread", "_2threads"):
            if web_ms.get(f"{name}{suffix}"):
                metrics[f"wasm_speedup{suffix}"] = web_ms[f"fp32{suffix}"] / web_ms[f"{name}{suffix}"]
        not_faster = None
        if target == "wasm" and metrics.get("wasm_speedup_1thread", 0.0) <= 1.0:
            not_faster = (f"no faster than fp32 in onnxruntime-web WASM on this CPU (1 thread: fp32 "
                          f"{web_ms.get('fp32_1thread')} ms, {name} {web_ms.get(name + '_1thread')} ms)")
        size = out.stat().st_size
        report = VariantReport(
            method=how, bytes_ratio=round(size / fp32.stat().st_size, 4),
            metrics={k: round(v, 4) for k, v in metrics.items()},
            gate=spec_.describe(), gate_passed=result.passed,
            native_ms=ms, target=target if to == "int8" else None, wasm_ms=web_ms, excluded_nodes=excluded,
            calibration=[p.source for p in calib] if to == "int8" else [],
            heldout=[p.source for p in held], tool=f"edgeward {__version__}, onnxruntime {ort.__version__}")
        fe = file_entry(out)
        entry = FileEntry(path=out.name, sha256=fe.sha256, bytes=fe.bytes, report=report)
        installed = False
        if install and result.passed and not_faster is None:
            step("writing the variant into the package", 0.97)
            entry = install_variant(directory, name, out, report).files[name]
            installed = True
    step("done", 1.0)
    return QuantizeResult(directory, name, entry, fp32.stat().st_size, installed, search,
                          f"{manifest.name}@{manifest.version}", not_faster)
