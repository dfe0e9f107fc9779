// web/src/train/evaluate.js against src/edgeward/train/evaluate.py; web/src/train/data.js's dataHash
// against data_hash on the digits.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TrainingError } from '../../src/errors.js';
import { dataHash } from '../../src/train/data.js';
import { confusionMatrix, evaluate } from '../../src/train/evaluate.js';
import { loadFixture } from '../helpers.js';

const fx = loadFixture('train_evaluate');

fx.cases.forEach((c, i) => {
  test(`evaluate case ${i} (${c.yTrue.length} examples) is Python's`, () => {
    assert.deepEqual(evaluate(c.yTrue, c.yPred, c.labels), c.result);
  });
});

test('mismatched or out-of-range classes are TrainingErrors', () => {
  assert.throws(() => confusionMatrix([0, 1], [0], 2), TrainingError);
  assert.throws(() => confusionMatrix([0, 1], [0, 2], 2), TrainingError);
});

test('dataHash of the digits is Python\'s data_hash', async () => {
  const d = loadFixture('train_digits');
  assert.equal(await dataHash({ rows: d.rows, cols: d.cols, data: d.x }, d.y, d.labels), d.dataHash);
});
