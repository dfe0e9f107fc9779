"""Measured figures of a variant: native timing, the manifest entry (written atomically), a summary table."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.table import Table

from edgeward.package.manifest import MANIFEST_FILE, FileEntry, Manifest, VariantReport, read_manifest
from edgeward.package.store import file_entry, verify_file


def native_ms(path: Path, feeds: dict[str, np.ndarray], threads: int | None = None, runs: int = 20,
              warmup: int = 3) -> float:
    """Median ms per inference in native onnxruntime (CPU provider; default threads when None)."""
    from edgeward.optimize.quantize import session

    sess = session(path, threads)
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
    from edgeward.optimize.quantize import session

    sessions = [session(m, threads) for m in models]
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


_FUSED_SUFFIX = re.compile(r"_(nchwc|token_\d+)$")


def conv_ms(fp32: Path, int8: Path, feeds: dict[str, np.ndarray], runs: int = 20) -> dict[str, tuple[float, float]]:
    """Per convolution of the fp32 graph, median kernel ms in the fp32 and in the int8 model (one
    thread, interleaved runs, from onnxruntime's profiler). Fused kernels keep the name of the
    Conv or of its activation plus a suffix; that is how they are traced back."""
    import onnx

    from edgeward.optimize.quantize import session

    graph = onnx.load(str(fp32)).graph
    owner = {n.name: n.name for n in graph.node if n.op_type == "Conv"}
    made_by = {o: n.name for n in graph.node if n.op_type == "Conv" for o in n.output}
    for n in graph.node:
        if n.op_type in ("Clip", "Relu") and n.input and n.input[0] in made_by:
            owner[n.name] = made_by[n.input[0]]
    with tempfile.TemporaryDirectory(prefix="edgeward-profile-") as tmp:
        sessions = []
        for i, path in enumerate((fp32, int8)):
            sess = session(path, 1, profile_prefix=str(Path(tmp) / f"p{i}"))
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


def install_variant(directory: Path, variant: str, model: Path, report: VariantReport) -> Manifest:
    """Put ``model`` into the package as ``model.<variant>.onnx`` and its entry into the manifest.

    The file is copied beside the package and renamed into place, then the manifest is written to
    a temporary file and renamed over the old one: readers see the old manifest or the new one.
    """
    manifest = read_manifest(directory / MANIFEST_FILE)
    target = directory / f"model.{variant}.onnx"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}-", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(model, tmp)
        entry = file_entry(tmp)
        entry = FileEntry(path=target.name, sha256=entry.sha256, bytes=entry.bytes, report=report)
        os.replace(tmp, target)
        verify_file(directory, entry)
        data = manifest.model_dump(mode="json")
        data["files"][variant] = entry.model_dump(mode="json")
        updated = Manifest.model_validate(data)
        fd, tmp_manifest = tempfile.mkstemp(prefix=".manifest-", dir=directory)
        with os.fdopen(fd, "w") as f:
            f.write(updated.to_json())
        os.replace(tmp_manifest, directory / MANIFEST_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    return updated


LABELS = {
    "keypoints": "fp32 keypoints counted (score ≥ 0.5)",
    "poses": "fp32 poses",
    "unmatched_poses": "fp32 poses with no match",
    "keypoint_agreement": "keypoint agreement",
    "mean_px_error": "mean error, px (misses included)",
    "mean_px_error_agreeing": "mean error of agreeing keypoints, px",
    "max_px_error": "largest error, px",
    "fp32_noise_keypoint_agreement": "for scale: fp32 vs fp32 ±1 grey level, agreement",
    "fp32_noise_mean_px_error": "for scale: fp32 vs fp32 ±1 grey level, mean px",
    "fp32_noise_top1_agreement": "for scale: fp32 vs fp32 ±1 grey level, top-1",
}


def layer_names(nodes: list[str]) -> list[str]:
    """Readable names for node names: the first path component after the prefix they all share."""
    parts = [n.split("/") for n in nodes]
    shared = 0
    if len(parts) > 1:
        while all(len(p) > shared + 1 and p[shared] == parts[0][shared] for p in parts):
            shared += 1
    else:
        shared = max(0, len(parts[0]) - 2) if parts else 0
    return list(dict.fromkeys(p[min(shared, len(p) - 1)] for p in parts))


def _shown(key: str, value: float) -> str:
    if "agreement" in key:
        return f"{value:.1%}"
    if not np.isfinite(value) or value != int(value):
        return f"{value:.2f}"
    return f"{int(value)}"


def summary_table(name: str, variant: str, fp32_bytes: int, entry: FileEntry) -> Table:
    r = entry.report
    assert r is not None
    verdict = "[green]passed[/]" if r.gate_passed else "[red]FAILED[/]"
    table = Table(title=f"{name} {variant}: accuracy gate {verdict}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("file", f"{entry.path}: {entry.bytes:,} bytes ({r.bytes_ratio:.3f}× fp32's {fp32_bytes:,})")
    for key, value in r.metrics.items():
        if key.startswith("native_speedup"):
            continue  # in the timing rows below
        table.add_row(LABELS.get(key, key.replace("_", " ")), _shown(key, value))
    for suffix, label in (("", "default threads"), ("_1thread", "1 thread")):
        fp, var = r.native_ms.get(f"fp32{suffix}"), r.native_ms.get(f"{variant}{suffix}")
        if fp and var:
            table.add_row(f"native onnxruntime, {label}",
                          f"fp32 {fp:.1f} ms, {variant} {var:.1f} ms (speed-up {fp / var:.2f}×)")
    kept = ", ".join(layer_names(r.excluded_nodes)) if r.excluded_nodes else ""
    table.add_row("kept in fp32", f"{len(r.excluded_nodes)} node(s)" + (f": {kept}" if kept else ""))
    table.add_row("method", r.method)
    table.add_row("calibration", f"{len(r.calibration)} photo(s)" if r.calibration else "-")
    table.add_row("held out", f"{len(r.heldout)} photo(s)")
    table.add_row("gate", r.gate)
    return table
