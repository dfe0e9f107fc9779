"""``edgeward quantize PKG --to int8 --target kernels``: the package's fp32 net lowered for Edgeward's WASM
kernels, int8 where they run int8, judged by the accuracy gate at every input size the package carries.

One file serves every size (the kernels take the input's height and width as they come), so it is written
only if the gate passes at each of them, each size against its own fp32 file in onnxruntime.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import onnxruntime as ort

from edgeward.kernels import oracle
from edgeward.kernels.lower import input_stats, lower_onnx, quantize
from edgeward.kernels.plan import write_plan
from edgeward.optimize.gate import GateResult, GateSpec, measure, noise_floor
from edgeward.optimize.quantize import Progress, QuantizeResult, image_package

VARIANT = "int8-kernels"
VIEWS_PER_PHOTO = 4
METHOD = ("Edgeward's WASM kernels: fp32 3×3 and depthwise convolutions; 1×1 convolutions int8 weights (per "
          "output channel, symmetric) × 7-bit activations (0..127 over [0, the input's calibrated maximum]) on "
          "WASM's relaxed dot product, bias corrected for the weights' rounding; MinMax calibration on "
          f"{VIEWS_PER_PHOTO} views per photo")


def make_kernels_variant(spec: str | Path, calibration_dir: Path | None = None, gate: GateSpec | None = None,
                         progress: Progress | None = None, install: bool = True) -> QuantizeResult:
    """Lower, calibrate and quantize the package's fp32 file for the kernels, judge it at every input size the
    package carries, and (if it passes at all of them) add it as ``int8-kernels``."""
    from edgeward import __version__
    from edgeward.optimize.calibration import calibration_inputs, photos_from_dir
    from edgeward.optimize.size_variants import fp32_reference
    from edgeward.package.manifest import FileEntry, VariantReport
    from edgeward.package.sizes import input_sizes, own_size
    from edgeward.package.store import file_entry, install_variant, verify_file
    from edgeward.zoo.photos import calibration_photos, heldout_photos

    step = progress or (lambda _d, _f: None)
    directory, manifest = image_package(spec)
    fp32 = verify_file(directory, manifest.files["fp32"])
    spec_ = gate or GateSpec()
    step("lowering the fp32 graph to the kernels", 0.0)
    plan = lower_onnx(fp32)
    calib = list(photos_from_dir(calibration_dir) if calibration_dir else calibration_photos())
    inputs = calibration_inputs(calib, manifest, views_per_photo=VIEWS_PER_PHOTO)
    stats = input_stats(plan, inputs, lambda f: step(f"calibrating on {len(inputs)} views", 0.05 + 0.45 * f))
    q = quantize(plan, stats)
    held = heldout_photos()
    metrics: dict[str, float] = {}
    verdicts: list[tuple[str, GateResult]] = []
    sizes = input_sizes(manifest)
    for n, size in enumerate(sizes):
        suffix = "" if size == own_size(manifest) else f"@{size[0]}x{size[1]}"
        step(f"the accuracy gate at {size[0]}x{size[1]} on {len(held)} held-out photos", 0.5 + 0.4 * n / len(sizes))
        ref = fp32_reference(directory, manifest, size, held)
        result = measure(ref.manifest, ref.feeds, ref.reference, lambda f: oracle.run(q, f[q.input_name]), spec_)
        verdicts.append((suffix or f"@{size[0]}x{size[1]}", result))
        metrics |= {f"{k}{suffix}": v for k, v in result.metrics.items()}
        if not suffix:
            floor = noise_floor(ref.manifest, ref.feeds, ref.reference, ref.run, spec_)
            for key in ("keypoint_agreement", "mean_px_error", "top1_agreement"):
                if key in floor:
                    metrics[f"fp32_noise_{key}"] = floor[key]
    passed = all(r.passed for _, r in verdicts)
    with tempfile.TemporaryDirectory(prefix="edgeward-kernels-") as tmp:
        out = Path(tmp) / f"model.{VARIANT}.ewk"
        write_plan(q, out)
        report = VariantReport(
            method=METHOD + (f"; one file for every input size ({', '.join(f'{h}x{w}' for h, w in sizes)}), "
                             "judged at each" if len(sizes) > 1 else ""),
            bytes_ratio=round(out.stat().st_size / fp32.stat().st_size, 4),
            metrics={k: round(v, 4) for k, v in metrics.items()}, gate=spec_.describe(), gate_passed=passed,
            target="kernels", calibration=[p.source for p in calib], heldout=[p.source for p in held],
            tool=f"edgeward {__version__}, onnxruntime {ort.__version__}")
        fe = file_entry(out)
        entry = FileEntry(path=out.name, sha256=fe.sha256, bytes=fe.bytes, report=report)
        installed = False
        if install and passed:
            step("writing the variant into the package", 0.97)
            entry = install_variant(directory, VARIANT, out, report).files[VARIANT]
            installed = True
    step("done", 1.0)
    return QuantizeResult(directory, VARIANT, entry, fp32.stat().st_size, installed, None,
                          f"{manifest.name}@{manifest.version}",
                          gate_failures=[f"at {w.lstrip('@')}: {r.message}" for w, r in verdicts if not r.passed])
