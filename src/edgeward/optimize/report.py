"""How a variant's figures are shown: the summary table and its labels."""

from __future__ import annotations

import numpy as np
from rich.table import Table

from edgeward.package.manifest import FileEntry

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
        if key.startswith(("native_speedup", "wasm_speedup")):
            continue  # in the timing rows below
        table.add_row(LABELS.get(key, key.replace("_", " ")), _shown(key, value))
    for suffix, label in (("", "default threads"), ("_1thread", "1 thread")):
        fp, var = r.native_ms.get(f"fp32{suffix}"), r.native_ms.get(f"{variant}{suffix}")
        if fp and var:
            table.add_row(f"native onnxruntime, {label}",
                          f"fp32 {fp:.1f} ms, {variant} {var:.1f} ms (speed-up {fp / var:.2f}×)")
    for suffix, label in (("_1thread", "1 thread"), ("_2threads", "2 threads")):
        fp, var = r.wasm_ms.get(f"fp32{suffix}"), r.wasm_ms.get(f"{variant}{suffix}")
        if fp and var:
            table.add_row(f"onnxruntime-web WASM, {label}",
                          f"fp32 {fp:.1f} ms, {variant} {var:.1f} ms (speed-up {fp / var:.2f}×)")
    if r.target:
        table.add_row("tuned for", {"cpu": "native onnxruntime (CPU)", "wasm": "onnxruntime-web WASM",
                                    "kernels": "Edgeward's WASM kernels"}.get(r.target, r.target))
    if r.target != "kernels":  # the kernels' own split (3×3 and depthwise fp32) is in the method row
        kept = ", ".join(layer_names(r.excluded_nodes)) if r.excluded_nodes else ""
        table.add_row("kept in fp32", f"{len(r.excluded_nodes)} node(s)" + (f": {kept}" if kept else ""))
    table.add_row("method", r.method)
    table.add_row("calibration", f"{len(r.calibration)} photo(s)" if r.calibration else "-")
    table.add_row("held out", f"{len(r.heldout)} photo(s)")
    table.add_row("gate", r.gate)
    return table
