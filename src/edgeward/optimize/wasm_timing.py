"""onnxruntime-web's WASM backend timing models against each other, in Node (web/tools/ort_wasm_timing.mjs).

Node runs the same ``ort-wasm-simd-threaded.wasm`` Chromium runs (served from the same folder), with the
options web/src/backends.js gives it, so a graph that is faster here is faster in the browser on this CPU
(``edgeward bench`` checks that in Chromium). Models take turns run by run: compare them within one call.
Per-node figures come from onnxruntime-web's own profiler; ``node_class`` groups them by kernel kind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edgeward.errors import EdgewardError, ToolMissingError
from edgeward.optimize.timing import conv_owners

if TYPE_CHECKING:
    from edgeward.optimize.gate import GateResult, GateSpec
    from edgeward.package.manifest import Manifest

BEGIN, END = "@@edgeward-profile-begin", "@@edgeward-profile-end"
TIMEOUT_S = 900


class WasmTimingError(EdgewardError):
    """The onnxruntime-web timing run in Node failed."""


@dataclass(frozen=True)
class NodeTime:
    """One kernel of an onnxruntime-web session: median µs per run over the profiled runs."""

    name: str
    op: str
    kind: str
    """:func:`node_class`, e.g. 'QLinearConv 1×1' or 'FusedConv depthwise 3×3'."""
    us: float


@dataclass(frozen=True)
class WasmTiming:
    ort_version: str
    threads: int
    ms: list[list[float]]
    """Per model, the ms of each timed run (in the order run)."""
    profiles: list[list[NodeTime]]
    """Per model, its kernels (empty without profiling)."""
    outputs: list[list[dict[str, np.ndarray]]] = field(default_factory=list)
    """Per model, its outputs on each of ``outputs_for`` (see :func:`time_wasm`)."""

    def stats(self, i: int) -> dict[str, float]:
        a = np.asarray(self.ms[i])
        return {"min": round(float(a.min()), 2), "p50": round(float(np.median(a)), 2), "n": int(a.size)}


CONV_OPS = ("Conv", "FusedConv", "QLinearConv", "NhwcFusedConv", "ConvInteger")
_FUSED_SUFFIX = re.compile(r"_(nchwc|token_\d+|QuantizeLinear|DequantizeLinear)$")


def conv_kinds(model: Path) -> dict[str, str]:
    """Node name → shape class ('1×1', 'depthwise 3×3', '3×3', ...) of each Conv of an ONNX graph, and of
    the activation (Clip, Relu) fused into it (ORT names fused kernels after either). Weights are
    read from the graph: the QLinearConv onnxruntime runs in NHWC has them pre-packed, out of its profile."""
    import onnx

    graph = onnx.load(str(model)).graph
    shapes = {i.name: list(i.dims) for i in graph.initializer}
    made_by = {n.output[0]: n for n in graph.node if n.output}
    for n in graph.node:  # QDQ graphs: a Conv's weight comes through a DequantizeLinear
        if n.op_type == "DequantizeLinear" and n.input[0] in shapes:
            shapes[n.output[0]] = shapes[n.input[0]]
    kinds: dict[str, str] = {}
    conv_of: dict[str, str] = {}
    for n in graph.node:
        if n.op_type not in ("Conv", "QLinearConv"):
            continue
        w = shapes.get(n.input[3 if n.op_type == "QLinearConv" else 1], [])
        group = next((a.i for a in n.attribute if a.name == "group"), 1)
        kind = "?" if len(w) != 4 else (f"depthwise {w[2]}×{w[3]}" if group > 1 and w[1] == 1 else f"{w[2]}×{w[3]}")
        kinds[n.name] = kind
        conv_of[n.output[0]] = kind
    for n in graph.node:  # Conv → (QuantizeLinear → DequantizeLinear →) Clip: the activation is fused in
        src = made_by.get(n.input[0]) if n.input else None
        while src is not None and src.op_type in ("QuantizeLinear", "DequantizeLinear"):
            src = made_by.get(src.input[0])
        if n.op_type in ("Clip", "Relu") and src is not None and src.output[0] in conv_of:
            kinds[n.name] = conv_of[src.output[0]]
    return kinds


def base_name(kernel: str) -> str:
    """A profiled kernel's node name without the suffixes onnxruntime's fusions and layout passes add."""
    while _FUSED_SUFFIX.search(kernel):
        kernel = _FUSED_SUFFIX.sub("", kernel)
    return kernel


def node_class(event: dict[str, Any], kinds: dict[str, str] | None = None) -> str:
    """A profiler event's kernel kind: the op, and for convolutions their shape class (from ``kinds``,
    :func:`conv_kinds` of the model, else from the fp32 weight shape in the event)."""
    args = event.get("args", {})
    op = str(args.get("op_name", "?"))
    if op not in CONV_OPS:
        return op
    kind = (kinds or {}).get(base_name(str(event.get("name", "")).removesuffix("_kernel_time")))
    if kind is None:
        shapes = [next(iter(d.values())) for d in args.get("input_type_shape", []) if d]
        x, w = [*shapes, [], []][:2]
        if op == "QLinearConv" or len(w) != 4:
            kind = "?"
        else:
            depthwise = w[1] == 1 and len(x) == 4 and x[1] > 1
            kind = f"depthwise {w[2]}×{w[3]}" if depthwise else f"{w[2]}×{w[3]}"
    return f"{op} {kind}"


def parse_profile(text: str, runs: int, kinds: dict[str, str] | None = None) -> list[NodeTime]:
    """onnxruntime-web's trace → one NodeTime per kernel: the median over the last ``runs`` runs (the
    profiled session's first run, which also allocates, is left out when there are more)."""
    events = json.loads(text)
    samples: dict[str, list[float]] = {}
    meta: dict[str, tuple[str, str]] = {}
    for e in events:
        name = str(e.get("name", ""))
        if e.get("cat") != "Node" or not name.endswith("_kernel_time"):
            continue
        base = name[: -len("_kernel_time")]
        samples.setdefault(base, []).append(float(e["dur"]))
        meta.setdefault(base, (str(e.get("args", {}).get("op_name", "?")), node_class(e, kinds)))
    out = []
    for base, v in samples.items():
        kept = v[1:] if len(v) > 1 and len(v) >= runs else v
        op, kind = meta[base]
        out.append(NodeTime(base, op, kind, statistics.median(kept)))
    return out


def by_class(nodes: Sequence[NodeTime]) -> dict[str, tuple[int, float]]:
    """Kernel kind → (count, total ms per run), largest first."""
    acc: dict[str, tuple[int, float]] = {}
    for n in nodes:
        c, ms = acc.get(n.kind, (0, 0.0))
        acc[n.kind] = (c + 1, ms + n.us / 1000)
    return dict(sorted(acc.items(), key=lambda kv: -kv[1][1]))


def _split_profiles(stdout: str, count: int) -> list[str]:
    texts = [""] * count
    current: int | None = None
    lines: list[str] = []
    for line in stdout.splitlines():
        if line.startswith(BEGIN):
            current, lines = int(line.split()[1]), []
        elif line.startswith(END) and current is not None:
            body = "\n".join(lines)
            texts[current] = body[body.index("["):] if "[" in body else "[]"
            current = None
        elif current is not None:
            lines.append(line)
    return texts


def node_and_ort() -> tuple[str, Path]:
    """The ``node`` executable and onnxruntime-web's dist folder (the one ``edgeward serve`` serves)."""
    from edgeward.vendor import check_runtime_files

    node = shutil.which("node")
    if node is None:
        raise ToolMissingError("timing onnxruntime-web's WASM kernels needs Node.js ('node' is not on PATH)")
    return node, check_runtime_files()


def _write_feeds(feeds: dict[str, np.ndarray], folder: Path, tag: str) -> dict[str, dict[str, Any]]:
    specs = {}
    for i, (name, arr) in enumerate(feeds.items()):
        if arr.dtype != np.float32:
            raise WasmTimingError(f"input '{name}': only float32 inputs are timed (got {arr.dtype})")
        f = folder / f"in-{tag}-{i}.bin"
        np.ascontiguousarray(arr, dtype="<f4").tofile(f)
        specs[name] = {"shape": list(arr.shape), "file": str(f)}
    return specs


def time_wasm(models: Sequence[Path], feeds: dict[str, np.ndarray], threads: int = 1, runs: int = 20,
              warmup: int = 3, profile_runs: int = 0,
              outputs_for: Sequence[dict[str, np.ndarray]] = ()) -> WasmTiming:
    """Time ``models`` (same inputs) in onnxruntime-web WASM with ``threads`` threads: ``runs`` interleaved
    runs each after ``warmup``; with ``profile_runs``, each model's per-kernel profile too; with
    ``outputs_for``, each model's outputs on those inputs (float32 outputs only)."""
    from edgeward.settings import get_settings

    node, dist = node_and_ort()
    script = get_settings().web_root / "tools" / "ort_wasm_timing.mjs"
    with tempfile.TemporaryDirectory(prefix="edgeward-wasm-") as tmp:
        out = Path(tmp) / "result.json"
        req = Path(tmp) / "request.json"
        outputs = [_write_feeds(f, Path(tmp), str(k)) for k, f in enumerate(outputs_for)]
        req.write_text(json.dumps({"ortDir": str(dist), "models": [str(Path(m).resolve()) for m in models],
                                   "threads": threads, "runs": runs, "warmup": warmup,
                                   "profileRuns": profile_runs, "inputs": _write_feeds(feeds, Path(tmp), "t"),
                                   "outputsFor": outputs, "outputsDir": tmp, "out": str(out)}))
        try:
            proc = subprocess.run([node, str(script), str(req)], capture_output=True, text=True, timeout=TIMEOUT_S,
                                  env=dict(os.environ))
        except subprocess.TimeoutExpired:
            raise WasmTimingError(f"onnxruntime-web timing in Node took over {TIMEOUT_S} s") from None
        if proc.returncode != 0 or not out.is_file():
            lines = [line for line in proc.stderr.strip().splitlines() if len(line) < 2000]  # not minified code
            errors = [line for line in lines if "Error" in line]
            tail = errors[-1] if errors else "\n".join(lines[-5:])
            raise WasmTimingError(f"onnxruntime-web timing in Node failed ({script.name}): {tail}")
        result = json.loads(out.read_text())
        got = [[{name: np.fromfile(v["file"], dtype="<f4").reshape(v["shape"]) for name, v in per_input.items()}
                for per_input in per_model] for per_model in result.get("outputs", [])]
    profiles: list[list[NodeTime]] = [[] for _ in models]
    if profile_runs:
        for i, text in enumerate(_split_profiles(proc.stdout, len(models))):
            if not text:
                raise WasmTimingError(f"{models[i]}: onnxruntime-web printed no profile")
            profiles[i] = parse_profile(text, profile_runs, conv_kinds(Path(models[i])))
    return WasmTiming(result["ortVersion"], int(result["threads"]), result["ms"], profiles, got)


def wasm_conv_ms(fp32: Path, int8: Path, feeds: dict[str, np.ndarray], threads: int = 1,
                 runs: int = 12) -> dict[str, tuple[float, float]]:
    """Per convolution of the fp32 graph, median kernel ms in the fp32 and in the int8 model in
    onnxruntime-web WASM (its profiler, ``runs`` runs each): the WASM twin of :func:`.timing.conv_ms`."""
    timing = time_wasm([fp32, int8], feeds, threads, runs=0, warmup=0, profile_runs=runs)
    owner = conv_owners(fp32)
    per_model = []
    for nodes in timing.profiles:
        ms: dict[str, float] = {}
        for n in nodes:
            conv = owner.get(base_name(n.name))
            if conv is not None and n.op in CONV_OPS:
                ms[conv] = ms.get(conv, 0.0) + n.us / 1000
        per_model.append(ms)
    fp, q = per_model
    return {k: (round(fp[k], 3), round(q[k], 3)) for k in fp if k in q}


def wasm_gate(manifest: Manifest, model: Path, feeds: Sequence[dict[str, np.ndarray]],
              reference: Sequence[dict[str, np.ndarray]], spec: GateSpec) -> GateResult:
    """The accuracy gate (edgeward.optimize.gate.measure) on onnxruntime-web WASM's own outputs of ``model``
    (Node, the .wasm the browser runs): a variant made for WASM is judged where it runs. Native onnxruntime's
    int8 kernels round differently (PoseNet int8-wasm at 257: 98.7 % in WASM, 86.2 % natively)."""
    from edgeward.optimize.gate import measure

    got = time_wasm([model], feeds[0], threads=1, runs=0, warmup=0, outputs_for=list(feeds)).outputs[0]
    by_feed = {id(f): o for f, o in zip(feeds, got, strict=True)}
    return measure(manifest, feeds, reference, lambda f: by_feed[id(f)], spec)
