// The coach's game, pure (no DOM, no clock of its own: `node --test` drives it with timestamps): a
// sequence of target poses; hold the current target for N seconds to score, then the next target comes
// (after the last, the first again).
//
// A frame matches when its best class is the target with at least `minScore`. The hold starts at the first
// matching frame and is measured in frame time (when each frame was captured, not when its result came
// back, so a slow model does not stretch or shrink it). A non-matching frame ends the hold unless the
// last match was at most `graceMs` before it (one misread frame does not throw a long hold away); time
// never counts without a matching frame, and points are only ever given on a matching frame.

export const DEFAULT_GAME = Object.freeze({ holdSeconds: 3, minScore: 0.6, graceMs: 300, pointsPerHold: 10 });
export const HOLD_SECONDS = Object.freeze({ min: 0.5, max: 60 });

/**
 * "pose A, pose B, …" → ['pose A', 'pose B', …], every name one of `poses` (a pose may come again).
 * @param {string} text @param {string[]} poses
 */
export function parseSequence(text, poses) {
  const names = String(text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new RangeError('Target sequence is empty: name at least one of your poses, separated by commas');
  const unknown = names.filter((n) => !poses.includes(n));
  if (unknown.length) {
    const known = poses.length ? poses.map((p) => `'${p}'`).join(', ') : 'none yet';
    throw new RangeError(`Target sequence: ${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'is not one' : 'are not'} of your poses (${known})`);
  }
  return names;
}

/** The hold time in seconds, checked (a RangeError names the field). @param {unknown} value */
export function checkHoldSeconds(value) {
  const s = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof s !== 'number' || !(s >= HOLD_SECONDS.min && s <= HOLD_SECONDS.max)) {
    throw new RangeError(`Hold time must be a number of seconds from ${HOLD_SECONDS.min} to ${HOLD_SECONDS.max}, got '${String(value)}'`);
  }
  return s;
}

/** The minimum confidence, a fraction in (0, 1]. @param {unknown} value */
export function checkMinScore(value) {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new RangeError(`Minimum confidence must be above 0 % and at most 100 %, got '${String(value)}'`);
  }
  return value;
}

/**
 * @typedef {{label: string, score: number} | null} Best  a frame's best class (null: no confident pose)
 * @typedef {{pose: string, points: number, total: number, from: number, to: number}} Award
 *   points given for holding `pose` from frame time `from` to `to` (ms); `total` the score after it
 * @typedef {object} GameState
 * @property {string} target  the pose to hold now
 * @property {number} step  its index in the sequence
 * @property {boolean} matching  the last frame showed the target (confident enough)
 * @property {number} heldMs  how long the target has been held (0: not held)
 * @property {number} progress  heldMs / the hold time, in [0, 1)
 * @property {number} points @property {number} holds  the score, and the holds that made it
 * @property {Award | null} award  what this frame scored, if it completed a hold
 */

export class PoseGame {
  /**
   * @param {{sequence: string[], holdSeconds?: number, minScore?: number, graceMs?: number, pointsPerHold?: number}} options
   */
  constructor({ sequence, holdSeconds = DEFAULT_GAME.holdSeconds, minScore = DEFAULT_GAME.minScore,
    graceMs = DEFAULT_GAME.graceMs, pointsPerHold = DEFAULT_GAME.pointsPerHold }) {
    if (!Array.isArray(sequence) || !sequence.length || !sequence.every((s) => typeof s === 'string' && s)) {
      throw new RangeError('a game needs a sequence of at least one pose name');
    }
    if (!(graceMs >= 0)) throw new RangeError(`graceMs must be >= 0, got ${graceMs}`);
    this.sequence = [...sequence];
    this.holdMs = checkHoldSeconds(holdSeconds) * 1000;
    this.minScore = checkMinScore(minScore);
    this.graceMs = graceMs;
    this.pointsPerHold = pointsPerHold;
    this.step = 0;
    this.points = 0;
    this.holds = 0;
    /** @type {number | null} frame time of the hold's first matching frame */ this.holdFrom = null;
    /** @type {number | null} frame time of its last matching frame */ this.lastMatch = null;
    /** @type {number} */ this.lastAt = -Infinity;
    this.matching = false;
  }

  get target() {
    return this.sequence[this.step];
  }

  /**
   * One frame: its best class and its capture time (ms, increasing). A frame older than the last one
   * seen is ignored (its state is returned unchanged, with no award).
   * @param {Best} best @param {number} at
   * @returns {GameState}
   */
  update(best, at) {
    if (!(at > this.lastAt)) return this.state(null);
    this.lastAt = at;
    const target = this.target;
    this.matching = Boolean(best && best.label === target && best.score >= this.minScore);
    if (!this.matching) {
      if (this.holdFrom !== null && at - this.lastMatch > this.graceMs) this.holdFrom = null;
      return this.state(null);
    }
    if (this.holdFrom === null) this.holdFrom = at;
    this.lastMatch = at;
    if (at - this.holdFrom < this.holdMs) return this.state(null);
    this.points += this.pointsPerHold;
    this.holds += 1;
    const award = { pose: target, points: this.pointsPerHold, total: this.points, from: this.holdFrom, to: at };
    this.step = (this.step + 1) % this.sequence.length;
    this.holdFrom = null; // the next hold (of the next target, or the same one again) starts afresh
    this.lastMatch = null;
    return this.state(award);
  }

  /** @param {Award | null} award @returns {GameState} */
  state(award) {
    const heldMs = this.holdFrom === null ? 0 : this.lastMatch - this.holdFrom;
    return {
      target: this.target, step: this.step, matching: this.matching, heldMs, progress: Math.min(heldMs / this.holdMs, 1),
      points: this.points, holds: this.holds, award,
    };
  }
}
