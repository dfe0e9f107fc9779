// web/src/train/knn.js against src/edgeward/train/knn.py: identical classes and confidences for every
// held-out digit (k 1, 3, 5, 10), the same tie rules, the same float32 unit vectors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TrainingError } from '../../src/errors.js';
import { fitKnn, normalize } from '../../src/train/knn.js';
import { loadFixture } from '../helpers.js';

const fx = loadFixture('train_knn');
const digits = loadFixture('train_digits');

/** The rows `idx` of the digits as {rows, cols, data}. */
function rows(idx) {
  const data = new Float64Array(idx.length * digits.cols);
  idx.forEach((r, i) => data.set(digits.x.slice(r * digits.cols, (r + 1) * digits.cols), i * digits.cols));
  return { rows: idx.length, cols: digits.cols, data };
}

test('normalize gives Python\'s float32 unit vectors', () => {
  const x = rows(fx.trainIdx.slice(0, 20));
  assert.deepEqual(normalize(x.data, x.cols), Float32Array.from(fx.normalized));
});

for (const run of fx.runs) {
  test(`KNN (k ${run.k}) on the held-out digits: identical classes and confidences`, () => {
    const model = fitKnn(rows(fx.trainIdx), fx.trainIdx.map((i) => digits.y[i]), digits.labels, run.k);
    const test = rows(fx.testIdx);
    fx.testIdx.forEach((_, i) => {
      const { classIndex, confidences } = model.predict(test.data.subarray(i * test.cols, (i + 1) * test.cols));
      assert.equal(classIndex, run.classes[i], `held-out example ${i}`);
      assert.deepEqual(Array.from(confidences), run.confidences[i], `held-out example ${i}`);
    });
  });
}

test('ties: similarity to the lower example index, votes to the lower class', () => {
  for (const t of fx.ties) {
    const x = { rows: t.x.length, cols: t.x[0].length, data: Float64Array.from(t.x.flat()) };
    const { classIndex, confidences } = fitKnn(x, t.y, t.labels, t.k).predict(t.query);
    assert.equal(classIndex, t.class);
    assert.deepEqual(Array.from(confidences), t.confidences);
  }
});

test('bad inputs: wrong feature length, k, NaN', () => {
  const x = { rows: 2, cols: 2, data: [1, 0, 0, 1] };
  assert.throws(() => fitKnn(x, [0, 1], ['a', 'b']).predict([1, 0, 0]), TrainingError);
  assert.throws(() => fitKnn(x, [0, 1], ['a', 'b'], 0), RangeError);
  assert.throws(() => fitKnn({ rows: 2, cols: 2, data: [NaN, 0, 0, 1] }, [0, 1], ['a', 'b']), TrainingError);
  assert.throws(() => fitKnn(x, [0, 2], ['a', 'b']), TrainingError);
});
