"""``edgeward quantize``: an accuracy-gated int8 or an fp16 variant, added to its package."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from edgeward.cli.exit_codes import friendly
from edgeward.cli.options import CalibrationMethod, QuantizeTarget, TuneFor
from edgeward.cli.output import JsonFlag, emit, err, note

if TYPE_CHECKING:
    from edgeward.optimize.gate import GateSpec


def _verified_variant(spec: str, variant: str) -> Path | None:
    """The package's ``variant`` file, sha256-checked, or None when the package has no such variant."""
    from edgeward.package.manifest import MANIFEST_FILE, read_manifest
    from edgeward.package.store import verify_file

    directory = Path(spec)
    if not (directory / MANIFEST_FILE).is_file():
        from edgeward.registry.client import locate_package

        directory = locate_package(spec, ["fp32"])
    entry = read_manifest(directory / MANIFEST_FILE).files.get(variant)
    return None if entry is None else verify_file(directory, entry)


@friendly
def quantize(
    package: Annotated[str, typer.Argument(help="Package name, NAME@VERSION, or a package folder")],
    to: Annotated[QuantizeTarget, typer.Option("--to", help="Variant to make")] = QuantizeTarget.int8,
    target: Annotated[TuneFor, typer.Option(help="Backend to make int8 for: native onnxruntime (cpu), "
                                                 "onnxruntime-web's WASM kernels (wasm: written as 'int8-wasm', "
                                                 "timed in Node), or Edgeward's own WASM kernels (kernels: "
                                                 "written as 'int8-kernels', a .ewk file)")] = TuneFor.cpu,
    calibration: Annotated[Path | None, typer.Option(help="Folder of photos to calibrate on "
                                                          "(default: the zoo's real photos of people)")] = None,
    min_agreement: Annotated[float, typer.Option(help="Gate: least keypoint / top-1 agreement")] = 0.95,
    max_mean_px: Annotated[float, typer.Option(help="Gate: largest mean keypoint error, model-input px")] = 2.0,
    method: Annotated[CalibrationMethod, typer.Option(help="int8 calibration")] = CalibrationMethod.MinMax,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing if the package has it")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Make an int8 (accuracy-gated, static QDQ) or fp16 variant and add it to the package.

    --target wasm: tuned for onnxruntime-web's WASM kernels; written as 'int8-wasm' only if faster than fp32 there.
    --target kernels: lowered for Edgeward's own WASM kernels (the browser's backend 'kernels'); written as
    'int8-kernels' only if the gate passes at every input size the package carries."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from edgeward.kernels.variant import make_kernels_variant
    from edgeward.optimize.gate import GateSpec
    from edgeward.optimize.quantize import QuantizationError, quantize_package, variant_name
    from edgeward.optimize.report import summary_table

    variant = variant_name(to.value, target.value)
    spec = GateSpec(min_agreement=min_agreement, max_mean_px=max_mean_px)
    if if_missing and (path := _verified_variant(package, variant)) is not None:
        emit({"package": package, "variant": variant, "path": path, "written": False}, as_json,
             lambda: f"{package}: has a verified {variant} variant")
        if target.value == "wasm":
            _at_other_sizes(path.parent, variant, spec, as_json)
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task(f"{package} → {variant}", total=1.0)
        def step(d: str, f: float) -> None:
            progress.update(task, description=f"{package} → {variant}: {d}", completed=f)

        if target.value == "kernels":
            result = make_kernels_variant(package, calibration_dir=calibration, gate=spec, progress=step)
        else:
            result = quantize_package(package, to.value, calibration_dir=calibration, method=method.value,
                                      target="wasm" if target == TuneFor.wasm else "cpu", gate=spec, progress=step)
    entry: Any = result.entry  # a FileEntry with its VariantReport
    data = {"package": result.name, "variant": variant, "path": result.directory / entry.path,
            "written": result.passed, "fp32_bytes": result.fp32_bytes, "file": entry}
    emit(data, as_json, lambda: summary_table(result.name, variant, result.fp32_bytes, entry))
    if not result.passed:
        raise QuantizationError(result.explain())
    note(f"{variant} variant written to {data['path']}", as_json)
    if target.value == "wasm":
        _at_other_sizes(result.directory, variant, spec, as_json)


def _at_other_sizes(directory: Path, variant: str, spec: GateSpec, as_json: bool) -> None:
    """The WASM variant at the package's other input sizes (its size files), where it lacks them: the ROI
    crops of ``track({roiInputSize: 'smallest'})`` run at those."""
    from edgeward.optimize.size_variants import add_size_variants

    with err.status(f"{variant} at the package's other input sizes") as status:
        made = add_size_variants(directory, variant, spec, step=status.update)
    for m in made:
        if m.not_written:
            note(f"{m.key} not written: {m.not_written}", as_json)
        else:
            note(f"{m.key} written (accuracy gate {m.gate.brief}; onnxruntime-web WASM, 1 thread: fp32 "
                 f"{m.wasm_ms['fp32_1thread']} ms, {variant} {m.wasm_ms[variant + '_1thread']} ms)", as_json)
