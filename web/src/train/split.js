// The stratified, seeded train/test split: an exact mirror of src/edgeward/train/split.py. Per class
// in increasing index, its example indices (ascending) are permuted by one Rng(seed)'s shuffle and the
// first floor(n_c * testSplit + 0.5) are held out; both lists come back sorted ascending.
import { TrainingError } from '../errors.js';
import { Rng } from './prng.js';

export const DEFAULT_TEST_SPLIT = 0.3;

/**
 * `testSplit` as a number in [0, 1), or a RangeError (Python: OptionError).
 * @param {unknown} testSplit
 * @returns {number}
 */
export function checkTestSplit(testSplit) {
  if (typeof testSplit !== 'number' || !(testSplit >= 0 && testSplit < 1)) {
    throw new RangeError(`testSplit must be a number in [0, 1), got ${String(testSplit)}`);
  }
  return testSplit;
}

/**
 * {trainIdx, testIdx} (Int32Array, ascending). TrainingError when a class would keep no training example.
 * @param {ArrayLike<number>} y class indices
 * @param {number} [testSplit]
 * @param {number} [seed]
 * @returns {{trainIdx: Int32Array, testIdx: Int32Array}}
 */
export function stratifiedSplit(y, testSplit = DEFAULT_TEST_SPLIT, seed = 0) {
  const fraction = checkTestSplit(testSplit);
  const rng = new Rng(seed);
  let classes = 0;
  for (let i = 0; i < y.length; i++) classes = Math.max(classes, y[i] + 1);
  /** @type {number[]} */ const train = [];
  /** @type {number[]} */ const test = [];
  for (let c = 0; c < classes; c++) {
    /** @type {number[]} */ const members = [];
    for (let i = 0; i < y.length; i++) if (y[i] === c) members.push(i);
    const perm = rng.shuffle(members.length);
    const nTest = Math.floor(members.length * fraction + 0.5);
    if (members.length && nTest >= members.length) {
      throw new TrainingError(`class ${c} has ${members.length} example(s): a test split of ${fraction} `
        + `holds out ${nTest}, leaving none to train on`);
    }
    perm.forEach((p, k) => (k < nTest ? test : train).push(members[p]));
  }
  const ascending = (/** @type {number[]} */ a) => Int32Array.from(a).sort();
  return { trainIdx: ascending(train), testIdx: ascending(test) };
}
