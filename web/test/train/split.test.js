// web/src/train/split.js against src/edgeward/train/split.py on the digits labels.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TrainingError } from '../../src/errors.js';
import { stratifiedSplit } from '../../src/train/split.js';
import { loadFixture } from '../helpers.js';

const fx = loadFixture('train_split');
const digits = loadFixture('train_digits');

for (const c of fx.cases) {
  test(`stratifiedSplit(digits, ${c.testSplit}, seed ${c.seed}) is Python's`, () => {
    const { trainIdx, testIdx } = stratifiedSplit(digits.y, c.testSplit, c.seed);
    assert.deepEqual(Array.from(trainIdx), c.trainIdx);
    assert.deepEqual(Array.from(testIdx), c.testIdx);
  });
}

test('a class left without training examples is the same TrainingError', () => {
  const r = fx.refused;
  assert.equal(r.error.name, 'TrainingError');
  assert.throws(() => stratifiedSplit(r.y, r.testSplit, r.seed), (e) => e instanceof TrainingError && e.message === r.error.message);
});

test('a bad testSplit is a RangeError', () => {
  for (const s of [-0.1, 1, '0.3', null, NaN]) assert.throws(() => stratifiedSplit([0, 1], /** @type {any} */ (s)), RangeError);
});
