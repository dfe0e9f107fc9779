"""Which convolutions a browser-targeted int8 (``edgeward quantize --target wasm``) keeps in fp32.

onnxruntime-web's WASM kernels are not native onnxruntime's: on a CPU where its int8 1×1 convolutions
(QLinearConv over the WASM SIMD u8×s8 GEMM) beat fp32's, its int8 depthwise ones (no SIMD path) can
lose several times over. So, per convolution, a quick int8 model is timed against fp32 with
onnxruntime-web's profiler (:func:`.wasm_timing.wasm_conv_ms`) and the convolutions whose int8 kernel
is no faster stay fp32. A mix has a cost of its own — fp32 Conv runs NCHW, QLinearConv NHWC, so
onnxruntime adds Transposes and quantize / dequantize steps between them — so the mixed graphs (one
per :data:`MARGINS`: int8 only where it is that many times faster) are then timed end to end
against all-int8 and fp32 (one Node process, interleaved runs), and the fastest int8 graph is kept — of
those within :data:`TIE` of the fastest, the one that keeps the most convolutions fp32.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edgeward.optimize.wasm_timing import time_wasm, wasm_conv_ms

MARGINS = (1.0, 1.25, 1.5, 2.0)
"""Candidates: int8 only where the kernel is at least this many times faster than fp32's (1.0: faster at all).
A higher margin keeps more convolutions fp32 — fewer islands, so fewer layout and quantization steps
between them, which cost most at high resolution where int8 gains least."""


@dataclass
class WasmPlan:
    node_ms: dict[str, tuple[float, float]]
    """Per convolution: (fp32 ms, int8 ms) of its WASM kernel, one thread."""
    candidates: list[tuple[float, list[str]]] = field(default_factory=list)
    """(margin, convolutions kept fp32 in graph order) of each distinct mixed graph timed."""
    over_budget: list[tuple[float, int]] = field(default_factory=list)
    """(margin, bytes) of the mixed graphs left out: their file would be over the size budget."""
    e2e_ms: dict[str, float] = field(default_factory=dict)
    """Median ms end to end, one thread, same run: 'fp32', 'int8' (all), and 'margin M' per candidate."""
    keep_fp32: list[str] = field(default_factory=list)
    """The convolutions of the fastest graph kept fp32 (empty: all int8 was fastest, or every kernel faster)."""
    chosen: str = ""
    """The e2e_ms key of the graph kept ('int8' or 'margin M'; empty: nothing was timed)."""

    def describe(self) -> str:
        if not self.candidates:
            over = " (the mixed graphs were over the size budget)" if self.over_budget else ""
            return f"every convolution int8 in onnxruntime-web WASM{over}"
        e = self.e2e_ms
        tried = "; ".join(f"int8 only where ≥ {m:g}× faster ({len(keep)} convolutions fp32) {e[f'margin {m:g}']:.1f} ms"
                          for m, keep in self.candidates)
        chose = f"{len(self.keep_fp32)} convolutions kept fp32" if self.keep_fp32 else "all int8 kept"
        if self.chosen and e[self.chosen] > min(v for k, v in e.items() if k != "fp32"):
            chose += f" (within {TIE:.0%} of the fastest, the one keeping the most fp32)"
        over = "".join(f"; where ≥ {m:g}× faster: over the size budget ({b:,} bytes)" for m, b in self.over_budget)
        return f"end to end, 1 thread: fp32 {e['fp32']:.1f} ms; all int8 {e['int8']:.1f} ms; {tried}{over}: {chose}"


TIE = 0.03
"""End-to-end medians within this fraction of the fastest are one speed on a shared machine (they swap
places between runs): among those, the graph that keeps the most convolutions fp32 — the least quantized,
so the most accurate — is chosen, and the choice does not follow timing noise from one machine to the next."""


def choose(e2e_ms: Mapping[str, float], kept: Mapping[str, int], tie: float = TIE) -> str:
    """The int8 graph to keep: of ``e2e_ms`` (name → median ms; 'fp32' is not a choice), those within ``tie``
    of the fastest, the one with the most convolutions fp32 (``kept``: name → count; 'int8': 0), the faster
    on equal counts."""
    options = [k for k in e2e_ms if k != "fp32"]
    fastest = min(e2e_ms[k] for k in options)
    near = [k for k in options if e2e_ms[k] <= fastest * (1 + tie)]
    return max(near, key=lambda k: (kept.get(k, 0), -e2e_ms[k]))


def slow_convs(order: list[str], times: Mapping[str, tuple[float, float]], margin: float = 1.0) -> list[str]:
    """The convolutions (in ``order``, the graph's) whose int8 kernel is not ``margin`` times faster than fp32's."""
    return [n for n in order if n in times and times[n][1] * margin >= times[n][0]]


def plan_wasm(fp32: Path, quick_int8: Path, make: Callable[[list[str]], Path], feeds: dict[str, np.ndarray],
              runs: int = 20, margins: tuple[float, ...] = MARGINS, max_bytes: int | None = None) -> WasmPlan:
    """Time ``quick_int8`` (every convolution int8) against ``fp32`` node by node in onnxruntime-web WASM; for
    each margin, ``make(names)`` builds the int8 model with the convolutions not that much faster kept fp32
    (left out if its file is over ``max_bytes``); those, all-int8 and fp32 are timed end to end in one
    process, and the fastest int8 graph wins (:func:`choose`: near-ties go to the one with more fp32)."""
    import onnx

    order = [n.name for n in onnx.load(str(fp32)).graph.node if n.op_type == "Conv"]
    node_ms = wasm_conv_ms(fp32, quick_int8, feeds)
    plan = WasmPlan(node_ms)
    for m in margins:
        keep = slow_convs(order, node_ms, m)
        if keep and all(keep != k for _, k in plan.candidates):
            plan.candidates.append((m, keep))
    models = []
    for m, keep in list(plan.candidates):
        path = make(keep)
        if max_bytes is not None and path.stat().st_size > max_bytes:
            plan.candidates.remove((m, keep))
            plan.over_budget.append((m, path.stat().st_size))
        else:
            models.append(path)
    if not plan.candidates:
        return plan
    timing = time_wasm([fp32, quick_int8, *models], feeds, threads=1, runs=runs, warmup=2)
    names = ["fp32", "int8", *(f"margin {m:g}" for m, _ in plan.candidates)]
    plan.e2e_ms = {k: timing.stats(i)["p50"] for i, k in enumerate(names)}
    kept = {f"margin {m:g}": len(keep) for m, keep in plan.candidates}
    best = plan.chosen = choose(plan.e2e_ms, kept)
    plan.keep_fp32 = [] if best == "int8" else plan.candidates[names.index(best) - 2][1]
    return plan


def wasm_ms(fp32: Path, variant: Path, feeds: dict[str, np.ndarray], name: str, runs: int = 30,
            threads: tuple[int, ...] = (1, 2)) -> dict[str, float]:
    """fp32 vs ``variant`` in onnxruntime-web WASM: medians of ``runs`` interleaved runs each, per thread
    count ('fp32_1thread', '<name>_1thread', 'fp32_2threads', ...); compare them as ratios."""
    out: dict[str, float] = {}
    for n in threads:
        timing = time_wasm([fp32, variant], feeds, threads=n, runs=runs, warmup=3)
        suffix = "_1thread" if n == 1 else f"_{n}threads"
        out[f"fp32{suffix}"], out[f"{name}{suffix}"] = timing.stats(0)["p50"], timing.stats(1)["p50"]
    return out
