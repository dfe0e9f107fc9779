// Where the accessories go: a pose's eye and ear keypoints → the face's placement {cx, cy, scale,
// angle}, and that placement smoothed across video frames. Pure: no DOM, no clock.
//
// The face frame: origin at the eyes' midpoint, x along the eye line towards the screen's right, y
// perpendicular to it (down the face), one unit = the distance between the eyes. Accessories are drawn
// in that frame, so they move, scale and turn with the face.
// Keypoints are the subject's own left / right (COCO: left_eye is the person's left eye); a mirrored
// (selfie) view only flips x (the runtime's flipHorizontal), so the eye line's direction on screen
// depends on `mirrored`: unmirrored the subject's right eye is on the screen's left, mirrored the left.

import { OneEuroFilter } from './one-euro.js';

/** @typedef {{name: string, x: number, y: number, score: number}} Keypoint */
/** @typedef {{score?: number, keypoints: Keypoint[]}} Pose */
/**
 * @typedef {object} Placement the face frame on screen
 * @property {number} cx @property {number} cy the eyes' midpoint (px)
 * @property {number} scale the distance between the eyes (px)
 * @property {number} angle the eye line's angle (radians, clockwise on screen since y points down; 0: level)
 */
/** @typedef {{side: 'left' | 'right', x: number, y: number}} Ear a confident ear keypoint (the subject's side) */
/** @typedef {{placement: Placement | null, ears: Ear[], problem: string | null}} Face */

export const DEFAULT_MIN_SCORE = 0.5;
const MIN_EYE_DISTANCE = 2; // px: eyes closer than this are a face seen side-on, nothing to fit glasses to

/** `name` of `pose`, or a TaskError naming what the pose model gives instead. */
function keypoint(pose, name) {
  const kp = pose.keypoints.find((k) => k.name === name);
  if (kp) return kp;
  const names = pose.keypoints.map((k) => k.name).join(', ');
  throw Object.assign(new Error(`the pose model gives no '${name}' keypoint (it gives: ${names}); the try-on needs COCO face keypoints`), { name: 'TaskError' });
}

/**
 * The face frame of `pose` (the best pose of a frame, or undefined when there is none), and its
 * confident ears. When the eyes cannot be placed, `placement` is null and `problem` says why, in words
 * for the user.
 * @param {Pose | undefined | null} pose
 * @param {{minScore?: number, mirrored?: boolean}} [options] minScore: each eye's (and ear's) score
 *   needed; mirrored: the keypoints are of a horizontally flipped view
 * @returns {Face}
 */
export function facePlacement(pose, { minScore = DEFAULT_MIN_SCORE, mirrored = false } = {}) {
  if (!pose) return { placement: null, ears: [], problem: 'No face found: face the camera, with both eyes in view.' };
  const left = keypoint(pose, 'left_eye');
  const right = keypoint(pose, 'right_eye');
  if (left.score < minScore || right.score < minScore) {
    const scores = `eye scores: left ${left.score.toFixed(2)}, right ${right.score.toFixed(2)}; needs ${minScore.toFixed(2)}`;
    const problem = left.score < minScore && right.score < minScore
      ? `No face found (${scores}): face the camera, with both eyes in view.`
      : `Only one eye is clear (${scores}): turn to face the camera, in good light.`;
    return { placement: null, ears: [], problem };
  }
  const [from, to] = mirrored ? [left, right] : [right, left]; // screen-left eye → screen-right eye
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const scale = Math.hypot(dx, dy);
  if (scale < MIN_EYE_DISTANCE) {
    return { placement: null, ears: [], problem: 'The eyes are too close together: turn to face the camera.' };
  }
  const placement = { cx: (from.x + to.x) / 2, cy: (from.y + to.y) / 2, scale, angle: Math.atan2(dy, dx) };
  const ears = /** @type {const} */ (['left', 'right'])
    .map((side) => ({ side, kp: keypoint(pose, `${side}_ear`) }))
    .filter(({ kp }) => kp.score >= minScore)
    .map(({ side, kp }) => ({ side, x: kp.x, y: kp.y }));
  return { placement, ears, problem: null };
}

/**
 * A point of the face frame on screen: (u, v) in eye distances → (x, y) in px.
 * @param {Placement} p @param {number} u @param {number} v
 * @returns {[number, number]}
 */
export function toScreen(p, u, v) {
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  return [p.cx + p.scale * (u * c - v * s), p.cy + p.scale * (u * s + v * c)];
}

/** `a` moved by whole turns to within π of `near` (so an angle filter never swings the long way round). */
export function unwrapAngle(a, near) {
  if (Math.abs(a - near) <= Math.PI) return a; // already: not a bit changed
  return near + (((a - near) % (2 * Math.PI)) + 3 * Math.PI) % (2 * Math.PI) - Math.PI;
}

/** `a` in (-π, π]. */
function wrapAngle(a) {
  return a > -Math.PI && a <= Math.PI ? a : -unwrapAngle(-a, 0);
}

/**
 * Smoothing settings: minCutoff (Hz) and beta (per eye distance per second) of the One-Euro filters.
 * Tuned on the fake webcam: a still face holds within a fraction of a pixel, a moving one lags by
 * well under a frame (see web/test/apps/try-on.test.js).
 */
export const DEFAULT_SMOOTHING = Object.freeze({ minCutoff: 1.5, beta: 2, dCutoff: 1, resetAfter: 0.5 });

/**
 * The face frame and ears smoothed across video frames (One-Euro filters per number). Positions
 * and scale adapt on speeds in eye distances per second, the angle on radians per second. After
 * `resetAfter` seconds without a face (or reset()) the next face is taken as it is, not glided to.
 */
export class PlacementSmoother {
  /** @param {Partial<typeof DEFAULT_SMOOTHING>} [options] */
  constructor(options = {}) {
    const { resetAfter, ...filter } = { ...DEFAULT_SMOOTHING, ...options };
    this.resetAfter = resetAfter;
    const make = () => new OneEuroFilter(filter);
    this.face = { cx: make(), cy: make(), scale: make(), angle: make() };
    this.ears = { left: { x: make(), y: make() }, right: { x: make(), y: make() } };
    this.lastSeen = -Infinity;
  }

  reset() {
    for (const f of Object.values(this.face)) f.reset();
    for (const side of Object.values(this.ears)) for (const f of Object.values(side)) f.reset();
    this.lastSeen = -Infinity;
  }

  /**
   * The smoothed face for a new frame at `t` seconds (a face without placement passes through: the
   * filters keep their state for a face that comes back soon).
   * @param {Face} face @param {number} t
   * @returns {Face}
   */
  smooth(face, t) {
    if (!face.placement) return face;
    if (t - this.lastSeen > this.resetAfter) this.reset();
    this.lastSeen = t;
    const { cx, cy, scale, angle } = face.placement;
    const f = this.face;
    const s = f.scale.filter(scale, t, scale);
    const previous = f.angle.value;
    const placement = {
      cx: f.cx.filter(cx, t, scale),
      cy: f.cy.filter(cy, t, scale),
      scale: s,
      angle: wrapAngle(f.angle.filter(previous === null ? angle : unwrapAngle(angle, previous), t)),
    };
    const seen = new Set(face.ears.map((e) => e.side));
    for (const side of /** @type {const} */ (['left', 'right'])) {
      if (!seen.has(side)) { this.ears[side].x.reset(); this.ears[side].y.reset(); } // a returning ear starts afresh
    }
    const ears = face.ears.map((e) => ({ side: e.side, x: this.ears[e.side].x.filter(e.x, t, scale), y: this.ears[e.side].y.filter(e.y, t, scale) }));
    return { placement, ears, problem: null };
  }
}
