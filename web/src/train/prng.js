// The one seeded PRNG of training: an exact mirror of src/edgeward/train/prng.py (mulberry32, a
// Weyl sequence through xor-shift-multiply mixing; every intermediate a uint32 via Math.imul and >>> 0).

const WEYL = 0x6d2b79f5;
const TWO_32 = 4294967296;

/**
 * `seed` as an integer in [0, 2**32), or a RangeError naming `field` (Python: OptionError).
 * @param {unknown} seed @param {string} [field]
 * @returns {number}
 */
export function checkSeed(seed, field = 'seed') {
  if (!Number.isInteger(seed) || /** @type {number} */ (seed) < 0 || /** @type {number} */ (seed) >= TWO_32) {
    throw new RangeError(`${field} must be an integer in [0, 2**32), got ${String(seed)}`);
  }
  return /** @type {number} */ (seed);
}

/** `new Rng(seed)`: uniform(), normal() and shuffle(n), all drawn from one uint32 stream. */
export class Rng {
  /** @param {number} [seed] */
  constructor(seed = 0) {
    /** @type {number} the uint32 state */
    this.state = checkSeed(seed);
  }

  /** @returns {number} the next uint32 */
  nextUint32() {
    this.state = (this.state + WEYL) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1) >>> 0;
    t = (t ^ ((t + Math.imul(t ^ (t >>> 7), t | 61)) >>> 0)) >>> 0;
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** @returns {number} a float in [0, 1): the next uint32 / 2**32 (exact) */
  uniform() {
    return this.nextUint32() / TWO_32;
  }

  /** @returns {number} a standard normal by Box–Muller from two fresh uniforms (u1 first, no caching) */
  normal() {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
  }

  /**
   * A permutation of 0..n-1 by Fisher–Yates (i from n-1 down to 1, j = floor(uniform() * (i + 1))).
   * @param {number} n
   * @returns {Int32Array}
   */
  shuffle(n) {
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = perm[i];
      perm[i] = perm[j];
      perm[j] = tmp;
    }
    return perm;
  }
}
