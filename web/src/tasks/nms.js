// Greedy class-wise non-maximum suppression: an exact mirror of src/edgeward/tasks/nms.py.

/** Intersection over union of two [x1, y1, x2, y2] boxes (0 when either has no area). */
export function iou(a, b) {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Indices kept, best first; ties in index order; overlaps within a class above iouThreshold dropped. */
export function nms(boxes, scores, classes, iouThreshold, maxDetections) {
  const order = scores.map((_, i) => i).sort((i, j) => scores[j] - scores[i]); // stable sort
  const kept = [];
  for (const i of order) {
    if (kept.length >= maxDetections) break;
    if (kept.every((j) => classes[j] !== classes[i] || iou(boxes[i], boxes[j]) <= iouThreshold)) kept.push(i);
  }
  return kept;
}
