"""What running the ROI crop at a smaller input size costs, on the live bench's camera clip (bench/roi_small_input.py).

The clip is the one ``edgeward bench`` plays as Chromium's fake webcam (:func:`edgeward.bench.camera.bench_clip`:
real photos, 640×480), read back frame by frame as the browser decodes it. Every frame is estimated (single
pose, the runtime's default options, as ``track()`` does) under each configuration:

- **whole frame** at the package's own size (385 for PoseNet): the reference;
- **ROI tracking**: each frame on the crop :func:`edgeward.tasks.roi.next_roi` makes from the previous frame's
  pose (the whole frame when there is none), as ``track(video, cb, {roi: true})`` does in the browser; the crop
  run at the package's size, or at a smaller one it carries (257), whole frames staying at the package's size;
- **whole frame** at the smaller size, for scale.

Per configuration, against the reference: **keypoint agreement**, the share of the reference pose's keypoints
scored >= ``min_score`` (0.5) whose keypoint in the configuration's pose lies within ``radius_px`` (8 px of the
640×480 frame; a frame where the configuration finds no pose counts all of them as misses); **mean px error**
over those keypoints in frames where both found a pose; **poses found** against the reference's. Speed:
native onnxruntime on one thread, the package's file at each size on the same letterboxed frame, interleaved
runs, median ms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.bench.camera import bench_clip, read_y4m
from edgeward.package.sizes import Size, file_for_size, input_sizes
from edgeward.package.store import verify_file
from edgeward.runtime.preprocess import letterbox
from edgeward.runtime.session import build_session, runner
from edgeward.tasks.handles import PoseHandle
from edgeward.tasks.roi import next_roi


@dataclass(frozen=True)
class Config:
    name: str
    roi: bool
    """Track an ROI from the previous frame's pose."""
    crop_size: Size | None
    """The input size of frames run on a crop (None: the package's own)."""
    whole_size: Size | None = None
    """The input size of frames run whole."""


@dataclass
class ConfigResult:
    name: str
    frames: int
    crops: int
    """Frames run on an ROI crop (the others whole)."""
    poses: int
    reference_poses: int
    keypoints: int
    """Reference keypoints counted (score >= min_score)."""
    agreement: float
    mean_px_error: float
    max_px_error: float
    estimate_ms: float
    """Mean ms per frame of the whole estimate (pre-processing, inference, decoding) on the handle's threads."""
    by_photo: dict[str, dict[str, float]]
    """keypoints, agreement, mean_px_error, max_px_error, poses and reference_poses over each photo's frames."""


CLIP_PHOTOS = ("astronaut", "two people", "astronaut, mirrored")
"""The photos of :func:`edgeward.bench.camera.sample_images`, in the clip's order. Single-pose decoding on the
two people takes each keypoint from either person (its argmax), so the whole-frame reference there is a mix
of both and a crop around one of them disagrees with it by design."""


def clip_frames(repeat: int = 10) -> tuple[list[np.ndarray], list[str]]:
    """The live bench's camera clip (640×480, each photo ``repeat`` frames) as RGB frames, via the .y4m file,
    and the photo of each frame (:data:`CLIP_PHOTOS`)."""
    with tempfile.TemporaryDirectory(prefix="edgeward-clip-") as tmp:
        frames = read_y4m(bench_clip(Path(tmp) / "camera.y4m", repeat=repeat))
    return frames, [CLIP_PHOTOS[i // repeat] for i in range(len(frames))]


def default_configs(handle: PoseHandle) -> list[Config]:
    own, *smaller = input_sizes(handle.manifest)
    small = smaller[-1] if smaller else own  # the smallest the package carries
    label = f"{small[0]}x{small[1]}" if small[0] != small[1] else str(small[0])
    big = f"{own[0]}x{own[1]}" if own[0] != own[1] else str(own[0])
    return [Config(f"whole frame @{big} (reference)", False, None),
            Config(f"ROI, crop @{big}", True, None),
            Config(f"ROI, crop @{label}", True, small),
            Config(f"whole frame @{label}", False, None, small)]


def run_config(handle: PoseHandle, frames: Sequence[np.ndarray], config: Config) -> tuple[list[list[dict]], int, float]:
    """(poses per frame, frames run on a crop, mean ms per estimate) under ``config``."""
    own = input_sizes(handle.manifest)[0]
    roi = None
    out, crops, ms = [], 0, []
    for frame in frames:
        size = config.crop_size if roi is not None else config.whole_size
        t0 = time.perf_counter()
        poses = handle.estimate_poses(frame, roi=roi, input_size=size)
        ms.append((time.perf_counter() - t0) * 1e3)
        crops += roi is not None
        out.append(poses)
        if config.roi:
            height, width = frame.shape[:2]
            roi = next_roi(poses, width, height, config.crop_size or own)
    return out, crops, statistics.fmean(ms)


def agreement(reference: Sequence[list[dict]], candidate: Sequence[list[dict]], min_score: float = 0.5,
              radius_px: float = 8.0) -> dict[str, Any]:
    """Keypoint agreement of ``candidate``'s first pose with ``reference``'s, frame by frame (module doc)."""
    distances: list[float] = []
    counted = agreeing = 0
    for ref, cand in zip(reference, candidate, strict=True):
        if not ref:
            continue
        keep = [i for i, k in enumerate(ref[0]["keypoints"]) if k["score"] >= min_score]
        counted += len(keep)
        if not cand:
            continue
        for i in keep:
            a, b = ref[0]["keypoints"][i], cand[0]["keypoints"][i]
            d = float(np.hypot(a["x"] - b["x"], a["y"] - b["y"]))
            distances.append(d)
            agreeing += d <= radius_px
    return {"keypoints": counted, "agreement": agreeing / counted if counted else float("nan"),
            "mean_px_error": statistics.fmean(distances) if distances else float("nan"),
            "max_px_error": max(distances, default=float("nan"))}


def compare(handle: PoseHandle, frames: Sequence[np.ndarray], photos: Sequence[str] | None = None,
            configs: Sequence[Config] | None = None, min_score: float = 0.5, radius_px: float = 8.0
            ) -> list[ConfigResult]:
    """Every configuration on every frame, measured against the first (the reference), over all frames and
    over each photo's (``photos``: the photo of each frame)."""
    configs = list(configs or default_configs(handle))
    labels = list(photos or ["clip"] * len(frames))
    runs = [run_config(handle, frames, c) for c in configs]
    reference = runs[0][0]
    results = []
    for config, (poses, crops, ms) in zip(configs, runs, strict=True):
        scores = agreement(reference, poses, min_score, radius_px)
        by_photo = {}
        for photo in dict.fromkeys(labels):
            at = [i for i, p in enumerate(labels) if p == photo]
            ref, cand = [reference[i] for i in at], [poses[i] for i in at]
            by_photo[photo] = {**agreement(ref, cand, min_score, radius_px), "poses": sum(bool(p) for p in cand),
                               "reference_poses": sum(bool(p) for p in ref)}
        results.append(ConfigResult(config.name, len(frames), crops, sum(bool(p) for p in poses),
                                    sum(bool(p) for p in reference), scores["keypoints"], scores["agreement"],
                                    scores["mean_px_error"], scores["max_px_error"], ms, by_photo))
    return results


def inference_ms(handle: PoseHandle, frame: np.ndarray, runs: int = 30, threads: int = 1) -> dict[str, float]:
    """Median ms of one inference in native onnxruntime on ``threads`` thread(s), the file of the handle's
    variant at each input size the package carries, on ``frame`` letterboxed to that size; interleaved runs."""
    manifest, pre = handle.manifest, handle.manifest.preprocess
    assert pre is not None
    sessions = {}
    for size in input_sizes(manifest):
        _, entry = file_for_size(manifest, handle.model.variant, size)
        run = runner(build_session(verify_file(handle.directory, entry), threads))
        x, _ = letterbox(frame, pre.model_copy(update={"size": list(size)}))
        feeds = {manifest.inputs[0].name: x}
        run(feeds)  # warm-up
        sessions[f"{size[0]}x{size[1]}"] = (run, feeds)
    times: dict[str, list[float]] = {k: [] for k in sessions}
    for _ in range(runs):
        for key, (run, feeds) in sessions.items():
            t0 = time.perf_counter()
            run(feeds)
            times[key].append((time.perf_counter() - t0) * 1e3)
    return {k: round(statistics.median(v), 2) for k, v in times.items()}


def report(handle: PoseHandle, frames: Sequence[np.ndarray], photos: Sequence[str] | None = None, runs: int = 30,
           min_score: float = 0.5, radius_px: float = 8.0) -> dict[str, Any]:
    results = compare(handle, frames, photos, min_score=min_score, radius_px=radius_px)
    ms = inference_ms(handle, frames[0], runs)
    return {"package": f"{handle.manifest.name}@{handle.manifest.version}", "variant": handle.model.variant,
            "clip": {"frames": len(frames), "size": list(frames[0].shape[:2]),
                     "source": "edgeward.bench.camera.bench_clip (the live bench's fake webcam), read back from .y4m"},
            "agreement_rule": f"reference keypoints scored >= {min_score} within {radius_px:g} px (640x480 frame)",
            "configs": [asdict(r) for r in results], "native_ms_1thread": ms}
