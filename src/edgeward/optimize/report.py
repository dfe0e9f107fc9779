"""Measured figures of a variant: native timing, the manifest entry (written atomically), a summary table."""

from __future__ import annotations

import os
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


def compare_ms(fp32: Path, variant: Path, feeds: dict[str, np.ndarray], name: str,
               rounds: int = 3) -> dict[str, float]:
    """fp32 vs variant with onnxruntime's default threads and with 1 thread (steadier on a busy
    machine). Rounds interleave the two models so that background load hits both alike; the best
    round's median counts."""
    out: dict[str, float] = {}
    for threads, suffix in ((None, ""), (1, "_1thread")):
        fp, var = [], []
        for _ in range(rounds):
            fp.append(native_ms(fp32, feeds, threads))
            var.append(native_ms(variant, feeds, threads))
        out[f"fp32{suffix}"], out[f"{name}{suffix}"] = round(min(fp), 2), round(min(var), 2)
    return out


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


def summary_table(name: str, variant: str, fp32_bytes: int, entry: FileEntry) -> Table:
    r = entry.report
    assert r is not None
    verdict = "[green]passed[/]" if r.gate_passed else "[red]FAILED[/]"
    table = Table(title=f"{name} {variant}: accuracy gate {verdict}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("file", f"{entry.path}: {entry.bytes:,} bytes ({r.bytes_ratio:.3f}× fp32's {fp32_bytes:,})")
    for key, value in r.metrics.items():
        if "agreement" in key or key == "same_place":
            shown = f"{value:.1%}"
        else:
            shown = f"{value:.2f}" if value != int(value) else f"{int(value)}"
        table.add_row(key.replace("_", " "), shown)
    for suffix, label in (("", "default threads"), ("_1thread", "1 thread")):
        fp, var = r.native_ms.get(f"fp32{suffix}"), r.native_ms.get(f"{variant}{suffix}")
        if fp and var:
            table.add_row(f"native onnxruntime, {label}",
                          f"fp32 {fp:.1f} ms, {variant} {var:.1f} ms (speed-up {fp / var:.2f}×)")
    kept = ", ".join(n.rsplit("/", 1)[-1] for n in r.excluded_nodes)
    table.add_row("kept in fp32", f"{len(r.excluded_nodes)} node(s)" + (f": {kept}" if kept else ""))
    table.add_row("calibration", f"{len(r.calibration)} photo(s)" if r.calibration else "-")
    table.add_row("held out", f"{len(r.heldout)} photo(s)")
    table.add_row("gate", r.gate)
    return table
