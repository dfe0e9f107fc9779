// Training options of a linear / MLP head: a mirror of src/edgeward/train/options.py (camelCase here;
// the defaults are Python's, a test checks). A bad value is a RangeError naming the option.
import { checkSeed } from './prng.js';

export const HEADS = Object.freeze(['linear', 'mlp']);
export const OPTIMIZERS = Object.freeze(['adam', 'sgd']);

/**
 * @typedef {{head: string, epochs: number, batchSize: number, learningRate: number, optimizer: string,
 *   momentum: number, hidden: number, dropout: number, seed: number, patience: number | null}} HeadOptions
 */

/** @type {Readonly<HeadOptions>} see HeadOptions in options.py for why these values */
export const DEFAULT_HEAD_OPTIONS = Object.freeze({
  head: 'mlp', epochs: 10, batchSize: 32, learningRate: 0.01, optimizer: 'adam', momentum: 0.0, hidden: 128,
  dropout: 0.0, seed: 0, patience: null,
});

/**
 * The defaults overridden by `options` (some of HeadOptions' fields), checked; frozen.
 * @param {Partial<HeadOptions>} [options]
 * @returns {Readonly<HeadOptions>}
 */
export function headOptions(options = {}) {
  const unknown = Object.keys(options).filter((k) => !(k in DEFAULT_HEAD_OPTIONS)).sort();
  if (unknown.length) {
    throw new RangeError(`unknown training option(s) ${unknown.join(', ')}; known: ${Object.keys(DEFAULT_HEAD_OPTIONS).sort().join(', ')}`);
  }
  const o = { ...DEFAULT_HEAD_OPTIONS, ...options };
  const byName = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (o));
  choice('head', o.head, HEADS);
  choice('optimizer', o.optimizer, OPTIMIZERS);
  for (const name of ['epochs', 'batchSize', 'hidden']) positiveInt(name, byName[name]);
  if (o.patience !== null) positiveInt('patience', o.patience);
  if (typeof o.learningRate !== 'number' || !Number.isFinite(o.learningRate) || !(o.learningRate > 0)) {
    throw new RangeError(`learningRate must be a finite number > 0, got ${String(o.learningRate)}`);
  }
  for (const name of ['momentum', 'dropout']) {
    const value = byName[name];
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
      throw new RangeError(`${name} must be a number in [0, 1), got ${String(value)}`);
    }
  }
  checkSeed(o.seed);
  return Object.freeze(o);
}

/** @param {string} name @param {unknown} value @param {readonly string[]} choices */
function choice(name, value, choices) {
  if (!choices.includes(/** @type {string} */ (value))) {
    throw new RangeError(`${name} must be one of ${choices.join(', ')}, got ${String(value)}`);
  }
}

/** @param {string} name @param {unknown} value */
function positiveInt(name, value) {
  if (!Number.isInteger(value) || /** @type {number} */ (value) < 1) {
    throw new RangeError(`${name} must be an integer >= 1, got ${String(value)}`);
  }
}
