"""Native onnxruntime timing of a variant against fp32: medians of interleaved runs, per-convolution kernel ms.

Figures only; how they are shown is report.py's business, where they are stored the manifest's.
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from edgeward.runtime.session import build_session


def native_ms(path: Path, feeds: dict[str, np.ndarray], threads: int | None = None, runs: int = 20,
              warmup: int = 3) -> float:
    """Median ms per inference in native onnxruntime (CPU provider; default threads when None)."""
    sess = build_session(path, threads)
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def interleaved_ms(models: list[Path], feeds: dict[str, np.ndarray], threads: int | None = None, runs: int = 100,
                   warmup: int = 5) -> list[float]:
    """Median ms per inference of each model, the models taking turns run by run (the order
    reversed every other run), so that background load on a shared machine hits all of them alike."""
    sessions = [build_session(m, threads) for m in models]
    for sess in sessions:
        for _ in range(warmup):
            sess.run(None, feeds)
    times: list[list[float]] = [[] for _ in sessions]
    for i in range(runs):
        order = range(len(sessions)) if i % 2 == 0 else reversed(range(len(sessions)))
        for j in order:
            t = time.perf_counter()
            sessions[j].run(None, feeds)
            times[j].append((time.perf_counter() - t) * 1000)
    return [statistics.median(t) for t in times]


def compare_ms(fp32: Path, variant: Path, feeds: dict[str, np.ndarray], name: str, runs: int = 100) -> dict[str, float]:
    """fp32 vs variant with onnxruntime's default threads and with 1 thread: medians of ``runs``
    interleaved runs each (compare them as a ratio; absolute times move with the machine's load)."""
    out: dict[str, float] = {}
    for threads, suffix in ((None, ""), (1, "_1thread")):
        fp, var = interleaved_ms([fp32, variant], feeds, threads, runs)
        out[f"fp32{suffix}"], out[f"{name}{suffix}"] = round(fp, 2), round(var, 2)
    return out


def conv_owners(fp32: Path) -> dict[str, str]:
    """Kernel base name → the fp32 graph's Conv it computes (the Conv's own name, or its fused activation's)."""
    import onnx

    graph = onnx.load(str(fp32)).graph
    owner = {n.name: n.name for n in graph.node if n.op_type == "Conv"}
    made_by = {o: n.name for n in graph.node if n.op_type == "Conv" for o in n.output}
    for n in graph.node:
        if n.op_type in ("Clip", "Relu") and n.input and n.input[0] in made_by:
            owner[n.name] = made_by[n.input[0]]
    return owner


_FUSED_SUFFIX = re.compile(r"_(nchwc|token_\d+)$")


def conv_ms(fp32: Path, int8: Path, feeds: dict[str, np.ndarray], runs: int = 20) -> dict[str, tuple[float, float]]:
    """Per convolution of the fp32 graph, median kernel ms in the fp32 and in the int8 model (one
    thread, interleaved runs, from onnxruntime's profiler). Fused kernels keep the name of the
    Conv or of its activation plus a suffix; that is how they are traced back."""
    owner = conv_owners(fp32)
    with tempfile.TemporaryDirectory(prefix="edgeward-profile-") as tmp:
        sessions = []
        for i, path in enumerate((fp32, int8)):
            sess = build_session(path, 1, profile_prefix=str(Path(tmp) / f"p{i}"))
            sess.run(None, feeds)  # warm-up, dropped below
            sessions.append(sess)
        for _ in range(runs):
            for sess in sessions:
                sess.run(None, feeds)
        per_model = []
        for sess in sessions:
            events = json.loads(Path(sess.end_profiling()).read_text())
            samples: dict[str, list[float]] = {}
            for e in events:
                name = e.get("name", "")
                if e.get("cat") != "Node" or not name.endswith("_kernel_time"):
                    continue
                base = name[: -len("_kernel_time")]
                while _FUSED_SUFFIX.search(base):
                    base = _FUSED_SUFFIX.sub("", base)
                if base in owner:
                    samples.setdefault(owner[base], []).append(e["dur"] / 1000)
            per_model.append({k: statistics.median(v[len(v) // (runs + 1):]) for k, v in samples.items()})
    fp, q = per_model
    return {k: (fp[k], q[k]) for k in fp if k in q}


def slow_prefix(fp32: Path, times: dict[str, tuple[float, float]]) -> list[str]:
    """The convolutions from the input on that run no faster in int8 than in fp32, up to the first
    one that does: keeping those in fp32 costs no speed and no quantize/dequantize in between."""
    import onnx

    slow = []
    for n in onnx.load(str(fp32)).graph.node:
        if n.op_type != "Conv" or n.name not in times:
            continue
        fp, q = times[n.name]
        if q < fp:
            break
        slow.append(n.name)
    return slow
