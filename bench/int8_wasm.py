"""fp32 vs int8 vs int8-wasm in onnxruntime-web WASM: per kernel class in Node, accuracy on WASM's own
outputs, and inference in Chromium through the Edgeward runtime, at 1 and 2 threads.

    EDGEWARD_HOME=... .venv/bin/python bench/int8_wasm.py [--package posenet] [--runs 30] [--rounds 3]
                                                          [--no-chromium | --no-node] [--out report.json]

The package needs the variants (``edgeward quantize posenet --to int8`` and ``--to int8 --target wasm``).
Node (web/tools/ort_wasm_timing.mjs, the .wasm Chromium runs): one process per thread count times every
variant, interleaved run by run, then profiles each (onnxruntime-web's profiler; kernels grouped by op
and shape class). Accuracy: each variant's outputs in WASM on the 12 held-out photos, judged by the same
accuracy gate as ``edgeward quantize`` (which judges native onnxruntime's). Chromium: the bench page
(web/apps/bench, ``interleaved``) holds one createPoseDetector per variant with {backend: 'wasm',
numThreads, variant} and runs them frame by frame in turn (order reversed every other frame); per
configuration min and p50 of the worker's inference time over all rounds, the ratios of those to fp32's,
and the median of the paired per-frame ratios fp32 / variant. Then onnxruntime-web alone in one dedicated
worker (every variant's session in one WASM instance, a fixed input, runs in turn), the same figures.
Machines are shared: compare ratios within one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.optimize.gate import GateSpec, reference_inputs
from edgeward.optimize.wasm_timing import by_class, time_wasm, wasm_gate
from edgeward.package.manifest import MANIFEST_FILE, read_manifest
from edgeward.package.store import package_dir
from edgeward.runtime.image import load_image
from edgeward.runtime.preprocess import letterbox
from edgeward.runtime.samples import sample_path
from edgeward.runtime.session import build_session, runner
from edgeward.zoo.photos import heldout_photos

VARIANTS = ("fp32", "int8", "int8-wasm")


def node_section(directory: Path, variants: list[str], feeds: dict[str, np.ndarray], runs: int,
                 threads: int, profile_runs: int) -> dict[str, Any]:
    manifest = read_manifest(directory / MANIFEST_FILE)
    paths = [directory / manifest.files[v].path for v in variants]
    t = time_wasm(paths, feeds, threads=threads, runs=runs, warmup=3, profile_runs=profile_runs)
    out: dict[str, Any] = {"ort_version": t.ort_version, "threads": threads, "models": {}}
    for i, v in enumerate(variants):
        classes = by_class(t.profiles[i]) if t.profiles[i] else {}
        out["models"][v] = {**t.stats(i), "classes": {k: [c, round(ms, 2)] for k, (c, ms) in classes.items()}}
    fp = out["models"]["fp32"]
    for v in variants[1:]:
        m = out["models"][v]
        m["speedup_p50"], m["speedup_min"] = round(fp["p50"] / m["p50"], 3), round(fp["min"] / m["min"], 3)
    return out


def wasm_accuracy(directory: Path, variants: list[str]) -> dict[str, dict[str, float]]:
    """Each variant's outputs in onnxruntime-web WASM on the held-out photos, against native fp32's (the
    quantizer's reference), through the same gate."""
    manifest = read_manifest(directory / MANIFEST_FILE)
    feeds = reference_inputs(heldout_photos(), manifest)
    fp32 = directory / manifest.files["fp32"].path
    reference = [runner(build_session(fp32))(f) for f in feeds]
    spec = GateSpec()
    out = {}
    for v in variants:
        result = wasm_gate(manifest, directory / manifest.files[v].path, feeds, reference, spec)
        out[v] = {**{k: round(x, 4) for k, x in result.metrics.items()}, "passed": result.passed}
    return out


def chromium_section(manifest_name: str, version: str, task: str, variants: list[str], runs: int, rounds: int,
                     image: Path) -> dict[str, Any]:
    from edgeward.bench.harness import BENCH_PATH, TIMEOUT_JS
    from edgeward.browser.chromium import chromium_context
    from edgeward.server.background import serve_in_thread

    url = f"/models/{manifest_name}/{version}/"
    b64 = base64.b64encode(image.read_bytes()).decode()
    run_js = """async ([url, task, b64, runs, warmup, opts]) => _timeout(window.edgewardBench.interleaved(
        url, task, Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)), runs, warmup, opts))""".replace(
        "_timeout", TIMEOUT_JS)
    samples: dict[str, list[float]] = {}
    info: dict[str, Any] = {}
    with serve_in_thread() as base, chromium_context() as context:
        page = context.new_page()
        page.goto(base + BENCH_PATH)
        page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        info = page.evaluate("() => window.edgewardBench.info()")
        for r in range(rounds):
            for threads in (1, 2):
                opts = [{"backend": "wasm", "numThreads": threads, "variant": v} for v in variants]
                res = page.evaluate(run_js, [url, task, b64, runs, 3, opts])
                if res.get("status") != "ok":
                    raise SystemExit(f"Chromium, {threads} thread(s): {res.get('reason')}")
                for v, c in zip(variants, res["configs"], strict=True):
                    if c["variant"] != v or c["threads"] != threads:
                        raise SystemExit(f"asked {v} at {threads} thread(s), ran {c['variant']} at {c['threads']} "
                                         f"({c['reason']})")
                    samples.setdefault(f"{v}@{threads}", []).extend(c["inferenceMs"])
                print(f"  round {r + 1}, {threads} thread(s): " + ", ".join(
                    f"{v} p50 {statistics.median(c['inferenceMs']):.1f} ms"
                    for v, c in zip(variants, res["configs"], strict=True)), file=sys.stderr)
    out: dict[str, Any] = {"browser": info.get("userAgent"), "cross_origin_isolated": info.get("crossOriginIsolated"),
                           "runs_per_round": runs, "rounds": rounds, "configs": {}}
    for key, s in samples.items():
        v, n = key.split("@")
        fp = samples[f"fp32@{n}"]  # run i of each variant came right after (or before) run i of fp32
        out["configs"][key] = {"variant": v, "threads": int(n), "min": round(min(s), 2),
                               "p50": round(statistics.median(s), 2), "n": len(s),
                               "speedup_p50": round(statistics.median(fp) / statistics.median(s), 3),
                               "speedup_min": round(min(fp) / min(s), 3),
                               "paired_speedup_p50": round(statistics.median(
                                   a / b for a, b in zip(fp, s, strict=True)), 3)}
    return out


# onnxruntime-web itself in one dedicated worker (no Edgeward runtime around it): every variant's session in
# the same WASM instance, run in turn on a fixed input, as web/tools/ort_wasm_timing.mjs does in Node.
RAW_WORKER = """
self.onmessage = async (e) => {
  const [urls, threads, runs, base] = e.data;
  try {
    const ort = await import(base + '/vendor/onnxruntime-web/ort.wasm.min.mjs');
    ort.env.wasm.wasmPaths = base + '/vendor/onnxruntime-web/';
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = false;
    const x = new ort.Tensor('float32', new Float32Array(385 * 385 * 3).map((_, i) => ((i * 7919) % 255) / 127.5 - 1),
      [1, 385, 385, 3]);
    const sessions = [];
    for (const u of urls) {
      const bytes = new Uint8Array(await (await fetch(base + u)).arrayBuffer());
      const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }; // as web/src/backends.js
      sessions.push(await ort.InferenceSession.create(bytes, options));
    }
    const feeds = (s) => ({ [s.inputNames[0]]: x });
    for (const s of sessions) for (let i = 0; i < 3; i++) await s.run(feeds(s));
    const ms = sessions.map(() => []);
    for (let i = 0; i < runs; i++) {
      for (const j of sessions.map((_, k) => (i % 2 ? sessions.length - 1 - k : k))) {
        const t = performance.now();
        await sessions[j].run(feeds(sessions[j]));
        ms[j].push(performance.now() - t);
      }
    }
    self.postMessage({ ms });
  } catch (err) {
    self.postMessage({ error: String(err) });
  }
};
"""
RAW_JS = """async ([src, urls, threads, runs]) => {
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
  const r = await new Promise((resolve) => {
    w.onmessage = (e) => resolve(e.data);
    w.postMessage([urls, threads, runs, location.origin]);
  });
  w.terminate();
  return r;
}"""


def chromium_raw_section(manifest_name: str, version: str, files: dict[str, str], runs: int) -> dict[str, Any]:
    from edgeward.bench.harness import BENCH_PATH
    from edgeward.browser.chromium import chromium_context
    from edgeward.server.background import serve_in_thread

    urls = [f"/models/{manifest_name}/{version}/{path}" for path in files.values()]
    out: dict[str, Any] = {"runs": runs, "configs": {}}
    with serve_in_thread() as base, chromium_context() as context:
        page = context.new_page()
        page.goto(base + BENCH_PATH)
        page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        for threads in (1, 2):
            r = page.evaluate(RAW_JS, [RAW_WORKER, urls, threads, runs])
            if "error" in r:
                raise SystemExit(f"onnxruntime-web in a Chromium worker, {threads} thread(s): {r['error']}")
            fp = r["ms"][0]
            for v, s in zip(files, r["ms"], strict=True):
                out["configs"][f"{v}@{threads}"] = {
                    "variant": v, "threads": threads, "min": round(min(s), 2), "p50": round(statistics.median(s), 2),
                    "speedup_p50": round(statistics.median(fp) / statistics.median(s), 3),
                    "speedup_min": round(min(fp) / min(s), 3),
                    "paired_speedup_p50": round(statistics.median(a / b for a, b in zip(fp, s, strict=True)), 3)}
    return out


def print_chromium(title: str, sec: dict[str, Any]) -> None:
    print(title)
    for c in sec["configs"].values():
        print(f"  {c['variant']:<10} {c['threads']} thread(s): min {c['min']:7.1f} ms  p50 {c['p50']:7.1f} ms  "
              f"fp32/variant: p50 {c['speedup_p50']:.2f}×, min {c['speedup_min']:.2f}×, "
              f"median of paired runs {c['paired_speedup_p50']:.2f}×")


def print_node(sec: dict[str, Any], runs: int) -> None:
    print(f"\nNode, onnxruntime-web {sec['ort_version']} WASM, {sec['threads']} thread(s), {runs} interleaved runs:")
    for v, m in sec["models"].items():
        extra = f"  fp32/variant p50 {m['speedup_p50']:.2f}×, min {m['speedup_min']:.2f}×" if v != "fp32" else ""
        print(f"  {v:<10} min {m['min']:7.1f} ms  p50 {m['p50']:7.1f} ms{extra}")
    for v, m in sec["models"].items():
        total = sum(ms for _, ms in m["classes"].values()) or 1.0
        shown = [f"{k} ×{c} {ms:.1f} ms ({ms / total:.0%})" for k, (c, ms) in m["classes"].items()
                 if ms / total >= 0.005]
        print(f"  profile {v} ({total:.1f} ms of kernels per run): " + "; ".join(shown))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="posenet")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per model and thread count (Node), "
                                                             "per configuration and round (Chromium)")
    parser.add_argument("--rounds", type=int, default=3, help="Chromium rounds")
    parser.add_argument("--profile-runs", type=int, default=10)
    parser.add_argument("--no-chromium", action="store_true")
    parser.add_argument("--no-node", action="store_true", help="Chromium only (no Node timing, no accuracy)")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here (JSON)")
    args = parser.parse_args()
    directory = package_dir(args.package)
    manifest = read_manifest(directory / MANIFEST_FILE)
    variants: list[str] = [v for v in VARIANTS if v in manifest.files]
    image = sample_path("astronaut.png")
    x, _ = letterbox(load_image(image), manifest.preprocess)
    feeds = {manifest.inputs[0].name: x}
    report: dict[str, Any] = {"package": f"{manifest.name}@{manifest.version}", "variants": variants,
                              "bytes": {v: manifest.files[v].bytes for v in variants},
                              "reports": {v: manifest.files[v].report.model_dump(mode="json")  # type: ignore[union-attr]
                                          for v in variants if manifest.files[v].report is not None}}
    print(f"{report['package']}: bytes " + ", ".join(f"{v} {b:,} ({b / report['bytes']['fp32']:.3f}×)"
                                                     for v, b in report["bytes"].items()))
    if not args.no_node:
        report["node"] = [node_section(directory, variants, feeds, args.runs, n, args.profile_runs) for n in (1, 2)]
        for sec in report["node"]:
            print_node(sec, args.runs)
        report["accuracy_wasm"] = wasm_accuracy(directory, variants)
        print("\nAccuracy gate on onnxruntime-web WASM's outputs (12 held-out photos, vs native fp32):")
        for v, m in report["accuracy_wasm"].items():
            print(f"  {v:<10} {'passed' if m['passed'] else 'FAILED'}: agreement {m.get('keypoint_agreement', 0):.1%}, "
                  f"mean {m.get('mean_px_error', 0):.2f} px, max {m.get('max_px_error', 0):.1f} px")
    if not args.no_chromium:
        print("\nChromium (Edgeward runtime, worker's inference time):", file=sys.stderr)
        sec = chromium_section(manifest.name, manifest.version, manifest.task, variants, args.runs, args.rounds, image)
        report["chromium"] = sec
        print_chromium(f"\nChromium, Edgeward runtime, {sec['rounds']} rounds × {sec['runs_per_round']} runs, "
                       f"cross-origin isolated {sec['cross_origin_isolated']}:", sec)
        files = {v: manifest.files[v].path for v in variants}
        report["chromium_raw"] = chromium_raw_section(manifest.name, manifest.version, files, args.runs * args.rounds)
        print_chromium(f"\nChromium, onnxruntime-web alone in one worker, {args.runs * args.rounds} interleaved runs:",
                       report["chromium_raw"])
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
