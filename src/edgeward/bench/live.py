"""Live-video configurations of ``edgeward bench``: pose pipelines fed by a fake webcam in headless Chromium.

Chromium plays a .y4m clip of real photos (640×480, 30 fps: faster than the models) as the camera
into a ``<video>``. Each configuration runs in a fresh page (web/apps/bench/live.html) the way an app
runs: on every video frame, one estimate unless one is in flight (frames are dropped, never queued).

- **Edgeward**: ``createPoseDetector(url, {backend: 'wasm', numThreads}).track(video, cb, {inFlight, start})``,
  the runtime's own video loop: 1 thread and N threads pipelined (two frames in flight, the next one
  captured just in time: the default), N threads with the next frame captured at once ('eager': the
  same throughput, one inference more latency), and N threads with one frame in flight (no pipelining). The runtime's
  worker does capture conversion, pre-processing, inference and decoding. When the package carries a smaller
  input size (edgeward.package.sizes), also N threads with ROI tracking and the crops at the smallest size
  (``track(video, cb, {roi: true, roiInputSize: 'smallest'})``; whole frames at the package's own size);
  its frames per input size are reported (``input_sizes``).
- **TF.js PoseNet pipeline**: ``@tensorflow-models/posenet`` on tfjs-backend-wasm, threads set to
  ``navigator.hardwareConcurrency`` (TF.js caps it; the count it really uses is reported), loading the
  same original model at the package's input size, ``net.estimateSinglePose(video)``.

Both decode a single pose. Per configuration: poses per second, end-to-end frame time (video frame →
pixels → pre-processing → inference → decoding → poses on the main thread), dropped video frames,
main-thread long tasks over the first ``long_task_frames`` estimates, and the JS heap (page and, for
Edgeward, its worker; a forced GC through CDP before each reading) before and after all ``frames``.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.errors import EdgewardError, OptionError
from edgeward.package.manifest import LetterboxPreprocess, Manifest, PoseNetPostprocess
from edgeward.package.sizes import input_sizes

LIVE_PATH = "/apps/bench/live.html"
MODE = "single pose (Edgeward: track() with maxPoses 1; TF.js: estimateSinglePose)"
MB = 1024 * 1024


@dataclass(frozen=True)
class LiveOptions:
    frames: int = 1000
    """Estimates per configuration; the JS heap is read before and after them."""
    long_task_frames: int = 300
    """Main-thread long tasks are counted over the first this many estimates."""
    min_seconds: float = 10.0
    """The loop also runs at least this long (throughput over a short run is noise)."""
    warmup: int = 10
    """Untimed estimates on video frames before the loop (after the first)."""
    camera_fps: int = 30
    """The fake webcam's frame rate: 30, as most webcams; a loop that keeps up with it is capped at that."""

    def check(self) -> None:
        if self.frames < 1 or self.long_task_frames < 1 or self.min_seconds < 0 or self.warmup < 0:
            raise OptionError(f"live video: --video-frames ({self.frames}) and --long-task-frames "
                                f"({self.long_task_frames}) must be at least 1, --video-seconds ({self.min_seconds}) "
                                f"and the warm-up ({self.warmup}) at least 0")
        if not 1 <= self.camera_fps <= 240:
            raise OptionError(f"live video: --camera-fps must be 1 to 240, not {self.camera_fps}")


def _race(ms: float) -> str:
    """A JS wrapper resolving to {status: 'error'} when the promise takes longer than ``ms``."""
    return (f"((p) => Promise.race([p, new Promise((resolve) => setTimeout(() => resolve({{status: 'error', "
            f"reason: 'timed out after {ms / 1000:.0f} s'}}), {ms:.0f}))]))")


class _WorkerSession:
    """CDP commands to a dedicated worker, through the page's session (a non-flattened target session)."""

    def __init__(self, page: Any, cdp: Any, target_id: str) -> None:
        self.page, self.cdp = page, cdp
        self.replies: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        cdp.on("Target.receivedMessageFromTarget", self._receive)
        self.session = cdp.send("Target.attachToTarget", {"targetId": target_id, "flatten": False})["sessionId"]

    def _receive(self, event: dict[str, Any]) -> None:
        if event.get("sessionId") == self.session:
            msg = json.loads(event["message"])
            if "id" in msg:
                self.replies[msg["id"]] = msg

    def send(self, method: str, timeout_s: float = 30.0) -> dict[str, Any]:
        i = next(self.ids)
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": self.session,
                                                     "message": json.dumps({"id": i, "method": method})})
        deadline = time.monotonic() + timeout_s
        while i not in self.replies:
            if time.monotonic() > deadline:
                raise EdgewardError(f"the worker did not answer {method} within {timeout_s:.0f} s")
            self.page.wait_for_timeout(10)  # lets Playwright dispatch the CDP event
        reply = self.replies.pop(i)
        if "error" in reply:
            raise EdgewardError(f"worker {method}: {reply['error']}")
        return dict(reply.get("result", {}))


def _heap(send: Any) -> dict[str, int]:
    """Force a full GC, then the V8 heap figures (bytes) of one target."""
    send("HeapProfiler.collectGarbage")
    usage = send("Runtime.getHeapUsage")
    return {"used": int(usage["usedSize"]), "total": int(usage["totalSize"]),
            "backing_storage": int(usage.get("backingStorageSize", 0))}


def _worker_session(page: Any, cdp: Any) -> _WorkerSession | None:
    """The Edgeward runtime's dedicated worker (named 'edgeward'; its script is the runtime's worker.js)."""
    targets = cdp.send("Target.getTargets")["targetInfos"]
    origin = page.url.split("/apps/")[0]
    workers = [t for t in targets if t["type"] == "worker" and t["url"].startswith(origin)
               and (t.get("title") == "edgeward" or t["url"].endswith("/worker.js"))]
    return _WorkerSession(page, cdp, workers[0]["targetId"]) if len(workers) == 1 else None


def _growth(before: dict[str, int] | None, after: dict[str, int] | None) -> dict[str, Any] | None:
    if before is None or after is None:
        return None
    return {"before_mb": round(before["used"] / MB, 3), "after_mb": round(after["used"] / MB, 3),
            "growth_mb": round((after["used"] - before["used"]) / MB, 3), "before": before, "after": after}


def _long_tasks(durations: list[float], frames: int) -> dict[str, Any]:
    return {"frames": frames, "count": len(durations), "max_ms": round(max(durations, default=0.0), 1),
            "total_ms": round(float(sum(durations)), 1)}


def keypoint_error(keypoints: list[dict[str, Any]] | None, reference: list[dict[str, Any]] | None,
                   min_score: float = 0.5, radius_px: float = 8.0) -> dict[str, Any] | None:
    """Pixel distance to the reference keypoints (by index) over those the reference scores ≥ ``min_score``, and
    how many lie within ``radius_px`` (the accuracy gate's radius)."""
    if not keypoints or not reference:
        return None
    d = [float(np.hypot(k["x"] - r["x"], k["y"] - r["y"]))
         for k, r in zip(keypoints, reference, strict=False) if r["score"] >= min_score]
    if not d:
        return None
    return {"mean_px": round(float(np.mean(d)), 2), "max_px": round(float(np.max(d)), 2), "keypoints": len(d),
            "within_radius": sum(x <= radius_px for x in d)}


def posenet_multiplier(model_json: Path) -> float | None:
    """MobileNetV1 width multiplier of a PoseNet graph: channels out of its first conv / 32 (None if unknown)."""
    data = json.loads(model_json.read_text())
    shapes = {w["name"]: w["shape"] for g in data.get("weightsManifest", []) for w in g.get("weights", [])}
    for node in data.get("modelTopology", {}).get("node", []):
        if "Conv2d_0" in node["name"] and "Conv2D" in node["op"] and len(node.get("input", [])) > 1:
            shape = shapes.get(node["input"][1].split(":")[0])
            if shape and len(shape) == 4:
                return float(shape[3]) / 32.0
    return None


def _tfjs_posenet_options(post: PoseNetPostprocess, size: list[int], model_url: str,
                          model_json: Path | None) -> dict[str, Any]:
    """posenet.load() options for the same model at the same input size as the package."""
    multiplier = posenet_multiplier(model_json) if model_json else None
    return {"modelUrl": model_url, "outputs": dict(post.outputs), "outputStride": post.output_stride,
            "inputResolution": size[0] if size[0] == size[1] else {"height": size[0], "width": size[1]},
            "multiplier": multiplier if multiplier in (0.5, 0.75, 1.0) else 1.0}


@dataclass
class LiveTarget:
    id: str
    label: str
    runtime: str
    kind: str  # 'edgeward' | 'tfjs-posenet'
    options: dict[str, Any]
    threads: int | None
    report_cores: int | None = None
    """Make the page report this many logical cores (report_cores_script); None: the machine's."""


def report_cores_script(cores: int) -> str:
    """A page init script: navigator.hardwareConcurrency answers ``cores``. TF.js's WASM backend uses at
    most half the cores a page reports, so a page reporting 2N cores lets it run N threads — TF.js as it
    runs on a machine with twice the cores, at the same thread count as Edgeward here."""
    return ("Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', "
            f"{{get: () => {int(cores)}, configurable: true}});")


def live_targets(manifest: Manifest, threads_n: int, tfjs_model_url: str | None,
                 model_json: Path | None, variant: str | None = None) -> tuple[list[LiveTarget], list[dict[str, Any]]]:
    """The live configurations to run, and those that cannot run here (as report entries). Edgeward runs
    ``variant`` (None: the one its runtime picks)."""
    pkg_url = f"/models/{manifest.name}/{manifest.version}/"
    def edgeward(t: int, in_flight: int, start: str = "just-in-time") -> LiveTarget:
        serial = in_flight == 1
        eager = start == "eager" and not serial
        mode = ", one frame in flight" if serial else ", next frame captured at once" if eager else ""
        return LiveTarget(f"live-edgeward-wasm-{t}{'-serial' if serial else ''}{'-eager' if eager else ''}",
                          f"Edgeward runtime, WASM {t} thread{'s' if t > 1 else ''}{mode}",
                          "onnxruntime-web (Edgeward)", "edgeward",
                          {"packageUrl": pkg_url, "numThreads": t, "inFlight": in_flight, "start": start,
                           "variant": variant}, t)

    many = [edgeward(threads_n, 1), edgeward(threads_n, 2, "eager"), edgeward(threads_n, 2)] if threads_n > 1 \
        else [edgeward(1, 1)]
    targets = [edgeward(1, 2), *many]
    smallest = smallest_input_size(manifest)
    if smallest is not None:  # ROI crops (the tracked person fills them) at the smallest size the package carries
        plain = edgeward(threads_n, 2)
        targets.append(LiveTarget(f"{plain.id}-roi-smallest", f"{plain.label}, ROI + smallest input "
                                  f"({smallest[0]}x{smallest[1]} on crops)", plain.runtime, plain.kind,
                                  {**plain.options, "roi": True, "roiInputSize": "smallest"}, threads_n))
    if "int8-kernels" in manifest.files:  # Edgeward's own kernels: one thread, the next frame captured just in time
        options = {"packageUrl": pkg_url, "backend": "kernels", "numThreads": 1, "inFlight": 2, "start": "just-in-time",
                   "variant": None}
        label = "Edgeward runtime, Edgeward kernels (int8-kernels), 1 thread"
        targets.append(LiveTarget("live-edgeward-kernels-1", label, "Edgeward kernels", "edgeward", options, 1))
        if smallest is not None:
            targets.append(LiveTarget("live-edgeward-kernels-1-roi-smallest", f"{label}, ROI + smallest input "
                                      f"({smallest[0]}x{smallest[1]} on crops)", "Edgeward kernels", "edgeward",
                                      {**options, "roi": True, "roiInputSize": "smallest"}, 1))
    skipped: list[dict[str, Any]] = []
    label = "TF.js PoseNet pipeline (@tensorflow-models/posenet, WASM)"
    post = manifest.postprocess
    pre = manifest.preprocess
    if not isinstance(post, PoseNetPostprocess) or not isinstance(pre, LetterboxPreprocess):
        skipped.append(_live_config("live-tfjs-posenet", label, "TF.js", None, status="unavailable",
                                    reason="the TF.js pipeline is @tensorflow-models/posenet: PoseNet packages only"))
    elif tfjs_model_url is None:
        skipped.append(_live_config("live-tfjs-posenet", label, "TF.js", None, status="unavailable",
                                    reason="the package has no original TF.js model"))
    else:
        options = _tfjs_posenet_options(post, list(pre.size), tfjs_model_url, model_json)
        targets.append(LiveTarget("live-tfjs-posenet", label, "TF.js", "tfjs-posenet", options, threads_n))
        if threads_n > 1:
            targets.append(LiveTarget("live-tfjs-posenet-equal", f"{label}, page reporting {2 * threads_n} cores",
                                      "TF.js", "tfjs-posenet", options, threads_n, report_cores=2 * threads_n))
    return targets, skipped


def smallest_input_size(manifest: Manifest) -> tuple[int, int] | None:
    """The smallest input size a pose package carries, when it is smaller than its own (else None)."""
    if manifest.preprocess is None:
        return None
    sizes = input_sizes(manifest)
    smallest = min(sizes, key=lambda s: s[0] * s[1])
    return smallest if smallest[0] * smallest[1] < sizes[0][0] * sizes[0][1] else None


def _live_config(cid: str, label: str, runtime: str, threads: int | None, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": cid, "label": label, "runtime": runtime, "backend": "wasm", "threads": threads,
                            "status": "ok", "reason": None, "load_ms": None, "first_frame_ms": None,
                            "frames": None, "seconds": None, "poses_per_second": None, "e2e_ms": None,
                            "long_tasks": None, "heap": None}
    base.update(fields)
    return base


def run_live_target(context: Any, base: str, target: LiveTarget, still: bytes,
                    reference: list[dict[str, Any]] | None, opts: LiveOptions,
                    progress: Any) -> dict[str, Any]:
    """One live configuration in a fresh page of ``context`` (launched with the fake camera)."""
    from edgeward.bench.harness import stats

    page = context.new_page()
    if target.report_cores:
        page.add_init_script(report_cores_script(target.report_cores))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.expose_function("edgewardProgress", lambda msg: progress(f"live: {target.label}: {msg}"))
    fail = _live_config(target.id, target.label, target.runtime, target.threads, status="error")
    try:
        page.goto(base + LIVE_PATH)
        page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
        cdp = context.new_cdp_session(page)
        camera = page.evaluate(f"{_race(30_000)}(window.edgewardLive.openCamera())")
        if camera.get("status") != "ok":
            return {**fail, "reason": f"camera: {camera.get('reason')}"}
        progress(f"live: {target.label}: loading")
        options = {**target.options, "stillBytes": list(still)}
        prep = page.evaluate(f"([k, o, w]) => {_race(300_000)}(window.edgewardLive.prepare(k, o, w))",
                             [target.kind, options, opts.warmup])
        if prep.get("status") != "ok":
            return {**fail, "reason": prep.get("reason")}
        worker = _worker_session(page, cdp) if target.kind == "edgeward" else None
        page_before = _heap(lambda m: cdp.send(m))
        worker_before = _heap(worker.send) if worker else None
        progress(f"live: {target.label}: {opts.frames} frames")
        limit_ms = 1000 * (300 + opts.min_seconds + 2.0 * opts.frames)
        r = page.evaluate(f"([o]) => {_race(limit_ms)}(window.edgewardLive.run(o))",
                          [{"frames": opts.frames, "minSeconds": opts.min_seconds,
                            "longTaskFrames": opts.long_task_frames}])
        if r.get("status") != "ok":
            return {**fail, "reason": r.get("reason"), "load_ms": round(prep["loadMs"], 2)}
        page_after = _heap(lambda m: cdp.send(m))
        worker_after = _heap(worker.send) if worker else None
        page.evaluate(f"{_race(30_000)}(window.edgewardLive.dispose())")
        seconds = float(r["seconds"])
        fields: dict[str, Any] = {
            "backend": prep.get("backend") or "wasm", "threads": prep.get("threads"),
            "threads_asked": prep.get("threadsAsked"), "reason": prep.get("reason"),
            "variant": prep.get("variant"),  # Edgeward: the package file its worker ran
            "load_ms": round(prep["loadMs"], 2), "first_frame_ms": round(prep["firstFrameMs"], 2),
            "frames": r["frames"], "seconds": round(seconds, 2),
            "poses_per_second": round(r["frames"] / seconds, 2) if seconds > 0 else None,
            "e2e_ms": stats(r["e2eMs"]),
            "video_frames": r["videoFrames"], "dropped_frames": r["dropped"],
            "frames_with_pose": r["withPose"],
            "long_tasks": _long_tasks(r["longTasksMs"], r["longTaskFrames"]),
            "long_tasks_all_frames": _long_tasks(r["allLongTasksMs"], r["frames"]),
            "heap": {"frames": r["frames"], "page": _growth(page_before, page_after),
                     "worker": _growth(worker_before, worker_after)},
            "still_vs_python": keypoint_error(prep.get("stillKeypoints"), reference),
            # the Edgeward worker's own mean timings per frame (preprocessMs, inferenceMs, decodeMs, ...)
            "worker_timings_ms": {k: round(float(v), 2) for k, v in r["workerTimingsMs"].items()}
            if r.get("workerTimingsMs") else None,
            # Edgeward: results per model input size, e.g. {'257x257': 290, '385x385': 10} with ROI + smallest input
            "input_sizes": r.get("inputSizes"),
            "camera": {k: camera[k] for k in ("width", "height", "frameRate")},
            "page_errors": errors,
        }
        if target.kind == "tfjs-posenet":
            fields["tfjs"] = {"version": prep.get("version"), "scripts_ms": round(prep["scriptsMs"], 2),
                              "multithread_build": prep.get("multithreadBuild"),
                              "model_options": {k: v for k, v in target.options.items() if k != "outputs"},
                              "tensors_before": (prep.get("memory") or {}).get("numTensors"),
                              "tensors_after": (r.get("memory") or {}).get("numTensors")}
        return {**_live_config(target.id, target.label, target.runtime, target.threads), **fields}
    except Exception as e:  # a broken configuration is reported, the others still run
        return {**fail, "reason": f"{type(e).__name__}: {e}".strip()[:500], "page_errors": errors}
    finally:
        page.close()


def throughput_ratios(configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Live poses per second of Edgeward over the TF.js pipeline's, from the same run: every Edgeward
    configuration over TF.js as users get it ('live-tfjs-posenet'), and the Edgeward configurations with
    TF.js's thread count over TF.js at equal threads ('live-tfjs-posenet-equal', when it ran); those with fewer
    threads (Edgeward's kernels, one thread) over it as 'TF.js with more threads'."""
    ratios = []
    for tid, versus in (("live-tfjs-posenet", "as users get it"), ("live-tfjs-posenet-equal", "at equal threads")):
        tfjs = next((c for c in configs if c["id"] == tid and c["status"] == "ok"), None)
        if tfjs is None or not tfjs["poses_per_second"]:
            continue
        for c in configs:
            if c["runtime"] == "TF.js" or c["status"] != "ok" or not c["poses_per_second"]:
                continue
            against = versus
            if tid == "live-tfjs-posenet-equal" and c.get("threads") != tfjs.get("threads"):
                if (c.get("threads") or 0) >= (tfjs.get("threads") or 0):
                    continue
                against = "TF.js with more threads"
            ratios.append({"edgeward": c["id"], "tfjs": tid, "versus": against, "label": c["label"],
                           "ratio": round(c["poses_per_second"] / tfjs["poses_per_second"], 2)})
    return ratios


def live_section(configs: list[dict[str, Any]], opts: LiveOptions) -> dict[str, Any]:
    camera = next((c["camera"] for c in configs if c.get("camera")), None)
    return {"options": asdict(opts), "mode": MODE, "camera": camera, "configs": configs,
            "throughput_ratio": throughput_ratios(configs)}
