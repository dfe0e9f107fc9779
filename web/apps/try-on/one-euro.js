// The One-Euro filter (Casiez, Roussel & Vogel, CHI 2012): an exponential low-pass whose cutoff
// frequency rises with the signal's speed. Slow (jitter): a low cutoff removes the noise. Fast (a
// moving head): a high cutoff follows the signal with little lag. Pure: no DOM, no clock.
//
// Per sample x at time t (seconds), with Te = t - t_prev:
//   alpha(fc) = 1 / (1 + tau / Te),  tau = 1 / (2 pi fc)
//   dx  = (x - xHat_prev) / Te                        the speed, against the previous output
//   dxHat = alpha(dCutoff) dx + (1 - alpha(dCutoff)) dxHat_prev     the speed, low-passed itself
//   fc  = minCutoff + beta |dxHat| / unit
//   xHat = alpha(fc) x + (1 - alpha(fc)) xHat_prev
// The first sample is returned as it is. `unit` makes beta scale-free: speeds in eye distances per
// second, so one setting suits a face near the camera and one far away.

/**
 * The exponential smoothing factor of a low-pass with cutoff `cutoff` Hz for a step of `dt` s.
 * @param {number} cutoff @param {number} dt
 */
export function smoothingFactor(cutoff, dt) {
  const tau = 1 / (2 * Math.PI * cutoff);
  return 1 / (1 + tau / dt);
}

/**
 * @typedef {object} OneEuroOptions
 * @property {number} [minCutoff] Hz: the cutoff at rest (lower: steadier, more lag when slow); default 1
 * @property {number} [beta] how fast the cutoff rises with speed (higher: less lag when fast); default 0
 * @property {number} [dCutoff] Hz: the cutoff of the speed estimate; default 1
 */

export class OneEuroFilter {
  /** @param {OneEuroOptions} [options] */
  constructor({ minCutoff = 1, beta = 0, dCutoff = 1 } = {}) {
    for (const [name, value] of Object.entries({ minCutoff, dCutoff })) {
      if (!(value > 0)) throw new RangeError(`OneEuroFilter: ${name} must be > 0 Hz, got ${value}`);
    }
    if (!(beta >= 0)) throw new RangeError(`OneEuroFilter: beta must be >= 0, got ${beta}`);
    Object.assign(this, { minCutoff, beta, dCutoff });
    this.reset();
  }

  /** Forget the history: the next sample is returned as it is. */
  reset() {
    /** @type {number | null} */
    this.value = null;
    this.speed = 0;
    this.time = 0;
  }

  /**
   * The filtered value of sample `x` taken at `t` seconds. A sample not later than the previous one
   * changes nothing (the previous output is returned).
   * @param {number} x @param {number} t seconds @param {number} [unit] speeds are divided by it (> 0)
   */
  filter(x, t, unit = 1) {
    if (this.value === null) {
      this.value = x;
      this.time = t;
      return x;
    }
    const dt = t - this.time;
    if (!(dt > 0)) return this.value;
    const dx = (x - this.value) / dt;
    this.speed += smoothingFactor(this.dCutoff, dt) * (dx - this.speed);
    const cutoff = this.minCutoff + this.beta * Math.abs(this.speed) / unit;
    this.value += smoothingFactor(cutoff, dt) * (x - this.value);
    this.time = t;
    return this.value;
  }
}
