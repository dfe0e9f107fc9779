// Pose features: one pose's keypoints → a fixed-length vector a head can learn. An exact mirror of
// src/edgeward/train/pose_features.py (its docstring has the whole definition and the mirroring rule):
//   for each of the 17 COCO keypoints, by name, in COCO order: [x, y, visible]; x, y relative to the
//   hips' midpoint (else the shoulders', else the visible keypoints' box centre) divided by the torso
//   (else the box's longer side); keypoints scoring below `threshold` are 0, 0, 0.
//   Mirroring: names swap when `mirrored` (a mirror picture: the model names the mirror image's sides);
//   x is negated when exactly one of `flipHorizontal`, `mirrored` holds. A left-handed pose stays left-handed.
// float64 arithmetic in Python's order, rounded to float32 once: the same float32 values as Python's.
import { TrainingError } from '../errors.js';

export const POSE_KEYPOINTS = Object.freeze(['nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
  'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
  'right_knee', 'left_ankle', 'right_ankle']);
export const POSE_FEATURE_DIM = 3 * POSE_KEYPOINTS.length;
export const DEFAULT_THRESHOLD = 0.3;
export const MIN_KEYPOINTS = 5;
/** How the worker estimates a training frame's pose (Python: POSE_ESTIMATE): the best pose, whatever its score. */
export const POSE_ESTIMATE = Object.freeze({ maxPoses: 1, scoreThreshold: 0 });

const INDEX = new Map(POSE_KEYPOINTS.map((name, j) => [name, j]));
const [LS, RS, LH, RH] = ['left_shoulder', 'right_shoulder', 'left_hip', 'right_hip'].map((n) => INDEX.get(n));

/** left_X ↔ right_X; other names unchanged. @param {string} name */
export function swapSide(name) {
  if (name.startsWith('left_')) return `right_${name.slice(5)}`;
  if (name.startsWith('right_')) return `left_${name.slice(6)}`;
  return name;
}

/**
 * {name: [x, y, score]} of a pose ({score, keypoints} or its keypoints array), every COCO name once.
 * @param {any} pose
 * @returns {Map<string, number[]>}
 */
function keypointsOf(pose) {
  const keypoints = Array.isArray(pose) ? pose : pose?.keypoints;
  if (!Array.isArray(keypoints)) throw new TrainingError('a pose is {score, keypoints: [{name, x, y, score}]} or its list of keypoints');
  const found = new Map();
  keypoints.forEach((kp, i) => {
    const name = kp?.name;
    if (typeof name !== 'string' || !INDEX.has(name)) {
      throw new TrainingError(`keypoint ${i}: ${typeof name === 'string' ? `'${name}'` : String(name)} is not one of the 17 COCO keypoints (PoseNet's, MoveNet's)`);
    }
    if (found.has(name)) throw new TrainingError(`keypoint '${name}' appears twice`);
    found.set(name, ['x', 'y', 'score'].map((field) => {
      const v = kp[field];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TrainingError(`keypoint '${name}': ${field} is not a finite number`);
      return v;
    }));
  });
  const missing = POSE_KEYPOINTS.filter((n) => !found.has(n));
  if (missing.length) {
    throw new TrainingError(`the pose has no '${missing[0]}' keypoint (${missing.length} of the 17 COCO keypoints missing)`);
  }
  return found;
}

/** @param {unknown} threshold */
export function checkThreshold(threshold) {
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
    throw new RangeError(`threshold must be a number in [0, 1], got ${String(threshold)}`);
  }
  return threshold;
}

/**
 * @typedef {{threshold?: number, flipHorizontal?: boolean, mirrored?: boolean}} PoseFeatureOptions
 *   flipHorizontal: the pose was estimated with flipHorizontal; mirrored: from a mirror picture of the subject
 */

/**
 * The Float32Array(POSE_FEATURE_DIM) features of `pose` (Python: pose_features).
 * @param {any} pose
 * @param {PoseFeatureOptions} [options]
 */
export function poseFeatures(pose, { threshold = DEFAULT_THRESHOLD, flipHorizontal = false, mirrored = false } = {}) {
  const t = checkThreshold(threshold);
  const found = keypointsOf(pose);
  // Canonical slot j holds the subject's own keypoint j: on a mirrored picture, the model's other side.
  const pts = POSE_KEYPOINTS.map((n) => found.get(mirrored ? swapSide(n) : n));
  const seen = pts.map((p) => p[2] >= t);
  const visible = seen.filter(Boolean).length;
  if (visible < MIN_KEYPOINTS) {
    throw new TrainingError(`no confident pose: ${visible} of 17 keypoints score at least ${t} (pose features need ${MIN_KEYPOINTS})`);
  }
  const xs = pts.filter((_, j) => seen[j]).map((p) => p[0]);
  const ys = pts.filter((_, j) => seen[j]).map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const midpoint = (a, b) => (seen[a] && seen[b] ? [0.5 * (pts[a][0] + pts[b][0]), 0.5 * (pts[a][1] + pts[b][1])] : null);
  const hips = midpoint(LH, RH);
  const shoulders = midpoint(LS, RS);
  const [cx, cy] = hips ?? shoulders ?? [0.5 * (x0 + x1), 0.5 * (y0 + y1)];
  let scale = 0;
  if (hips && shoulders) {
    const dx = shoulders[0] - hips[0];
    const dy = shoulders[1] - hips[1];
    scale = Math.sqrt(dx * dx + dy * dy);
  }
  if (scale === 0) scale = Math.max(x1 - x0, y1 - y0); // no torso, or a torso of no length
  if (scale === 0) throw new TrainingError('no confident pose: its visible keypoints are all at one point');
  const sign = flipHorizontal !== mirrored ? -1 : 1;
  const out = new Float32Array(POSE_FEATURE_DIM);
  pts.forEach(([x, y], j) => {
    if (!seen[j]) return;
    out[3 * j] = sign * ((x - cx) / scale) + 0; // + 0: no -0 in the features (Python adds 0.0 too)
    out[3 * j + 1] = (y - cy) / scale;
    out[3 * j + 2] = 1;
  });
  return out;
}

/**
 * poseFeatures of the best (first) pose of an estimatePoses result; none is a TrainingError.
 * @param {any[]} poses
 * @param {PoseFeatureOptions} [options]
 */
export function bestPoseFeatures(poses, options = {}) {
  if (!poses?.length) throw new TrainingError('no pose found');
  return poseFeatures(poses[0], options);
}
