"""PoseNet decoding (single and multi-pose), the oracle for web/src/tasks/posenet.js.

Tensors are one image's outputs, NHWC without the batch axis:
  scores   [H, W, K]     keypoint probabilities (sigmoid of the heatmap logits)
  offsets  [H, W, 2K]    short-range offsets: channel k is dy, channel K + k is dx
  disp_fwd [H, W, 2E]    mid-range displacements parent → child of edge e: dy at e, dx at E + e
  disp_bwd [H, W, 2E]    child → parent, same layout
Positions are in model-input pixels: cell * output_stride + offset.

Multi-pose follows PersonLab: every part score that is a maximum of its 3×3 window and at least
``score_threshold`` is a candidate root; candidates leave a max-heap best first; a root within
``nms_radius`` of the same keypoint of an already found pose is skipped; otherwise the pose is grown
from the root along the keypoint tree (backwards along parent edges, then forwards to children),
each hop following a displacement to the nearest cell and then refining with the offsets.
A pose's score is the mean over keypoints of their scores, counting zero for keypoints that lie
within ``nms_radius`` of the same keypoint of an earlier pose; poses scoring below
``score_threshold`` are dropped (and do not count towards ``max_poses``).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

LOCAL_MAX_RADIUS = 1


@dataclass
class RawPose:
    score: float
    ys: np.ndarray  # [K] model-input pixels
    xs: np.ndarray
    scores: np.ndarray


def sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def decode_single(scores: np.ndarray, offsets: np.ndarray, stride: int) -> RawPose:
    h, w, k = scores.shape
    flat = scores.reshape(h * w, k)
    best = np.argmax(flat, axis=0)  # first maximum in row-major order, like the JS loop
    cy, cx = best // w, best % w
    kk = np.arange(k)
    ys = cy * stride + offsets[cy, cx, kk].astype(np.float64)
    xs = cx * stride + offsets[cy, cx, k + kk].astype(np.float64)
    kp_scores = flat[best, kk].astype(np.float64)
    return RawPose(float(kp_scores.mean()), ys, xs, kp_scores)


def _candidates(scores: np.ndarray, threshold: float) -> list[tuple[float, int, int, int]]:
    h, w = scores.shape[:2]
    r = LOCAL_MAX_RADIUS
    padded = np.pad(scores, ((r, r), (r, r), (0, 0)), constant_values=-np.inf)
    window_max = np.full_like(scores, -np.inf)
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            window_max = np.maximum(window_max, padded[dy : dy + h, dx : dx + w])
    ys, xs, ks = np.nonzero((scores >= threshold) & (scores >= window_max))
    # Heap entries: (-score, y, x, k) so ties pop in (y, x, k) order; JS uses the same key.
    return [(-float(scores[y, x, kk]), int(y), int(x), int(kk)) for y, x, kk in zip(ys, xs, ks, strict=True)]


def _cell(pos: float, stride: int, size: int) -> int:
    # Round half away from zero (as JS Math.round does for the non-negative values that matter).
    return int(min(max(np.floor(pos / stride + 0.5), 0), size - 1))


def _hop(src_y: float, src_x: float, edge: int, target: int, disp: np.ndarray,
         scores: np.ndarray, offsets: np.ndarray, stride: int, refine_steps: int) -> tuple[float, float, float]:
    h, w, k = scores.shape
    n_edges = disp.shape[2] // 2
    cy, cx = _cell(src_y, stride, h), _cell(src_x, stride, w)
    y = src_y + float(disp[cy, cx, edge])
    x = src_x + float(disp[cy, cx, n_edges + edge])
    for _ in range(refine_steps):
        cy, cx = _cell(y, stride, h), _cell(x, stride, w)
        y = cy * stride + float(offsets[cy, cx, target])
        x = cx * stride + float(offsets[cy, cx, k + target])
    cy, cx = _cell(y, stride, h), _cell(x, stride, w)
    return y, x, float(scores[cy, cx, target])


def _near_earlier(poses: list[RawPose], y: float, x: float, k: int, sq_radius: float) -> bool:
    return any((p.ys[k] - y) ** 2 + (p.xs[k] - x) ** 2 <= sq_radius for p in poses)


def decode_multiple(scores: np.ndarray, offsets: np.ndarray, disp_fwd: np.ndarray, disp_bwd: np.ndarray,
                    stride: int, chain: list[tuple[int, int]], max_poses: int, score_threshold: float,
                    nms_radius: float, refine_steps: int = 2) -> list[RawPose]:
    k = scores.shape[2]
    sq_radius = float(nms_radius) ** 2
    heap = _candidates(scores, score_threshold)
    heapq.heapify(heap)
    poses: list[RawPose] = []
    while heap and len(poses) < max_poses:
        neg_score, cy, cx, root = heapq.heappop(heap)
        ry = cy * stride + float(offsets[cy, cx, root])
        rx = cx * stride + float(offsets[cy, cx, k + root])
        if _near_earlier(poses, ry, rx, root, sq_radius):
            continue
        ys, xs, kp = np.zeros(k), np.zeros(k), np.zeros(k)
        found = np.zeros(k, dtype=bool)
        ys[root], xs[root], kp[root], found[root] = ry, rx, -neg_score, True
        for e in range(len(chain) - 1, -1, -1):
            parent, child = chain[e]
            if found[child] and not found[parent]:
                ys[parent], xs[parent], kp[parent] = _hop(ys[child], xs[child], e, parent, disp_bwd,
                                                          scores, offsets, stride, refine_steps)
                found[parent] = True
        for e, (parent, child) in enumerate(chain):
            if found[parent] and not found[child]:
                ys[child], xs[child], kp[child] = _hop(ys[parent], xs[parent], e, child, disp_fwd,
                                                       scores, offsets, stride, refine_steps)
                found[child] = True
        total = sum(kp[j] for j in range(k) if not _near_earlier(poses, ys[j], xs[j], j, sq_radius))
        if total / k >= score_threshold:
            poses.append(RawPose(float(total / k), ys, xs, kp))
    return poses
