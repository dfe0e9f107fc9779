"""Region-of-interest tracking for pose estimation on video (mirrored in web/src/tasks/roi.js).

On video the person rarely moves far between frames, so the next frame can be estimated on a crop
around the previous pose: the person then fills more of the model input (more pixels per limb for
people far from the camera) and fewer pixels are read. Still images never use it.

The crop is an integer rectangle ``(x0, y0, x1, y1)`` (x1, y1 exclusive) with x0, y0 even, so that a
browser can copy it straight out of a 4:2:0 video frame. The rule:
  1. keypoints of the best pose with score >= min_score; fewer than ``MIN_KEYPOINTS`` → no ROI
     (the next frame is estimated whole);
  2. their bounding box, grown by ``margin`` × its longer side on every side;
  3. grown (about its centre) to the model input's aspect ratio, and to at least ``min_fraction`` of
     the frame's shorter side, so a tiny or collapsed box does not zoom in on noise;
  4. slid inside the frame where it fits (else clipped to it); x0, y0 rounded down to even, x1, y1
     rounded up to even (at most the frame).
A crop covering the whole frame is returned as None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from edgeward.errors import OptionError

Roi = tuple[int, int, int, int]
MIN_KEYPOINTS = 3
DEFAULT_MARGIN = 0.25
DEFAULT_MIN_SCORE = 0.3
DEFAULT_MIN_FRACTION = 0.4


def next_roi(poses: Sequence[dict[str, Any]], width: int, height: int, input_size: Sequence[int],
             min_score: float = DEFAULT_MIN_SCORE, margin: float = DEFAULT_MARGIN,
             min_fraction: float = DEFAULT_MIN_FRACTION, flipped: bool = False) -> Roi | None:
    """The crop for the next frame from this frame's poses, or None. ``flipped``: the poses were
    estimated with ``flip_horizontal`` (mirrored x); the crop is always in the frame as captured."""
    if not poses:
        return None
    points = [((width - 1) - k["x"] if flipped else k["x"], k["y"])
              for k in poses[0]["keypoints"] if k["score"] >= min_score]
    if len(points) < MIN_KEYPOINTS:
        return None
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    grow = margin * max(x1 - x0, y1 - y0)
    x0, x1, y0, y1 = x0 - grow, x1 + grow, y0 - grow, y1 + grow
    in_h, in_w = input_size
    aspect = in_w / in_h
    w = max(x1 - x0, (y1 - y0) * aspect, min_fraction * min(width, height) * aspect)
    h = w / aspect
    left, right = _span((x0 + x1) / 2, w, width)
    top, bottom = _span((y0 + y1) / 2, h, height)
    if right - left < 2 or bottom - top < 2:
        return None
    if left == 0 and top == 0 and right == width and bottom == height:
        return None
    return (left, top, right, bottom)


def _span(centre: float, size: float, limit: int) -> tuple[int, int]:
    """[start, end) of length ``size`` about ``centre``, slid (or clipped) into [0, limit], even-aligned."""
    if size >= limit:
        return 0, limit
    start = min(max(centre - size / 2, 0.0), limit - size)
    return 2 * math.floor(start / 2), min(limit, 2 * math.ceil((start + size) / 2))


def check_roi(roi: Sequence[int], width: float = math.inf, height: float = math.inf) -> Roi:
    """``roi`` as a validated crop of a width × height image (default: bounds unknown yet), or
    OptionError naming the problem."""
    if len(roi) != 4 or not all(isinstance(v, int) and not isinstance(v, bool) for v in roi):
        raise OptionError(f"roi must be 4 integers (x0, y0, x1, y1), got {list(roi)}")
    x0, y0, x1, y1 = roi
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
        raise OptionError(f"roi {list(roi)} is not inside the {width:g}x{height:g} image (0 <= x0 < x1 <= width)")
    if x0 % 2 or y0 % 2:
        raise OptionError(f"roi {list(roi)}: x0 and y0 must be even "
                            "(4:2:0 video frames are cropped on 2-pixel steps)")
    return (x0, y0, x1, y1)
