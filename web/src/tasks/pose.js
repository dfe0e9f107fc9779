// Pose decoding: model outputs (+ the letterbox) → poses in image pixels. An exact mirror of
// src/edgeward/tasks/pose.py, function for function. Output format (shared with Python):
//   [{score, keypoints: [{name, x, y, score}]}] in the input image's pixel coordinates, best first.

import { ManifestError } from '../errors.js';
import { normalizeInputSize } from '../input-size.js';
import { TFJS_POSENET } from '../tfjs-resize.js';
import { decodeMovenet } from './movenet.js';
import { hwc, output } from './outputs.js';
import { decodeMultiple, decodeSingle, sigmoid } from './posenet.js';
import { checkRoi } from './roi.js';

/**
 * Python: PoseOptions (the same values in snake_case; tests/tasks/test_table.py checks). `resize`: null
 * for the package's own pre-processing, 'tfjs-posenet' for @tensorflow-models/posenet's (../tfjs-resize.js).
 * `inputSize`: null for the package's own input size, or [H, W] (a number: a square) of another size the
 * package carries (../input-size.js).
 */
export const DEFAULT_POSE_OPTIONS = Object.freeze({
  maxPoses: 1, scoreThreshold: 0.5, nmsRadius: 20, flipHorizontal: false, roi: null, resize: null, inputSize: null,
});

/** Defaults filled in and every option checked (RangeError naming it), as PoseOptions does. */
export function normalizePoseOptions(options = {}) {
  const o = { ...DEFAULT_POSE_OPTIONS, ...options };
  if (!Number.isInteger(o.maxPoses) || o.maxPoses < 1) throw new RangeError(`maxPoses must be an integer >= 1, got ${o.maxPoses}`);
  if (!Number.isFinite(o.scoreThreshold)) throw new RangeError(`scoreThreshold must be a number, got ${o.scoreThreshold}`);
  if (!Number.isFinite(o.nmsRadius) || o.nmsRadius < 0) throw new RangeError(`nmsRadius must be >= 0, got ${o.nmsRadius}`);
  if (o.roi !== null && o.roi !== undefined) checkRoi(o.roi, Infinity, Infinity); // bounds: once the frame is known
  if (o.resize !== null && o.resize !== undefined && o.resize !== TFJS_POSENET) {
    throw new RangeError(`resize must be '${TFJS_POSENET}' (or null: the package's own pre-processing), got ${o.resize}`);
  }
  o.inputSize = normalizeInputSize(o.inputSize); // [H, W] or null; whether the package carries it: in the worker
  return o;
}

/**
 * Poses in model-input pixels, best first: [{score, ys, xs, scores}]. `nmsScale` turns
 * options.nmsRadius into model-input pixels (the letterbox scale). `scratch` (optional) keeps the
 * sigmoid buffer across calls. `inputSize`: [height, width] of the model input (MoveNet needs it).
 */
export function decodeRawPoses(post, outputs, inputSize, options, nmsScale = 1, scratch = {}) {
  const o = options;
  if (post?.kind === 'movenet') {
    const out = output(outputs, post.output, 'postprocess.output');
    return decodeMovenet(out, post.keypoints.length, inputSize[0], inputSize[1], post.multipose, o.maxPoses, o.scoreThreshold);
  }
  if (post?.kind !== 'posenet') throw new ManifestError(`postprocess kind '${post?.kind}' is not a pose decoder`);
  const heat = hwc(outputs, post.outputs.heatmap, 'postprocess.outputs.heatmap');
  let scores = heat;
  if (post.heatmap_activation === 'sigmoid') {
    if (!scratch.scores || scratch.scores.length !== heat.data.length) scratch.scores = new Float32Array(heat.data.length);
    scores = { ...heat, data: sigmoid(heat.data, scratch.scores) };
  }
  const offsets = hwc(outputs, post.outputs.offset, 'postprocess.outputs.offset');
  if (o.maxPoses === 1) {
    const raw = decodeSingle(scores, offsets, post.output_stride);
    return raw.score >= o.scoreThreshold ? [raw] : [];
  }
  return decodeMultiple(scores, offsets, hwc(outputs, post.outputs.displacement_fwd, 'postprocess.outputs.displacement_fwd'),
    hwc(outputs, post.outputs.displacement_bwd, 'postprocess.outputs.displacement_bwd'), post.output_stride,
    post.pose_chain, o.maxPoses, o.scoreThreshold, o.nmsRadius * nmsScale, post.refine_steps);
}

function toOutput(raw, box, names, flip, frame) {
  const keypoints = names.map((name, j) => {
    let [x, y] = box.toImage(raw.xs[j], raw.ys[j]);
    x += frame.x0; // crop pixels → image pixels (a no-op without an ROI)
    y += frame.y0;
    if (flip) x = (frame.width - 1) - x; // mirror x only: names stay the subject's own left/right
    return { name, x, y, score: raw.scores[j] };
  });
  return { score: raw.score, keypoints };
}

/**
 * Poses in the whole image's pixels, best first. `post`: manifest.postprocess; `box`: the
 * Letterbox (or PaddedResize) used to pre-process; `inputSize`: [H, W] the model ran at (manifest.preprocess.size,
 * or another size the package carries); `frame` {x0, y0, width}:
 * the crop's origin in the whole image and that image's width (default: no crop).
 */
export function decodePoses(post, outputs, box, options = {}, scratch = {}, inputSize = null, frame = null) {
  const at = frame ?? { x0: 0, y0: 0, width: box.imageW };
  const o = normalizePoseOptions(options);
  if (post?.kind === 'movenet' && !inputSize) throw new TypeError('MoveNet decoding needs the model input size');
  // Best first (pose.py says why); Array.prototype.sort is stable, as Python's sorted().
  const raws = decodeRawPoses(post, outputs, inputSize, o, box.scale, scratch).sort((a, b) => b.score - a.score);
  return raws.map((p) => toOutput(p, box, post.keypoints, o.flipHorizontal, at));
}
