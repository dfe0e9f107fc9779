// Region-of-interest tracking for pose estimation on video: an exact mirror of
// src/edgeward/tasks/roi.py (the rule is written there). A crop is [x0, y0, x1, y1] in integer image
// pixels (x1, y1 exclusive) with x0, y0 even, so it can be copied straight out of a 4:2:0 VideoFrame.

export const MIN_KEYPOINTS = 3;
export const DEFAULT_ROI_OPTIONS = Object.freeze({ minScore: 0.3, margin: 0.25, minFraction: 0.4, flipped: false });

/** [start, end) of length `size` about `centre`, slid (or clipped) into [0, limit], even-aligned. */
function span(centre, size, limit) {
  if (size >= limit) return [0, limit];
  const start = Math.min(Math.max(centre - size / 2, 0), limit - size);
  return [2 * Math.floor(start / 2), Math.min(limit, 2 * Math.ceil((start + size) / 2))];
}

/**
 * The crop for the next frame from this frame's poses, or null (estimate the whole frame).
 * `inputSize` is the model input's [height, width] (manifest.preprocess.size); `flipped`: the poses
 * were estimated with flipHorizontal (the crop is always in the frame as captured).
 */
export function nextRoi(poses, width, height, inputSize, options = {}) {
  const { minScore, margin, minFraction, flipped } = { ...DEFAULT_ROI_OPTIONS, ...options };
  if (!poses || poses.length === 0) return null;
  const points = poses[0].keypoints.filter((k) => k.score >= minScore)
    .map((k) => ({ x: flipped ? (width - 1) - k.x : k.x, y: k.y }));
  if (points.length < MIN_KEYPOINTS) return null;
  let x0 = Math.min(...points.map((k) => k.x));
  let x1 = Math.max(...points.map((k) => k.x));
  let y0 = Math.min(...points.map((k) => k.y));
  let y1 = Math.max(...points.map((k) => k.y));
  const grow = margin * Math.max(x1 - x0, y1 - y0);
  [x0, x1, y0, y1] = [x0 - grow, x1 + grow, y0 - grow, y1 + grow];
  const [inH, inW] = inputSize;
  const aspect = inW / inH;
  const w = Math.max(x1 - x0, (y1 - y0) * aspect, minFraction * Math.min(width, height) * aspect);
  const h = w / aspect;
  const [left, right] = span((x0 + x1) / 2, w, width);
  const [top, bottom] = span((y0 + y1) / 2, h, height);
  if (right - left < 2 || bottom - top < 2) return null;
  if (left === 0 && top === 0 && right === width && bottom === height) return null;
  return [left, top, right, bottom];
}

/** `roi` validated against a width × height image (RangeError naming the problem), or null. */
export function checkRoi(roi, width, height) {
  if (roi === null || roi === undefined) return null;
  if (!Array.isArray(roi) || roi.length !== 4 || !roi.every(Number.isInteger)) {
    throw new RangeError(`roi must be 4 integers [x0, y0, x1, y1], got ${JSON.stringify(roi)}`);
  }
  const [x0, y0, x1, y1] = roi;
  if (!(x0 >= 0 && x0 < x1 && x1 <= width && y0 >= 0 && y0 < y1 && y1 <= height)) {
    throw new RangeError(`roi [${roi}] is not inside the ${width}x${height} image (0 <= x0 < x1 <= width)`);
  }
  if (x0 % 2 || y0 % 2) throw new RangeError(`roi [${roi}]: x0 and y0 must be even (4:2:0 video frames are cropped on 2-pixel steps)`);
  return roi;
}
