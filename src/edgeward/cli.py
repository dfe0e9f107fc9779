"""Thin Typer commands; each calls one library function. EdgewardErrors print without a traceback."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
) -> None:
    """Convert a model to ONNX and verify it against the original (TF.js: on real photos)."""
    if model.suffix.lower() != ".json":
        _convert_import(model, output, input_shape or [], example, tolerance, package)
        return
    from edgeward.convert.tfjs.pipeline import convert_and_verify

    tolerance = 2e-3 if tolerance is None else tolerance
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


def _convert_import(model: Path, output: Path, input_shape: list[str], example: Path | None,
                    tolerance: float | None, package: str | None) -> None:
    from edgeward.convert import DEFAULT_TOLERANCE, convert_file

    tolerance = DEFAULT_TOLERANCE if tolerance is None else tolerance
    shapes: dict[str, list[int]] = {}
    for i, text in enumerate(input_shape):
        name, dims = _parse_shape(text)
        shapes[name or ("" if i == 0 else f"#{i}")] = dims
    if package is not None and not re.fullmatch(r"[a-z0-9][a-z0-9._-]*@\d+\.\d+\.\d+", package):
        raise EdgewardError(f"--package '{package}': expected NAME@X.Y.Z, e.g. my-cnn@1.0.0")
    with err.status(f"importing {model.name}"):
        result = convert_file(model, output, input_shapes=shapes or None, example=example, tolerance=tolerance)
    table = Table(title=f"{output} — verified against {model.name} ({result.framework}) on "
                        f"{', '.join(result.report.cases)}")
    for col in ("output", "max abs diff", "max rel diff"):
        table.add_column(col, justify="left" if col == "output" else "right")
    for name, diff in result.report.max_abs_diff.items():
        table.add_row(name, f"{diff:.2e}", f"{result.max_rel_diff.get(name, 0.0):.2e}")
    out.print(table)
    for note in result.notes:
        out.print(f"note: {note}")
    out.print(f"inputs {', '.join(result.input_names)}; converted in {result.seconds:.2f} s; "
              f"relative tolerance {tolerance:g}: [green]ok[/]")
    if package:
        from edgeward.package.build import package_tensor_model

        name, version = package.split("@")
        out.print(f"package: {package_tensor_model(output, name, version, result=result)}")


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


@app.command()
@friendly
def detect(
    image: Annotated[Path, typer.Argument(help="An image file")],
    model: Annotated[str, typer.Option(help="Package name, NAME@VERSION, or a package folder")] = "centernet",
    score_threshold: Annotated[float, typer.Option(help="Minimum detection score")] = 0.3,
    iou_threshold: Annotated[float, typer.Option(help="Class-wise NMS overlap limit")] = 0.5,
    max_detections: Annotated[int, typer.Option(help="Most detections to return")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Detect objects in an image (boxes in image pixels, best first)."""
    import edgeward
    from edgeward.runtime.image import load_image

    load_image(image)
    found = edgeward.load(model).detect(image, score_threshold, iou_threshold, max_detections)
    if as_json:
        json.dump(found, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(title=f"{len(found)} detection(s) in {image.name}")
    for col in ("label", "score", "x1", "y1", "x2", "y2"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for d in found:
        table.add_row(d["label"], f"{d['score']:.2f}", *(f"{v:.1f}" for v in d["box"]))
    out.print(table)


@app.command()
@friendly
def classify(
    image: Annotated[Path, typer.Argument(help="An image file")],
    model: Annotated[str, typer.Option(help="Package name, NAME@VERSION, or a package folder")] = "efficientnet-lite0",
    top_k: Annotated[int, typer.Option("--top-k", help="How many classes to return")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Classify an image (ImageNet classes with EfficientNet-Lite0), best first."""
    import edgeward
    from edgeward.runtime.image import load_image
    from edgeward.tasks.classify import check_top_k

    check_top_k(top_k)
    load_image(image)
    found = edgeward.load(model).classify(image, top_k)
    if as_json:
        json.dump(found, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(title=f"top {len(found)} class(es) for {image.name}")
    for col in ("class_id", "label", "score"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for c in found:
        table.add_row(str(c["class_id"]), c["label"], f"{c['score']:.4f}")
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
def quantize(
    package: Annotated[str, typer.Argument(help="Package name, NAME@VERSION, or a package folder")],
    to: Annotated[str, typer.Option("--to", help="Variant to make: int8 or fp16")] = "int8",
    calibration: Annotated[Path | None, typer.Option(help="Folder of photos to calibrate on "
                                                          "(default: the zoo's real photos of people)")] = None,
    min_agreement: Annotated[float, typer.Option(help="Gate: least keypoint / top-1 agreement")] = 0.95,
    max_mean_px: Annotated[float, typer.Option(help="Gate: largest mean keypoint error, model-input px")] = 2.0,
    method: Annotated[str, typer.Option(help="Calibration: MinMax, Entropy or Percentile")] = "MinMax",
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing if the package has it")] = False,
) -> None:
    """Make an int8 (accuracy-gated, static QDQ) or fp16 variant and add it to the package."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from edgeward.optimize.gate import GateSpec
    from edgeward.optimize.quantize import QuantizationError, quantize_package
    from edgeward.optimize.report import summary_table

    if to not in ("int8", "fp16"):
        raise EdgewardError(f"--to must be int8 or fp16, not '{to}'")
    if if_missing:
        import edgeward

        if to in (model := edgeward.load(package)).manifest.files:
            edgeward.load(str(model.directory), variant=to)  # verifies its sha256
            out.print(f"{package}: has a verified {to} variant")
            return
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task(f"{package} → {to}", total=1.0)
        result = quantize_package(
            package, to, calibration_dir=calibration, method=method,  # type: ignore[arg-type]
            gate=GateSpec(min_agreement=min_agreement, max_mean_px=max_mean_px),
            progress=lambda d, f: progress.update(task, description=f"{package} → {to}: {d}", completed=f))
    out.print(summary_table(result.name, to, result.fp32_bytes, result.entry))  # type: ignore[arg-type]
    if not result.passed:
        raise QuantizationError(result.explain())
    out.print(f"{to} variant written to {result.directory / result.entry.path}")  # type: ignore[attr-defined]


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
def bench(
    package: Annotated[str, typer.Argument(help="Package name, NAME@VERSION, or a package folder")],
    runs: Annotated[int, typer.Option(help="Timed runs per configuration")] = 30,
    warmup: Annotated[int, typer.Option(help="Untimed runs after the first, per configuration")] = 3,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for bench.json, bench.md, bench.png")] = Path(
        "bench-results"),
    image: Annotated[Path | None, typer.Option(help="Still image for end-to-end frames (default: a sample)")] = None,
    variant: Annotated[str, typer.Option(help="Package variant: fp32, int8, fp16")] = "fp32",
    browser: Annotated[bool, typer.Option(help="Also measure in headless Chromium (onnxruntime-web, TF.js)")] = True,
    software_webgpu: Annotated[bool, typer.Option(help="Measure WebGPU on a software fallback adapter")] = False,
    live: Annotated[bool, typer.Option(help="Pose packages: live video from a fake webcam (Edgeward, TF.js "
                                            "PoseNet pipeline)")] = True,
    video_frames: Annotated[int, typer.Option(help="Live video: estimates per configuration (JS heap read "
                                                   "before and after them)")] = 1000,
    long_task_frames: Annotated[int, typer.Option(help="Live video: main-thread long tasks counted over the "
                                                       "first this many estimates")] = 300,
    video_seconds: Annotated[float, typer.Option(help="Live video: run each configuration at least this "
                                                      "long")] = 10.0,
) -> None:
    """Benchmark a package: Python onnxruntime, Chromium WASM 1/N threads, WebGPU, the original TF.js model,
    and for pose packages live video beside the TF.js PoseNet pipeline."""
    from edgeward.bench.harness import run_bench
    from edgeward.bench.live import LiveOptions
    from edgeward.bench.report import markdown, write_report

    live_options = LiveOptions(frames=video_frames, long_task_frames=long_task_frames,
                               min_seconds=video_seconds) if live else None
    with err.status(f"benchmarking {package}") as status:
        def progress(message: str) -> None:
            if message.startswith("✓"):  # a finished configuration: keep it on screen
                err.print(f"{package}: {message}", highlight=False)
            status.update(f"{package}: {message}")

        report = run_bench(package, runs=runs, warmup=warmup, image=image, variant=variant, browser=browser,
                           software_webgpu=software_webgpu, live=live_options, progress=progress)
    paths = write_report(report, out_dir)
    sys.stdout.write(markdown(report))
    out.print(f"wrote {', '.join(str(p) for p in paths.values())}")


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


@contextmanager
def _transfer_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar per file; yields ``on_progress(file, done, total)``."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=err, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def update(file: str, done: int, total: int) -> None:
            if file not in tasks:
                tasks[file] = progress.add_task(file, total=total)
            progress.update(tasks[file], completed=done, total=total)

        yield update


def _registry(url: str | None) -> str:
    from edgeward.settings import get_settings

    found = url or get_settings().registry_url
    if not found:
        raise EdgewardError("no registry: pass --registry URL or set EDGEWARD_REGISTRY_URL")
    return found


@app.command()
@friendly
def pack(
    directory: Annotated[Path, typer.Argument(help="A package folder: manifest.json + the files it lists")],
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Where to write (default: the local store; --npm: .)")] = None,
    npm: Annotated[bool, typer.Option("--npm", help="Write an npm tarball (npm install ./file.tgz)")] = False,
    scope: Annotated[str, typer.Option(help="npm scope for --npm")] = "@edgeward-models",
) -> None:
    """Validate a package (manifest schema, every file's size and sha256) and write it."""
    if npm:
        from edgeward.package.npm import pack_npm

        out.print(str(pack_npm(directory, output, scope)))
    else:
        from edgeward.package.pack import pack as pack_package

        out.print(str(pack_package(directory, output)))


@app.command()
@friendly
def publish(
    directory: Annotated[Path, typer.Argument(help="A package folder to publish")],
    registry: Annotated[str | None, typer.Option(help="Registry URL (EDGEWARD_REGISTRY_URL)")] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token (EDGEWARD_REGISTRY_TOKEN)")] = None,
) -> None:
    """Upload a package's files and manifest to a registry. Published versions are immutable."""
    from edgeward.registry.client import RegistryClient
    from edgeward.settings import get_settings

    with RegistryClient(_registry(registry), token or get_settings().registry_token) as client, \
            _transfer_progress() as progress:
        result = client.publish(directory, progress)
    out.print(f"published {result['name']}@{result['version']}")


@app.command()
@friendly
def pull(
    spec: Annotated[str, typer.Argument(help="NAME@RANGE, e.g. posenet@^1, posenet@1.0.0, posenet")],
    registry: Annotated[str | None, typer.Option(help="Registry URL (EDGEWARD_REGISTRY_URL)")] = None,
) -> None:
    """Resolve a version range in a registry and fetch the package into the local store, verified."""
    from edgeward.registry.client import RegistryClient, fetch_package

    with RegistryClient(_registry(registry)) as client:
        resolved = client.resolve(spec)
        with _transfer_progress() as progress:
            path = fetch_package(client, resolved, on_progress=progress)
    out.print(f"{resolved['name']}@{resolved['version']}: {path}")


@app.command("list")
@friendly
def list_(
    query: Annotated[str | None, typer.Argument(help="Only names containing this")] = None,
    registry: Annotated[str | None, typer.Option(help="Registry URL (default: EDGEWARD_REGISTRY_URL, "
                                                      "else the local store)")] = None,
) -> None:
    """Packages in a registry (or, with none configured, in the local store)."""
    from edgeward.settings import get_settings

    url = registry or get_settings().registry_url
    table = Table(title=f"packages in {url or 'the local store'}")
    for col in ("name", "latest", "versions", "task"):
        table.add_column(col)
    if url:
        from edgeward.registry.client import RegistryClient

        with RegistryClient(url) as client:
            for p in client.list(query):
                table.add_row(p["name"], p["latest"] or "-", ", ".join(p["versions"]), p["task"])
    else:
        from edgeward.package.store import list_packages

        for m in list_packages():
            if not query or query in m.name:
                table.add_row(m.name, m.version, m.version, m.task)
    out.print(table)


if __name__ == "__main__":  # pragma: no cover
    app()
