"""The accuracy gate: a variant is measured against fp32 on held-out photos with task metrics.

Pose (``task == "pose"``): both models see the same letterboxed photo; keypoints are decoded with
single-pose decoding (each keypoint's heatmap maximum plus its short-range offset) in **model-input
pixels** (the 385×385 frame, so that photos of every size weigh the same). Over the keypoints that
fp32 scores ≥ ``min_score`` (0.5):

* ``keypoint_agreement``: the fraction whose variant position lies within ``radius_px`` (default
  8 px = half a heatmap cell at output stride 16) of the fp32 position, **or** on a place that
  fp32 itself scores within ``tie_score`` (0.05) of its best (a *tie*: in a group photo the
  single-pose maximum of a keypoint can sit on either of two people that fp32 scores 0.98 and
  0.97; picking the other one is not an accuracy loss). ``same_place`` counts without ties and
  ``ties`` says how many there were;
* ``mean_px_error``: the mean distance between variant and fp32 keypoints that are in the same
  place (the localisation error); ``mean_px_error_all`` includes ties and misses in full, and
  ``max_px_error`` is the largest distance.

Classification (``task == "classification"``): ``top1_agreement``, the fraction of photos whose
top-1 class is the same. Other tasks: ``max_abs_diff`` of the raw outputs only (no gate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from edgeward.package.manifest import Manifest, PoseNetPostprocess
from edgeward.runtime.preprocess import letterbox
from edgeward.tasks.posenet import decode_single, sigmoid
from edgeward.zoo.photos import Photo

Runner = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


@dataclass(frozen=True)
class GateSpec:
    min_score: float = 0.5
    radius_px: float = 8.0
    min_agreement: float = 0.95
    max_mean_px: float = 2.0
    tie_score: float = 0.05

    def describe(self) -> str:
        return (f"≥ {self.min_agreement:.0%} of fp32 keypoints (score ≥ {self.min_score}) within "
                f"{self.radius_px:g} px or on a tie (fp32 score within {self.tie_score:g} of its best); "
                f"mean error ≤ {self.max_mean_px:g} px; model-input pixels; top-1 ≥ {self.min_agreement:.0%} "
                f"for classification")


@dataclass
class GateResult:
    metrics: dict[str, float]
    passed: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return "passed" if self.passed else "failed: " + "; ".join(self.reasons)


def _pose(out: dict[str, np.ndarray], post: PoseNetPostprocess) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keypoints [17, 2] (x, y) in model-input pixels, their scores, and the score maps [H, W, 17]."""
    heat = out[post.outputs["heatmap"]][0]
    scores = sigmoid(heat) if post.heatmap_activation == "sigmoid" else heat.astype(np.float32)
    raw = decode_single(scores, out[post.outputs["offset"]][0], post.output_stride)
    return np.stack([raw.xs, raw.ys], axis=1), np.asarray(raw.scores), scores


def pose_metrics(pairs: Sequence[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]], manifest: Manifest,
                 spec: GateSpec) -> dict[str, float]:
    post = manifest.postprocess
    assert isinstance(post, PoseNetPostprocess)
    stride = post.output_stride
    errors: list[float] = []
    ties: list[bool] = []
    for ref, cand in pairs:
        ref_xy, ref_s, ref_maps = _pose(ref, post)
        cand_xy, _, _ = _pose(cand, post)
        for k in np.flatnonzero(ref_s >= spec.min_score):
            dist = float(np.linalg.norm(ref_xy[k] - cand_xy[k]))
            # Where the variant picks another place (another person), fp32's own score there tells
            # whether fp32 could tell the two apart at all.
            h, w = ref_maps.shape[:2]
            cy = int(np.clip(np.round(cand_xy[k][1] / stride), 0, h - 1))
            cx = int(np.clip(np.round(cand_xy[k][0] / stride), 0, w - 1))
            errors.append(dist)
            ties.append(bool(dist > spec.radius_px and ref_maps[cy, cx, k] >= ref_s[k] - spec.tie_score))
    err = np.asarray(errors)
    tie = np.asarray(ties, bool)
    same = err <= spec.radius_px
    n = len(err)
    return {
        "keypoints": float(n),
        "keypoint_agreement": float((same | tie).mean()) if n else 0.0,
        "same_place": float(same.mean()) if n else 0.0,
        "ties": float(tie.sum()),
        "mean_px_error": float(err[same].mean()) if same.any() else float("inf"),
        "mean_px_error_all": float(err.mean()) if n else float("inf"),
        "max_px_error": float(err.max()) if n else float("inf"),
    }


def top1_metrics(pairs: Sequence[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]], manifest: Manifest,
                 spec: GateSpec) -> dict[str, float]:
    name = manifest.outputs[0].name
    same = [int(np.argmax(r[name]) == np.argmax(c[name])) for r, c in pairs]
    return {"images": float(len(same)), "top1_agreement": float(np.mean(same)) if same else 0.0}


def raw_metrics(pairs: Sequence[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]], manifest: Manifest,
                spec: GateSpec) -> dict[str, float]:
    diffs = [float(np.max(np.abs(r[k] - c[k]))) for r, c in pairs for k in r]
    return {"max_abs_diff": max(diffs) if diffs else 0.0}


METRICS = {"pose": pose_metrics, "classification": top1_metrics}


def reference_inputs(photos: Sequence[Photo], manifest: Manifest) -> list[dict[str, np.ndarray]]:
    return [{manifest.inputs[0].name: letterbox(p.rgb, manifest.preprocess)[0]} for p in photos]


def measure(manifest: Manifest, feeds: Sequence[dict[str, np.ndarray]], reference: Sequence[dict[str, np.ndarray]],
            candidate: Runner, spec: GateSpec) -> GateResult:
    """Run ``candidate`` on ``feeds`` and compare it with the fp32 ``reference`` outputs."""
    pairs = [(ref, candidate(feed)) for feed, ref in zip(feeds, reference, strict=True)]
    metrics = METRICS.get(manifest.task, raw_metrics)(pairs, manifest, spec)
    reasons = []
    if "keypoint_agreement" in metrics:
        if metrics["keypoints"] == 0:
            reasons.append(f"no fp32 keypoint scored ≥ {spec.min_score} on the held-out photos")
        if metrics["keypoint_agreement"] < spec.min_agreement:
            reasons.append(f"keypoint agreement {metrics['keypoint_agreement']:.1%} < {spec.min_agreement:.0%} "
                           f"(within {spec.radius_px:g} px or a tie)")
        if metrics["mean_px_error"] > spec.max_mean_px:
            reasons.append(f"mean keypoint error {metrics['mean_px_error']:.2f} px > {spec.max_mean_px:g} px")
    if "top1_agreement" in metrics and metrics["top1_agreement"] < spec.min_agreement:
        reasons.append(f"top-1 agreement {metrics['top1_agreement']:.1%} < {spec.min_agreement:.0%}")
    return GateResult(metrics, not reasons, reasons)
