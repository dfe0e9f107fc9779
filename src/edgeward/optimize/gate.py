"""The accuracy gate: a variant is measured against fp32 on held-out photos with task metrics.

Pose (``task == "pose"``, PoseNet outputs): both models see the same letterboxed photo and their
outputs are decoded the way PoseNet is used on group photos — multi-pose decoding
(:func:`edgeward.tasks.pose.decode_raw_poses`, the runtime's own decoder; pose score ≥ ``pose_score``,
up to ``max_poses``, ``nms_radius`` 20) — in **model-input pixels** (the 385×385 frame, so that photos of every size
weigh the same). Then:

* **counted keypoints**: the keypoints of the fp32 poses that fp32 scores ≥ ``min_score`` (0.5),
  except those the decoder itself treats as another pose's (within ``nms_radius`` of the same
  keypoint of an earlier fp32 pose; the decoder scores them zero in the pose score);
* **matching**: each fp32 pose is paired with at most one variant pose and vice versa, greedily
  by the median distance over its counted keypoints, smallest first; a pair is the same person
  only if that median is ≤ ``radius_px`` (most of its keypoints agree);
* ``keypoint_agreement``: the fraction of counted keypoints whose matched variant keypoint lies
  within ``radius_px`` (8 px, half a heatmap cell at output stride 16). A keypoint elsewhere is
  a miss, and every counted keypoint of an fp32 pose with no match is a miss — another person's
  keypoint never counts;
* ``mean_px_error``: the mean distance over the counted keypoints of matched poses, misses
  included at their full distance; ``mean_px_error_agreeing`` is the mean over agreeing keypoints
  only (the localisation error), ``max_px_error`` the largest distance;
* ``poses`` / ``unmatched_poses``: fp32 poses with counted keypoints, and those with no match.

Classification (``task == "classify"``): ``top1_agreement``, the fraction of photos whose
top-1 class is the same. Other tasks: ``max_abs_diff`` of the raw outputs only (no gate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from edgeward.package.manifest import ClassifyPostprocess, Manifest, PoseNetPostprocess
from edgeward.runtime.preprocess import letterbox
from edgeward.tasks.pose import PoseOptions, RawPose, decode_raw_poses
from edgeward.zoo.photos import Photo

Runner = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


@dataclass(frozen=True)
class GateSpec:
    min_score: float = 0.5
    radius_px: float = 8.0
    min_agreement: float = 0.95
    max_mean_px: float = 2.0
    pose_score: float = 0.15
    """Multi-pose decoding: least pose score (as in the TF.js PoseNet demo)."""
    max_poses: int = 30
    """High enough that the held-out photos never reach it: a cap would cut a different last pose in each model."""
    nms_radius: float = 20.0
    """Model-input pixels, as TF.js PoseNet's decodeMultiplePoses."""

    def describe(self) -> str:
        return (f"multi-pose decoding, fp32 poses matched one-to-one to the variant's; ≥ {_pct(self.min_agreement)} "
                f"of fp32 keypoints (score ≥ {self.min_score}) within {self.radius_px:g} px of the matched "
                f"keypoint (unmatched poses count as misses); mean error ≤ {self.max_mean_px:g} px over "
                f"matched poses, misses included; model-input pixels; top-1 ≥ {_pct(self.min_agreement)} "
                "for classification")


@dataclass
class GateResult:
    metrics: dict[str, float]
    passed: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return "passed" if self.passed else "failed: " + "; ".join(self.reasons)

    @property
    def brief(self) -> str:
        """The headline figures, for progress lines."""
        m = self.metrics
        if "keypoint_agreement" in m:
            return f"{m['keypoint_agreement']:.1%} agreement, {m['mean_px_error']:.2f} px"
        if "top1_agreement" in m:
            return f"{m['top1_agreement']:.1%} top-1 agreement"
        return self.message


def _pct(x: float) -> str:
    return f"{x:.0%}" if round(x * 100, 6).is_integer() else f"{x:.1%}"


def decode_poses(out: dict[str, np.ndarray], post: PoseNetPostprocess, spec: GateSpec) -> list[RawPose]:
    """Multi-pose decoding of one image's outputs by the runtime's own decoder, keypoints in model-input pixels."""
    options = PoseOptions(max_poses=spec.max_poses, score_threshold=spec.pose_score, nms_radius=spec.nms_radius)
    return decode_raw_poses(post, out, (0, 0), options)  # input size: MoveNet only; nms radius already in px


def counted_keypoints(poses: Sequence[RawPose], spec: GateSpec) -> list[np.ndarray]:
    """Per pose, a mask of the keypoints the gate counts: confident, and not another pose's."""
    masks = []
    for i, pose in enumerate(poses):
        mask = np.asarray(pose.scores) >= spec.min_score
        for earlier in poses[:i]:
            mask &= np.hypot(pose.xs - earlier.xs, pose.ys - earlier.ys) > spec.nms_radius
        masks.append(mask)
    return masks


def match_poses(ref: Sequence[RawPose], masks: Sequence[np.ndarray], cand: Sequence[RawPose],
                spec: GateSpec) -> dict[int, int]:
    """fp32 pose index → variant pose index, one-to-one, greedy by median keypoint distance."""
    pairs = []
    for i, (pose, mask) in enumerate(zip(ref, masks, strict=True)):
        if not mask.any():
            continue
        for j, other in enumerate(cand):
            cost = float(np.median(np.hypot(pose.xs - other.xs, pose.ys - other.ys)[mask]))
            if cost <= spec.radius_px:
                pairs.append((cost, i, j))
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for _, i, j in sorted(pairs):
        if i not in matched and j not in taken:
            matched[i] = j
            taken.add(j)
    return matched


@dataclass
class PoseComparison:
    """One photo: distances of the counted keypoints of matched poses, and the misses of unmatched ones."""

    distances: list[float] = field(default_factory=list)
    unmatched_keypoints: int = 0
    poses: int = 0
    unmatched_poses: int = 0


def compare_poses(ref: Sequence[RawPose], cand: Sequence[RawPose], spec: GateSpec) -> PoseComparison:
    masks = counted_keypoints(ref, spec)
    matched = match_poses(ref, masks, cand, spec)
    result = PoseComparison()
    for i, (pose, mask) in enumerate(zip(ref, masks, strict=True)):
        if not mask.any():
            continue
        result.poses += 1
        if i not in matched:
            result.unmatched_poses += 1
            result.unmatched_keypoints += int(mask.sum())
            continue
        other = cand[matched[i]]
        result.distances.extend(np.hypot(pose.xs - other.xs, pose.ys - other.ys)[mask].tolist())
    return result


def summarize(comparisons: Sequence[PoseComparison], spec: GateSpec) -> dict[str, float]:
    dist = np.asarray([d for c in comparisons for d in c.distances], np.float64)
    unmatched = sum(c.unmatched_keypoints for c in comparisons)
    n = len(dist) + unmatched
    agree = dist <= spec.radius_px
    return {
        "keypoints": float(n),
        "keypoint_agreement": float(agree.sum() / n) if n else 0.0,
        "mean_px_error": float(dist.mean()) if len(dist) else float("inf"),
        "mean_px_error_agreeing": float(dist[agree].mean()) if agree.any() else float("inf"),
        "max_px_error": float(dist.max()) if len(dist) else float("inf"),
        "poses": float(sum(c.poses for c in comparisons)),
        "unmatched_poses": float(sum(c.unmatched_poses for c in comparisons)),
    }


def pose_metrics(pairs: Sequence[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]], manifest: Manifest,
                 spec: GateSpec) -> dict[str, float]:
    post = manifest.postprocess
    assert isinstance(post, PoseNetPostprocess)
    return summarize([compare_poses(decode_poses(ref, post, spec), decode_poses(cand, post, spec), spec)
                      for ref, cand in pairs], spec)


def top1_metrics(pairs: Sequence[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]], manifest: Manifest,
                 spec: GateSpec) -> dict[str, float]:
    post = manifest.postprocess
    name = post.output if isinstance(post, ClassifyPostprocess) else manifest.outputs[0].name
    same = [int(np.argmax(r[name]) == np.argmax(c[name])) for r, c in pairs]
    return {"images": float(len(same)), "top1_agreement": float(np.mean(same)) if same else 0.0}


def raw_metrics(pairs: Sequence[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]], manifest: Manifest,
                spec: GateSpec) -> dict[str, float]:
    diffs = [float(np.max(np.abs(r[k] - c[k]))) for r, c in pairs for k in r]
    return {"max_abs_diff": max(diffs) if diffs else 0.0}


def metrics_for(manifest: Manifest) -> Callable[..., dict[str, float]]:
    if manifest.task == "pose" and isinstance(manifest.postprocess, PoseNetPostprocess):
        return pose_metrics
    return top1_metrics if manifest.task in ("classify", "classification") else raw_metrics


def reference_inputs(photos: Sequence[Photo], manifest: Manifest) -> list[dict[str, np.ndarray]]:
    return [{manifest.inputs[0].name: letterbox(p.rgb, manifest.preprocess)[0]} for p in photos]


def judge(metrics: dict[str, float], spec: GateSpec) -> GateResult:
    reasons = []
    if "keypoint_agreement" in metrics:
        if metrics["keypoints"] == 0:
            reasons.append(f"no fp32 keypoint scored ≥ {spec.min_score} on the held-out photos")
        if metrics["keypoint_agreement"] < spec.min_agreement:
            reasons.append(f"keypoint agreement {metrics['keypoint_agreement']:.1%} < {_pct(spec.min_agreement)} "
                           f"(within {spec.radius_px:g} px of the matched fp32 pose's keypoint)")
        if metrics["mean_px_error"] > spec.max_mean_px:
            reasons.append(f"mean keypoint error {metrics['mean_px_error']:.2f} px > {spec.max_mean_px:g} px")
    if "top1_agreement" in metrics and metrics["top1_agreement"] < spec.min_agreement:
        reasons.append(f"top-1 agreement {metrics['top1_agreement']:.1%} < {_pct(spec.min_agreement)}")
    return GateResult(metrics, not reasons, reasons)


def measure(manifest: Manifest, feeds: Sequence[dict[str, np.ndarray]], reference: Sequence[dict[str, np.ndarray]],
            candidate: Runner, spec: GateSpec) -> GateResult:
    """Run ``candidate`` on ``feeds`` and compare it with the fp32 ``reference`` outputs."""
    pairs = [(ref, candidate(feed)) for feed, ref in zip(feeds, reference, strict=True)]
    return judge(metrics_for(manifest)(pairs, manifest, spec), spec)


def noise_floor(manifest: Manifest, feeds: Sequence[dict[str, np.ndarray]], reference: Sequence[dict[str, np.ndarray]],
                fp32: Runner, spec: GateSpec, grey_levels: float = 1.0, seed: int = 0) -> dict[str, float]:
    """For scale, not for the verdict: the same metrics for fp32 against itself on the photos plus
    uniform noise of ± ``grey_levels`` (of 255) per pixel — how much the decoded poses move when
    the input changes imperceptibly."""
    assert manifest.preprocess is not None
    rng = np.random.default_rng(seed)
    amplitude = grey_levels * manifest.preprocess.scale
    noisy = [{k: (v + rng.uniform(-amplitude, amplitude, v.shape)).astype(v.dtype) for k, v in f.items()}
             for f in feeds]
    return measure(manifest, noisy, reference, fp32, spec).metrics
