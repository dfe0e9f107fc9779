// Object detection decoding: an exact mirror of src/edgeward/tasks/detect.py.
// Detections: [{label, class_id, score, box: [x1, y1, x2, y2]}] in the image's pixels, best first.

import { ManifestError } from '../errors.js';
import { nms } from './nms.js';
import { output } from './outputs.js';

/** Python: DetectOptions. */
export const DEFAULT_DETECT_OPTIONS = Object.freeze({ scoreThreshold: 0.3, iouThreshold: 0.5, maxDetections: 20 });

export function normalizeDetectOptions(options = {}) {
  const o = { ...DEFAULT_DETECT_OPTIONS, ...options };
  if (!Number.isFinite(o.scoreThreshold)) throw new RangeError(`scoreThreshold must be a number, got ${o.scoreThreshold}`);
  if (!(o.iouThreshold >= 0 && o.iouThreshold <= 1)) throw new RangeError(`iouThreshold must be within [0, 1], got ${o.iouThreshold}`);
  if (!Number.isInteger(o.maxDetections) || o.maxDetections < 1) throw new RangeError(`maxDetections must be an integer >= 1, got ${o.maxDetections}`);
  return o;
}

const clip = (v, hi) => Math.min(Math.max(v, 0), hi);

/** `post`: manifest.postprocess (kind 'centernet'); `labels`: manifest.labels; `box`: the Letterbox. */
export function decodeDetections(post, outputs, box, labels, options = {}) {
  if (post?.kind !== 'centernet') throw new ManifestError(`postprocess kind '${post?.kind}' is not a detector`);
  const o = normalizeDetectOptions(options);
  const { data } = output(outputs, post.output, 'postprocess.output');
  const boxes = [];
  const scores = [];
  const classes = [];
  for (let r = 0; r + 6 <= data.length; r += 6) {
    const score = data[r + 4];
    if (!(score >= o.scoreThreshold)) continue;
    // Box edges are continuous coordinates (no half-pixel shift): image = (input − pad) / scale.
    boxes.push([
      clip((data[r] - box.padX) / box.scale, box.imageW), clip((data[r + 1] - box.padY) / box.scale, box.imageH),
      clip((data[r + 2] - box.padX) / box.scale, box.imageW), clip((data[r + 3] - box.padY) / box.scale, box.imageH),
    ]);
    scores.push(score);
    classes.push(Math.trunc(data[r + 5]));
  }
  return nms(boxes, scores, classes, o.iouThreshold, o.maxDetections).map((i) => ({
    label: labels && classes[i] >= 0 && classes[i] < labels.length ? labels[classes[i]] : String(classes[i]),
    class_id: classes[i], score: scores[i], box: boxes[i],
  }));
}
