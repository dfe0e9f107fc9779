"""Thin Typer commands; each calls one library function. EdgewardErrors print without a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from edgeward.errors import EdgewardError

app = typer.Typer(help="Edgeward: take ML models from Python to the browser edge.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
zoo_app = typer.Typer(help="Pretrained models: build packages from their published weights.",
                      no_args_is_help=True)
app.add_typer(zoo_app, name="zoo")
err = Console(stderr=True)
out = Console()

F = TypeVar("F", bound=Callable[..., Any])


def friendly(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EdgewardError as e:
            err.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
            raise typer.Exit(e.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _parse_shape(text: str) -> tuple[str, list[int]]:
    name, _, dims = text.rpartition("=")
    try:
        return name or "", [int(d) for d in dims.split(",")]
    except ValueError:
        raise EdgewardError(f"--input-shape '{text}': expected NAME=1,384,384,3") from None


@app.command()
@friendly
def convert(
    model: Annotated[Path, typer.Argument(help="Source model: a TF.js graph model.json")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the .onnx file")],
    input_shape: Annotated[list[str] | None, typer.Option(help="Override an input shape: NAME=1,384,384,3")] = None,
    image: Annotated[list[Path] | None, typer.Option(help="Photos to verify on (default: scikit-image's)")] = None,
    tolerance: Annotated[float, typer.Option(help="Max abs difference allowed per output")] = 2e-3,
) -> None:
    """Convert a model to ONNX and verify it against the original on real photos."""
    from edgeward.convert.tfjs.pipeline import convert_and_verify

    if model.suffix != ".json":
        raise EdgewardError(f"{model}: only TF.js graph models (model.json) are supported so far")
    shapes = dict(_parse_shape(s) for s in input_shape or [])
    if "" in shapes:
        raise EdgewardError("--input-shape needs the input's name: NAME=1,384,384,3")
    with err.status("converting") as status:
        result = convert_and_verify(model, output, input_shapes=shapes or None, images=image,
                                    tolerance=tolerance, on_step=lambda s: status.update(s))
    table = Table(title=f"{output} — verified against {model.name} on {', '.join(result.report.cases)}")
    table.add_column("output")
    table.add_column("max abs diff", justify="right")
    for name, diff in result.report.max_abs_diff.items():
        table.add_row(name, f"{diff:.2e}")
    out.print(table)
    out.print(f"converted in {result.seconds:.2f} s; tolerance {tolerance:g}: [green]ok[/]")


@app.command()
@friendly
def pose(
    image: Annotated[Path, typer.Argument(help="An image file")],
    model: Annotated[str, typer.Option(help="Package name, NAME@VERSION, or a package folder")] = "posenet",
    multi: Annotated[bool, typer.Option("--multi", help="Multi-pose decoding")] = False,
    max_poses: Annotated[int, typer.Option(help="Most poses to return with --multi")] = 5,
    score_threshold: Annotated[float, typer.Option(help="Minimum pose (and root part) score")] = 0.5,
    nms_radius: Annotated[float, typer.Option(help="NMS radius in image pixels")] = 20.0,
    flip: Annotated[bool, typer.Option("--flip", help="Mirror x (for selfie views)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    browser: Annotated[bool, typer.Option("--browser", help="Run in headless Chromium instead")] = False,
) -> None:
    """Estimate poses in an image, in Python (onnxruntime) or in the browser runtime."""
    from edgeward.runtime.image import load_image

    load_image(image)  # a clear error for a missing or non-image file, before any model loads
    opts: dict[str, Any] = {"max_poses": max_poses if multi else 1, "score_threshold": score_threshold,
            "nms_radius": nms_radius, "flip_horizontal": flip}
    if browser:
        from edgeward.browser.harness import estimate_poses_in_browser

        poses = estimate_poses_in_browser(model, image, **opts)
    else:
        import edgeward

        poses = edgeward.load(model).estimate_poses(image, **opts)
    if as_json:
        json.dump(poses, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if not poses:
        out.print(f"no pose scored ≥ {score_threshold}")
    for i, p in enumerate(poses):
        table = Table(title=f"pose {i + 1}: score {p['score']:.3f}")
        for col in ("keypoint", "x", "y", "score"):
            table.add_column(col, justify="left" if col == "keypoint" else "right")
        for k in p["keypoints"]:
            table.add_row(k["name"], f"{k['x']:.1f}", f"{k['y']:.1f}", f"{k['score']:.2f}")
        out.print(table)


@zoo_app.command("build")
@friendly
def zoo_build(
    names: Annotated[list[str], typer.Argument(help="Recipes to build, e.g. posenet")],
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if the package exists")] = False,
) -> None:
    """Fetch published weights, convert, verify and write packages to the local store."""
    from edgeward.zoo import build

    for name in names:
        with err.status(f"{name}: starting") as status:
            path = build(name, force=force, on_step=lambda s, n=name: status.update(f"{n}: {s}"))  # type: ignore[misc]
        out.print(f"{name}: {path}")


@zoo_app.command("list")
@friendly
def zoo_list() -> None:
    """Packages in the local store."""
    from edgeward.package.store import list_packages

    for m in list_packages():
        out.print(f"{m.name}@{m.version}  task={m.task}  variants={','.join(m.files)}")


@app.command()
@friendly
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here instead of stdout")] = None,
) -> None:
    """Print the manifest JSON Schema (the browser validates manifests with it)."""
    from edgeward.package.manifest import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if output:
        output.write_text(text)
    else:
        sys.stdout.write(text)


@app.command()
@friendly
def serve(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
) -> None:
    """Serve the browser runtime, model packages and the pose playground."""
    from edgeward.server.app import serve as run_server

    out.print(f"Edgeward playground: http://{host}:{port}/apps/playground/")
    run_server(host=host, port=port)


if __name__ == "__main__":  # pragma: no cover
    app()
