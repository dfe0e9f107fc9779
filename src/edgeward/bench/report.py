"""Write a bench report: ``bench.json``, ``bench.md`` (a markdown table) and ``bench.png`` (a chart)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgeward.errors import ToolMissingError

COLUMNS = ["Configuration", "Backend", "Threads", "Load ms", "First inference ms", "Inference p50 ms",
           "Inference p95 ms", "Frame p50 ms", "Frame p95 ms"]


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


LIVE_COLUMNS = ["Configuration", "Threads", "Load ms", "Poses/s", "Frame p50 ms", "Frame p95 ms",
                "Video frames dropped", "Long tasks", "Long task max ms", "Long tasks total ms",
                "Heap growth page MB", "Heap growth worker MB", "Still vs Python px"]


def _threads(c: dict[str, Any]) -> str:
    threads = str(c["threads"]) if c["threads"] else "default"
    if c.get("threads_asked") and c["threads_asked"] != c["threads"]:
        threads += f" (asked {c['threads_asked']})"
    return threads


def _row(c: dict[str, Any]) -> list[str]:
    if c["status"] != "ok":
        return [c["label"], c["backend"], "–", f"{c['status']}: {c['reason'] or ''}".strip(), *["–"] * 5]
    inf, e2e = c["inference_ms"], c["e2e_ms"] or {}
    threads = _threads(c)
    return [c["label"], c["backend"], threads, _ms(c["load_ms"]), _ms(c["first_inference_ms"]), _ms(inf["p50"]),
            _ms(inf["p95"]), _ms(e2e.get("p50")), _ms(e2e.get("p95"))]


def _table(columns: list[str], rows: list[list[str]], text_columns: int) -> list[str]:
    """A markdown table: the first ``text_columns`` left-aligned, the numbers right-aligned."""
    rule = "|" + "|".join("---" if i < text_columns else "---:" for i in range(len(columns))) + "|"
    return ["| " + " | ".join(columns) + " |", rule, *("| " + " | ".join(r) + " |" for r in rows)]


def markdown(report: dict[str, Any]) -> str:
    m, v = report["machine"], report["versions"]
    lines = [
        f"# `edgeward bench {report['package']}` ({report['variant']})",
        "",
        f"{report['created']} · {m['cpus']} CPUs · {m['platform']} · browser: {m['browser'] or 'not run'}",
        f"onnxruntime {v['onnxruntime']} · onnxruntime-web {v['onnxruntime-web']} · TF.js {v['tfjs']} · "
        f"image `{report['image']}` · {report['runs']} timed runs after {report['warmup']} warm-up runs",
        "",
        *_table(COLUMNS, [_row(c) for c in report["configs"]], text_columns=3),
    ]
    if report["variant"] != "fp32":
        lines += ["", f"Edgeward's rows (Python's too) run the package's `{report['variant']}` file: the one the "
                  "browser runtime runs on WASM unasked, accuracy-gated against fp32. TF.js runs its original fp32 "
                  "model. `--variant fp32` measures fp32."]
    if any(c["id"].startswith("web-kernels") for c in report["configs"]):
        lines += ["", "The Edgeward kernels rows (`{backend: 'kernels'}`) run the package's `int8-kernels` file "
                  "(`edgeward quantize --target kernels`, accuracy-gated against fp32 at every input size) on "
                  "Edgeward's own WASM kernels, one thread; onnxruntime-web is not loaded."]
    lines += [
        "",
        "Load: package/model fetch, verification, runtime + WASM start and session creation "
        "(Python: sha256 + session). Inference: the model alone (TF.js: `execute` + reading the outputs back, "
        "on a random input). Frame: one still image's bytes → pixels → pre-processing → inference → decoding "
        "(Edgeward runtimes only). Timings from one run on a possibly shared machine are noisy.",
        "",
    ]
    lines += ratio_lines("Raw inference speed Edgeward / TF.js", report.get("raw_ratio") or [], raw=True)
    if report.get("live"):
        lines += live_markdown(report["live"])
    return "\n".join(lines)


def _mb(heap: dict[str, Any] | None) -> str:
    return "–" if not heap else f"{heap['growth_mb']:+.2f}"


def _live_row(c: dict[str, Any]) -> list[str]:
    if c["status"] != "ok":
        return [c["label"], "–", f"{c['status']}: {c['reason'] or ''}".strip(), *["–"] * (len(LIVE_COLUMNS) - 3)]
    lt, heap, still = c["long_tasks"], c["heap"], c.get("still_vs_python")
    return [c["label"], _threads(c), _ms(c["load_ms"]), f"{c['poses_per_second']:.2f}", _ms(c["e2e_ms"]["p50"]),
            _ms(c["e2e_ms"]["p95"]), f"{c['dropped_frames']} of {c['video_frames']}", str(lt["count"]),
            _ms(lt["max_ms"]), _ms(lt["total_ms"]), _mb(heap["page"]), _mb(heap["worker"]),
            "–" if not still else f"{still['mean_px']:.2f} (max {still['max_px']:.1f})"]


def ratio_lines(title: str, ratios: list[dict[str, Any]], raw: bool = False) -> list[str]:
    """One line per comparison ('as users get it', 'at equal threads'), both stated: above 1× Edgeward is
    faster. Equal threads: TF.js in a page reporting twice the cores, as on a machine with twice them."""
    lines = []
    for versus in ("as users get it", "at equal threads", "TF.js with more threads"):
        rs = [r for r in ratios if r.get("versus", "as users get it") == versus]
        if not rs:
            continue
        if raw:
            parts = [f"Edgeward{' kernels' if r['edgeward'].startswith('web-kernels') else ''} "
                     f"{r['edgeward_threads']} vs TF.js {r['tfjs_threads']} thread(s): **{r['ratio']:.2f}×**"
                     for r in rs]
        else:
            parts = [f"{r['label']}: **{r['ratio']:.2f}×**" for r in rs]
        lines.append(f"**{title}, {versus}** (same run; above 1×: Edgeward is faster): " + " · ".join(parts))
        lines.append("")
    return lines


def live_markdown(live: dict[str, Any]) -> list[str]:
    """The live-video section: a table, the throughput ratio line(s) and how it was measured."""
    o, cam = live["options"], live.get("camera") or {}
    lines = [
        "## Live video",
        "",
        f"Fake webcam {cam.get('width', '?')}×{cam.get('height', '?')} at {cam.get('frameRate', '?')} fps "
        f"(real photos); {live['mode']}; per configuration {o['frames']} estimates (at least "
        f"{o['min_seconds']:g} s) after {o['warmup']} warm-up frames; long tasks over the first "
        f"{o['long_task_frames']} estimates; heap growth over all {o['frames']}.",
        "",
        *_table(LIVE_COLUMNS, [_live_row(c) for c in live["configs"]], text_columns=2),
    ]
    lines.append("")
    ratios = live.get("throughput_ratio") or []
    if ratios:
        lines += ratio_lines("Live throughput Edgeward / TF.js pipeline", ratios)
    else:
        lines.append("**Live throughput Edgeward / TF.js pipeline**: not measured (no TF.js pipeline result).")
    fps = cam.get("frameRate")
    capped = [c for c in live["configs"] if fps and c["status"] == "ok" and c["poses_per_second"] >= 0.95 * fps]
    if capped:  # a loop that keeps up with the camera measures the camera
        lines += ["", "**Capped by the camera**: " + ", ".join(
            f"{c['label']} ({c['poses_per_second']:.2f} poses/s)" for c in capped) + f" kept up with the "
            f"{fps:g} fps camera, so its throughput is the camera's, and its ratio a floor; `--camera-fps` "
            "with a higher rate shows how far it goes."]
    for c in live["configs"]:
        if c["status"] == "ok" and c.get("worker_timings_ms"):
            parts = ", ".join(f"{k.removesuffix('Ms')} {v:.1f} ms" for k, v in c["worker_timings_ms"].items())
            lines += ["", f"{c['label']}: in the worker, mean per frame: {parts}; mean frame "
                      f"{c['e2e_ms']['mean']:.1f} ms (the rest: frame capture, transfer, messages, waiting)."]
            sizes = c.get("input_sizes") or {}
            if len(sizes) > 1 or "roi" in c["id"]:  # ROI crops at another input size than whole frames
                lines[-1] += " Results by model input size: " + ", ".join(f"{k} {v}" for k, v in sizes.items()) + "."
    tfjs = next((c for c in live["configs"] if c.get("tfjs")), None)
    lines += ["", "Poses/s: estimates finished per second of a frame-dropping loop (Edgeward: its own "
              "`track()` loop, with two frames in flight unless the row says one, the next frame captured just in "
              "time — as the running inference is due to end — unless the row says at once; TF.js: on each video frame "
              "one estimate unless one is in flight). Frame: capture of the video frame → pixels → "
              "pre-processing → inference → decoding → poses on the main thread (with two in flight this "
              "includes the wait behind the frame being inferred: pipelining trades latency for "
              "throughput). Long tasks: main-thread tasks over 50 ms "
              "(PerformanceObserver 'longtask'). Heap: V8 used heap after a forced GC (CDP), before and after "
              "the run, in the page and in the Edgeward runtime's worker. Still vs Python: the pipeline's "
              "keypoints on the still image against Python onnxruntime fp32, over keypoints Python scores ≥ 0.5."]
    if tfjs:
        t = tfjs["tfjs"]
        mo = t["model_options"]
        lines += ["", f"TF.js pipeline: @tensorflow-models/posenet on TF.js {t['version']} tfjs-backend-wasm "
                  f"({'threaded' if t['multithread_build'] else 'single-thread'} build), "
                  f"setThreadsCount({tfjs['threads_asked']}) → {tfjs['threads']} thread(s) used; "
                  f"posenet.load({{architecture: 'MobileNetV1', outputStride: {mo['outputStride']}, "
                  f"inputResolution: {mo['inputResolution']}, multiplier: {mo['multiplier']}}}) on the original "
                  f"model.json (`{mo['modelUrl']}`), its input declared [-1, -1, -1, 3] and its signature "
                  "outputs put in the order the package's MobileNet wrapper expects (web/apps/bench/live.js); "
                  f"tensors {t['tensors_before']} → {t['tensors_after']}; load includes its scripts "
                  f"({t['scripts_ms']:.0f} ms)."]
    lines.append("")
    return lines


def chart(report: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise ToolMissingError("the bench chart needs matplotlib: pip install 'edgeward[bench]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = [c for c in report["configs"] if c["status"] == "ok"]
    live = [c for c in (report.get("live") or {}).get("configs", []) if c["status"] == "ok"]
    labels = [c["label"] for c in configs]
    y = list(range(len(configs)))
    rows = [1.2 + 0.6 * max(len(configs), 1)] + ([1.2 + 0.6 * len(live)] if live else [])
    fig, axes = plt.subplots(len(rows), 1, figsize=(10, sum(rows)), gridspec_kw={"height_ratios": rows},
                             squeeze=False)
    ax = axes[0][0]
    inf = [c["inference_ms"]["p50"] for c in configs]
    inf95 = [c["inference_ms"]["p95"] - c["inference_ms"]["p50"] for c in configs]
    e2e = [(c["e2e_ms"] or {}).get("p50", 0.0) for c in configs]
    h = 0.38
    ax.barh([i - h / 2 for i in y], inf, height=h, xerr=[[0] * len(y), inf95], label="inference p50 (bar to p95)",
            color="#3b7dd8", capsize=3)
    ax.barh([i + h / 2 for i in y], e2e, height=h, label="still frame end-to-end p50", color="#e59a2f")
    for i, (a, b) in enumerate(zip(inf, e2e, strict=True)):
        ax.text(a + inf95[i], i - h / 2, f" {a:.1f}", va="center", fontsize=8)
        if b:
            ax.text(b, i + h / 2, f" {b:.1f}", va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("milliseconds (lower is better)")
    ax.set_title(f"edgeward bench {report['package']} ({report['variant']}), {report['machine']['cpus']} CPUs")
    ax.legend(loc="lower right", fontsize=8)
    if live:
        _live_chart(axes[1][0], live, report["live"].get("throughput_ratio") or [])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _live_chart(ax: Any, live: list[dict[str, Any]], ratios: list[dict[str, Any]]) -> None:
    """Live-video poses per second (higher is better), with frame p50 and long tasks in the labels."""
    y = list(range(len(live)))
    fps = [c["poses_per_second"] for c in live]
    colors = ["#c44e52" if c["runtime"] == "TF.js" else "#3b7dd8" for c in live]
    ax.barh(y, fps, height=0.6, color=colors)
    for i, c in enumerate(live):
        ax.text(fps[i], i, f" {fps[i]:.2f} poses/s · frame p50 {c['e2e_ms']['p50']:.0f} ms · "
                f"{c['long_tasks']['count']} long tasks", va="center", fontsize=8)
    ax.set_yticks(y, [c["label"] for c in live], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max(fps) * 1.9)
    ax.set_xlabel("poses per second on live video (higher is better)")
    title = "live video (fake webcam, frame-dropping loop)"
    users = [r for r in ratios if r.get("versus", "as users get it") == "as users get it"]
    equal = [r for r in ratios if r.get("versus") == "at equal threads"]
    if users:  # the best row of each comparison (the lines of bench.md give every row)
        title += f": best Edgeward / TF.js {max(r['ratio'] for r in users):.2f}×"
    if equal:
        title += f"; at equal threads {max(r['ratio'] for r in equal):.2f}×"
    ax.set_title(title, fontsize=10)


def write_report(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write the three files into ``out_dir`` (created) and return their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "bench.json", "markdown": out_dir / "bench.md", "png": out_dir / "bench.png"}
    paths["json"].write_text(json.dumps(report, indent=2) + "\n")
    paths["markdown"].write_text(markdown(report))
    chart(report, paths["png"])
    return paths
