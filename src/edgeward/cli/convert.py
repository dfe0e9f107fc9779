"""``edgeward convert``: a source model to ONNX, verified against the original."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from edgeward.cli.exit_codes import friendly
from edgeward.cli.output import Column, JsonFlag, emit, err, note, table
from edgeward.errors import OptionError

_DIFFS = [Column("output"), Column("max_abs_diff", "max abs diff", ".2e", right=True)]
_REL_DIFFS = [*_DIFFS, Column("max_rel_diff", "max rel diff", ".2e", right=True)]


def parse_shape(text: str) -> tuple[str, list[int]]:
    name, _, dims = text.rpartition("=")
    try:
        return name or "", [int(d) for d in dims.split(",")]
    except ValueError:
        raise OptionError(f"--input-shape '{text}': expected NAME=1,384,384,3") from None


@friendly
def convert(
    model: Annotated[Path, typer.Argument(
        help="Source model: TF.js model.json, PyTorch .pt/.pt2, Keras .keras, scikit-learn .pkl/.joblib, or .onnx. "
             ".pt/.pkl/.joblib are pickles that run code when loaded: only convert your own local files")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .onnx file")],
    input_shape: Annotated[list[str] | None, typer.Option(
        help="Input shape, [NAME=]1,3,224,224 (once per input): TF.js override; the example for .pt/.keras/.onnx")
    ] = None,
    image: Annotated[list[Path] | None, typer.Option(help="TF.js: photos to verify on (default: scikit-image's)")
                     ] = None,
    example: Annotated[Path | None, typer.Option(help="Importers: a .npy example input (scikit-learn: rows)")
                       ] = None,
    tolerance: Annotated[float | None, typer.Option(
        help="Max difference per output: TF.js absolute (default 2e-3), importers relative (default 1e-5)")] = None,
    package: Annotated[str | None, typer.Option(
        help="Importers: also write a 'tensor' package NAME@X.Y.Z to the local store")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Convert a model to ONNX and verify it against the original (TF.js: on real photos)."""
    if model.suffix.lower() != ".json":
        _convert_import(model, output, input_shape or [], example, tolerance, package, as_json)
        return
    from edgeward.convert.tfjs.pipeline import convert_and_verify

    tolerance = 2e-3 if tolerance is None else tolerance
    shapes = dict(parse_shape(s) for s in input_shape or [])
    if "" in shapes:
        raise OptionError("--input-shape needs the input's name: NAME=1,384,384,3")
    with err.status("converting") as status:
        result = convert_and_verify(model, output, input_shapes=shapes or None, images=image,
                                    tolerance=tolerance, on_step=lambda s: status.update(s))
    diffs = result.report.max_abs_diff
    data = {"model": model, "output": output, "framework": "tfjs", "cases": result.report.cases,
            "max_abs_diff": diffs, "tolerance": tolerance, "seconds": result.seconds}
    emit(data, as_json, lambda: table(
        [{"output": k, "max_abs_diff": v} for k, v in diffs.items()], _DIFFS,
        f"{output} — verified against {model.name} on {', '.join(result.report.cases)}"))
    note(f"converted in {result.seconds:.2f} s; tolerance {tolerance:g}: [green]ok[/]", as_json, markup=True)


def _convert_import(model: Path, output: Path, input_shape: list[str], example: Path | None,
                    tolerance: float | None, package: str | None, as_json: bool) -> None:
    from edgeward.convert import DEFAULT_TOLERANCE, convert_file

    tolerance = DEFAULT_TOLERANCE if tolerance is None else tolerance
    shapes: dict[str, list[int]] = {}
    for i, text in enumerate(input_shape):
        name, dims = parse_shape(text)
        shapes[name or ("" if i == 0 else f"#{i}")] = dims
    if package is not None and not re.fullmatch(r"[a-z0-9][a-z0-9._-]*@\d+\.\d+\.\d+", package):
        raise OptionError(f"--package '{package}': expected NAME@X.Y.Z, e.g. my-cnn@1.0.0")
    with err.status(f"importing {model.name}"):
        result = convert_file(model, output, input_shapes=shapes or None, example=example, tolerance=tolerance)
    data: dict[str, Any] = {
        "model": model, "output": output, "framework": result.framework, "cases": result.report.cases,
        "inputs": result.input_names, "max_abs_diff": result.report.max_abs_diff,
        "max_rel_diff": result.max_rel_diff, "tolerance": tolerance, "seconds": result.seconds,
        "notes": result.notes, "package": None}
    if package:
        from edgeward.package.build import package_tensor_model

        name, version = package.split("@")
        data["package"] = package_tensor_model(output, name, version, result=result)
    rows = [{"output": k, "max_abs_diff": v, "max_rel_diff": result.max_rel_diff.get(k, 0.0)}
            for k, v in result.report.max_abs_diff.items()]
    emit(data, as_json, lambda: table(rows, _REL_DIFFS, f"{output} — verified against {model.name} "
                                                        f"({result.framework}) on {', '.join(result.report.cases)}"))
    for line in result.notes:
        note(f"note: {line}", as_json)
    note(f"inputs {', '.join(result.input_names)}; converted in {result.seconds:.2f} s; "
         f"relative tolerance {tolerance:g}: [green]ok[/]", as_json, markup=True)
    if data["package"]:
        note(f"package: {data['package']}", as_json)
