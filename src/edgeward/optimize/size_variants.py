"""A quantized variant at the package's other input sizes: ``int8-wasm@257x257`` beside ``fp32@257x257``.

PoseNet is fully convolutional, so the variant's graph runs at another input size once its input is
declared at that size: the same convolutions kept in fp32, the same quantization parameters (calibrated
at the package's own size). Each size's file is judged on its own by the variant's accuracy gate — the
held-out photos letterboxed at that size, against the fp32 file converted for it; a variant made for WASM
on onnxruntime-web's own outputs — and timed against that fp32 file in onnxruntime-web WASM. It is written
only if the gate passes. The runtimes already run a variant's own size file where there is one
(package/sizes.py: file_for_size; web/src/sizes.js), so ROI crops at the smaller size run the faster file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from edgeward.optimize.gate import GateResult, GateSpec, reference_inputs
from edgeward.optimize.quantize import gate_measurer
from edgeward.optimize.wasm_plan import wasm_ms
from edgeward.optimize.wasm_timing import wasm_gate
from edgeward.package.manifest import MANIFEST_FILE, Manifest, VariantReport, read_manifest
from edgeward.package.sizes import input_sizes, own_size, size_key
from edgeward.package.store import install_variant, verify_file
from edgeward.runtime.session import Runner, build_session, runner
from edgeward.zoo.photos import Photo, heldout_photos

Step = Callable[[str], None]


@dataclass(frozen=True)
class SizeVariant:
    key: str
    """e.g. 'int8-wasm@257x257'."""
    gate: GateResult
    wasm_ms: dict[str, float]
    not_written: str | None
    """Why the file was not written (None: it was)."""


def at_input_size(model: onnx.ModelProto, size: tuple[int, int]) -> onnx.ModelProto:
    """``model`` with its [1, H, W, C] input declared at ``size``; inner and output shapes are left to
    onnxruntime to infer (they follow the input)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    dims = out.graph.input[0].type.tensor_type.shape.dim
    if len(dims) != 4:
        raise ValueError(f"input '{out.graph.input[0].name}' has {len(dims)} dims, not [1, H, W, C]")
    dims[1].dim_value, dims[2].dim_value = size
    del out.graph.value_info[:]
    for output in out.graph.output:
        output.type.tensor_type.ClearField("shape")
    return out


def manifest_at(manifest: Manifest, size: tuple[int, int]) -> Manifest:
    """The manifest as a runtime reads it at ``size``: its pre-processing letterboxes to that size."""
    assert manifest.preprocess is not None  # input_sizes needs it
    return manifest.model_copy(update={"preprocess": manifest.preprocess.model_copy(update={"size": list(size)})})


@dataclass(frozen=True)
class SizeReference:
    """What a variant is judged against at one input size: fp32's own file for that size, run on the held-out
    photos letterboxed at it."""
    manifest: Manifest
    """The manifest as read at that size (:func:`manifest_at`)."""
    fp32: Path
    feeds: list[dict[str, np.ndarray]]
    reference: list[dict[str, np.ndarray]]
    run: Runner


def fp32_reference(directory: Path, manifest: Manifest, size: tuple[int, int],
                   photos: Sequence[Photo]) -> SizeReference:
    """fp32's file for ``size`` (verified) and its outputs on ``photos`` at that size."""
    fp32 = verify_file(directory, manifest.files[size_key(manifest, "fp32", size)])
    at = manifest_at(manifest, size)
    feeds = reference_inputs(photos, at)
    run = runner(build_session(fp32))
    return SizeReference(at, fp32, feeds, [run(f) for f in feeds], run)


def add_size_variants(directory: Path, variant: str, gate: GateSpec | None = None, *,
                      step: Step | None = None, wasm_runs: int = 30) -> list[SizeVariant]:
    """Give ``variant`` (a quantized file of the package in ``directory``) a file at every other input size
    the package carries, where it lacks one; each judged by ``gate`` at that size against fp32's size file."""
    say = step or (lambda _msg: None)
    spec = gate or GateSpec()
    manifest = read_manifest(directory / MANIFEST_FILE)
    sizes = [s for s in input_sizes(manifest)[1:] if size_key(manifest, variant, s) not in manifest.files]
    done: list[SizeVariant] = []
    if not sizes:  # setup's `--if-missing` lands here on every run after the first: nothing read or hashed
        return done
    model = onnx.load(str(verify_file(directory, manifest.files[variant])))
    own_report = manifest.files[variant].report
    wasm = own_report is not None and own_report.target == "wasm"
    held = heldout_photos()
    with tempfile.TemporaryDirectory(prefix="edgeward-size-variants-") as tmp:
        for size in sizes:
            key = size_key(manifest, variant, size)
            ref = fp32_reference(directory, manifest, size, held)
            at, fp32, feeds, reference = ref.manifest, ref.fp32, ref.feeds, ref.reference
            out = Path(tmp) / f"{key.replace('@', '.')}.onnx"
            onnx.save(at_input_size(model, size), str(out))
            say(f"{key}: the accuracy gate on {len(held)} held-out photos at {size[0]}x{size[1]}"
                + (" on onnxruntime-web WASM's outputs" if wasm else ""))
            native = gate_measurer(at, feeds, reference, spec)(out)
            result = wasm_gate(at, out, feeds, reference, spec) if wasm else native
            timing: dict[str, float] = {}
            why = None if result.passed else f"accuracy gate {result.message}"
            if result.passed:
                say(f"{key}: timing it against fp32@{size[0]}x{size[1]} in onnxruntime-web WASM")
                timing = wasm_ms(fp32, out, feeds[0], variant, runs=wasm_runs)
                if wasm and timing[f"{variant}_1thread"] >= timing["fp32_1thread"]:
                    why = (f"no faster than fp32 at {size[0]}x{size[1]} in onnxruntime-web WASM (1 thread: fp32 "
                           f"{timing['fp32_1thread']} ms, {variant} {timing[f'{variant}_1thread']} ms)")
            if why is None:
                metrics = {k: round(v, 4) for k, v in result.metrics.items()}
                if wasm:  # what native onnxruntime's other int8 kernels make of the same file, for the record
                    metrics |= {f"native_{k}": round(v, 4) for k, v in native.metrics.items()}
                report = VariantReport(
                    method=(f"the {variant} graph with its input declared {size[0]}x{size[1]} (the same "
                            f"convolutions in fp32, the same quantization parameters, calibrated at "
                            f"{own_size(manifest)[0]}x{own_size(manifest)[1]})"),
                    bytes_ratio=round(out.stat().st_size / fp32.stat().st_size, 4),
                    metrics=metrics,
                    gate=spec.describe() + ("; judged on onnxruntime-web WASM's outputs" if wasm else ""),
                    gate_passed=True,
                    target=own_report.target if own_report else None, wasm_ms=timing,
                    heldout=[p.source for p in held], tool=own_report.tool if own_report else "")
                install_variant(directory, key, out, report)
            done.append(SizeVariant(key, result, timing, why))
    return done
