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


def _row(c: dict[str, Any]) -> list[str]:
    if c["status"] != "ok":
        return [c["label"], c["backend"], "–", f"{c['status']}: {c['reason'] or ''}".strip(), *["–"] * 5]
    inf, e2e = c["inference_ms"], c["e2e_ms"] or {}
    threads = str(c["threads"]) if c["threads"] else "default"
    if c.get("threads_asked") and c["threads_asked"] != c["threads"]:
        threads += f" (asked {c['threads_asked']})"
    return [c["label"], c["backend"], threads, _ms(c["load_ms"]), _ms(c["first_inference_ms"]), _ms(inf["p50"]),
            _ms(inf["p95"]), _ms(e2e.get("p50")), _ms(e2e.get("p95"))]


def markdown(report: dict[str, Any]) -> str:
    m, v = report["machine"], report["versions"]
    lines = [
        f"# `edgeward bench {report['package']}` ({report['variant']})",
        "",
        f"{report['created']} · {m['cpus']} CPUs · {m['platform']} · browser: {m['browser'] or 'not run'}",
        f"onnxruntime {v['onnxruntime']} · onnxruntime-web {v['onnxruntime-web']} · TF.js {v['tfjs']} · "
        f"image `{report['image']}` · {report['runs']} timed runs after {report['warmup']} warm-up runs",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" if i < 3 else "---:" for i in range(len(COLUMNS))) + "|",
    ]
    lines += ["| " + " | ".join(_row(c)) + " |" for c in report["configs"]]
    lines += [
        "",
        "Load: package/model fetch, verification, runtime + WASM start and session creation "
        "(Python: sha256 + session). Inference: the model alone (TF.js: `execute` + reading the outputs back, "
        "on a random input). Frame: one still image's bytes → pixels → pre-processing → inference → decoding "
        "(Edgeward runtimes only). Timings from one run on a possibly shared machine are noisy.",
        "",
    ]
    return "\n".join(lines)


def chart(report: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise ToolMissingError("the bench chart needs matplotlib: pip install 'edgeward[bench]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = [c for c in report["configs"] if c["status"] == "ok"]
    labels = [c["label"] for c in configs]
    y = list(range(len(configs)))
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.6 * max(len(configs), 1)))
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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write the three files into ``out_dir`` (created) and return their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "bench.json", "markdown": out_dir / "bench.md", "png": out_dir / "bench.png"}
    paths["json"].write_text(json.dumps(report, indent=2) + "\n")
    paths["markdown"].write_text(markdown(report))
    chart(report, paths["png"])
    return paths
