// Pose estimation decoding on a model package's outputs: an exact mirror of
// src/edgeward/tasks/pose.py. Output format (shared with Python):
//   [{score, keypoints: [{name, x, y, score}]}] in the input image's pixel coordinates, best first.

import { decodeMovenet } from './movenet.js';
import { decodeMultiple, decodeSingle, sigmoid } from './posenet.js';
import { checkRoi } from './roi.js';

export const DEFAULT_POSE_OPTIONS = Object.freeze({
  maxPoses: 1, scoreThreshold: 0.5, nmsRadius: 20, flipHorizontal: false, roi: null,
});

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

/** A named ONNX output {data, dims: [1, H, W, C]} → {data, h, w, c} for one image. */
function hwc(outputs, name, role) {
  const t = outputs[name];
  if (!t) throw new Error(`model output '${name}' (postprocess.outputs.${role}) is missing`);
  const d = t.dims;
  if (d.length !== 4 || d[0] !== 1) throw new Error(`model output '${name}' has shape [${d}], expected [1, H, W, C]`);
  return { data: t.data, h: d[1], w: d[2], c: d[3] };
}

export function normalizePoseOptions(options = {}) {
  const o = { ...DEFAULT_POSE_OPTIONS, ...options };
  if (!Number.isInteger(o.maxPoses) || o.maxPoses < 1) throw new RangeError(`maxPoses must be an integer >= 1, got ${o.maxPoses}`);
  if (!Number.isFinite(o.scoreThreshold)) throw new RangeError(`scoreThreshold must be a number, got ${o.scoreThreshold}`);
  if (!Number.isFinite(o.nmsRadius) || o.nmsRadius < 0) throw new RangeError(`nmsRadius must be >= 0, got ${o.nmsRadius}`);
  if (o.roi !== null && o.roi !== undefined) checkRoi(o.roi, Infinity, Infinity); // bounds: once the frame is known
  return o;
}

/**
 * Decode poses from the model outputs. `post` is manifest.postprocess, `box` the Letterbox used
 * to pre-process, `scratch` an optional object in which the sigmoid buffer is reused across calls,
 * `inputSize` the model input's [height, width] (manifest.preprocess.size; MoveNet needs it),
 * `frame` {x0, y0, width} the crop's origin in the whole image and that image's width (default: no crop).
 */
export function decodePoses(post, outputs, box, options = {}, scratch = {}, inputSize = null, frame = null) {
  const at = frame ?? { x0: 0, y0: 0, width: box.imageW };
  const o = normalizePoseOptions(options);
  if (post.kind === 'movenet') {
    const out = outputs[post.output];
    if (!out) throw new Error(`model output '${post.output}' (postprocess.output) is missing`);
    if (!inputSize) throw new Error('MoveNet decoding needs the model input size');
    const raws = decodeMovenet(out, post.keypoints.length, inputSize[0], inputSize[1], post.multipose,
      o.maxPoses, o.scoreThreshold);
    return raws.map((p) => toOutput(p, box, post.keypoints, o.flipHorizontal, at));
  }
  if (post.kind !== 'posenet') throw new Error(`postprocess kind '${post.kind}' is not a pose decoder`);
  const heat = hwc(outputs, post.outputs.heatmap, 'heatmap');
  let scores = heat;
  if (post.heatmap_activation === 'sigmoid') {
    if (!scratch.scores || scratch.scores.length !== heat.data.length) scratch.scores = new Float32Array(heat.data.length);
    scores = { ...heat, data: sigmoid(heat.data, scratch.scores) };
  }
  const offsets = hwc(outputs, post.outputs.offset, 'offset');
  let poses;
  if (o.maxPoses === 1) {
    const raw = decodeSingle(scores, offsets, post.output_stride);
    poses = raw.score >= o.scoreThreshold ? [raw] : [];
  } else {
    poses = decodeMultiple(scores, offsets, hwc(outputs, post.outputs.displacement_fwd, 'displacement_fwd'),
      hwc(outputs, post.outputs.displacement_bwd, 'displacement_bwd'), post.output_stride, post.pose_chain,
      o.maxPoses, o.scoreThreshold, o.nmsRadius * box.scale, post.refine_steps);
  }
  return poses.map((p) => toOutput(p, box, post.keypoints, o.flipHorizontal, at));
}
