"""``edgeward bench``: Python onnxruntime, Chromium WASM / WebGPU, the original TF.js model, live video."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from edgeward.cli.exit_codes import friendly
from edgeward.cli.options import Variant
from edgeward.cli.output import err, note, print_json


@friendly
def bench(
    package: Annotated[str, typer.Argument(help="Package name, NAME@VERSION, or a package folder")],
    runs: Annotated[int, typer.Option(help="Timed runs per configuration")] = 30,
    warmup: Annotated[int, typer.Option(help="Untimed runs after the first, per configuration")] = 3,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for bench.json, bench.md, bench.png")] = Path(
        "bench-results"),
    image: Annotated[Path | None, typer.Option(help="Still image for end-to-end frames (default: a sample)")] = None,
    variant: Annotated[Variant | None, typer.Option(
        help="Package variant (default: the one the browser runtime picks on WASM, int8-wasm where the package "
             "has it; Python runs the same file)", show_default=False)] = None,
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
    camera_fps: Annotated[int, typer.Option(help="Live video: the fake webcam's frame rate (a loop that keeps "
                                                 "up is capped at it)")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report (bench.json) instead of markdown")
                       ] = False,
) -> None:
    """Benchmark a package: Python onnxruntime, Chromium WASM 1/N threads, WebGPU, the original TF.js model,
    and for pose packages live video beside the TF.js PoseNet pipeline."""
    from edgeward.bench.harness import run_bench
    from edgeward.bench.live import LiveOptions
    from edgeward.bench.report import markdown, write_report

    live_options = LiveOptions(frames=video_frames, long_task_frames=long_task_frames,
                               min_seconds=video_seconds, camera_fps=camera_fps) if live else None
    with err.status(f"benchmarking {package}") as status:
        def progress(message: str) -> None:
            if message.startswith("✓"):  # a finished configuration: keep it on screen
                err.print(f"{package}: {message}", highlight=False)
            status.update(f"{package}: {message}")

        report = run_bench(package, runs=runs, warmup=warmup, image=image, variant=variant.value if variant else None,
                           browser=browser, software_webgpu=software_webgpu, live=live_options, progress=progress)
    paths = write_report(report, out_dir)
    if as_json:
        print_json(report)
    else:  # the markdown is the table here: it is also what bench.md holds
        sys.stdout.write(markdown(report))
    note(f"wrote {', '.join(str(p) for p in paths.values())}", as_json)
