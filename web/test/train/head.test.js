// web/src/train/head.js against src/edgeward/train/head.py: linear and MLP heads trained on the digits
// split from the same seed. The contract is weights within 1e-4 and the same held-out accuracy; both
// sides sum in the same order in float64, so the measured difference is at rounding level (~1e-15).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TrainingError } from '../../src/errors.js';
import { HeadTrainer, trainHead } from '../../src/train/head.js';
import { DEFAULT_HEAD_OPTIONS } from '../../src/train/options.js';
import { assertClose, loadFixture } from '../helpers.js';

const fx = loadFixture('train_head');
const digits = loadFixture('train_digits');
const data = { x: { rows: digits.rows, cols: digits.cols, data: digits.x }, y: digits.y, labels: digits.labels };
const TOL = 1e-9; // far inside the 1e-4 contract: a change in the order of draws or sums shows at once

test('the defaults are Python\'s', () => {
  assert.deepEqual({ ...DEFAULT_HEAD_OPTIONS }, fx.defaults);
});

for (const run of fx.runs) {
  test(`${JSON.stringify(run.options)}: the weights, history and predictions are Python's`, (t) => {
    const seen = [];
    const head = trainHead(data, fx.trainIdx, fx.testIdx, run.options, (r) => seen.push(r));
    assert.equal(head.kind, run.kind);
    assert.deepEqual(head.labels, run.labels);
    assert.equal(head.bestEpoch, run.bestEpoch);
    assertClose(head.mean, run.mean, 1e-15, 'mean');
    assertClose(head.std, run.std, 1e-15, 'std');
    let worst = 0;
    head.layers.forEach((layer, l) => {
      const e = run.layers[l];
      assert.deepEqual([layer.W.rows, layer.W.cols], [e.rows, e.cols]);
      layer.W.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - e.W[i])); });
      layer.b.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - e.b[i])); });
    });
    t.diagnostic(`max |w_js - w_python| = ${worst.toExponential(2)}`);
    assert.ok(worst <= TOL, `max weight difference ${worst}`);
    assert.deepEqual(seen, head.history);
    assert.equal(head.history.length, run.history.length);
    head.history.forEach((r, i) => {
      const e = run.history[i];
      assert.equal(r.epoch, e.epoch);
      assert.equal(r.trainAccuracy, e.trainAccuracy, `epoch ${r.epoch} train accuracy`);
      assert.equal(r.testAccuracy, e.testAccuracy, `epoch ${r.epoch} test accuracy`);
      assertClose([r.trainLoss, r.testLoss], [e.trainLoss, e.testLoss], TOL, `epoch ${r.epoch} losses`);
    });
    const x = { rows: fx.testIdx.length, cols: digits.cols, data: new Float64Array(fx.testIdx.length * digits.cols) };
    fx.testIdx.forEach((r, i) => x.data.set(digits.x.slice(r * digits.cols, (r + 1) * digits.cols), i * digits.cols));
    const proba = head.predictProba(x);
    assertClose(proba.data.subarray(0, run.proba.length), run.proba, TOL, 'probabilities');
    const predicted = Array.from({ length: proba.rows }, (_, i) => {
      const row = proba.data.subarray(i * proba.cols, (i + 1) * proba.cols);
      return row.indexOf(Math.max(...row));
    });
    assert.deepEqual(predicted, run.predicted);
  });
}

test('the blank-training default reaches 97 % on the held-out digits in 10 epochs', () => {
  const mlp = fx.runs.find((r) => r.options.head === 'mlp' && Object.keys(r.options).length === 1);
  assert.ok(mlp.history[9].testAccuracy >= 0.97);
});

test('step() trains one batch at a time and a finished trainer refuses more', () => {
  const small = { x: { rows: 6, cols: 2, data: [0, 1, 1, 0, 0, 2, 2, 0, 0, 3, 3, 0] }, y: [0, 1, 0, 1, 0, 1], labels: ['a', 'b'] };
  const trainer = new HeadTrainer(small, [0, 1, 2, 3], [4, 5], { batchSize: 3, epochs: 1 });
  assert.equal(trainer.batchesPerEpoch, 2);
  assert.equal(trainer.step(), null);
  assert.equal(trainer.step().epoch, 1);
  assert.ok(trainer.done);
  assert.throws(() => trainer.step(), TrainingError);
});

test('bad options are RangeErrors; bad data and wrong lengths are TrainingErrors', () => {
  const small = { x: { rows: 4, cols: 2, data: [0, 1, 1, 0, 0, 2, 2, 0] }, y: [0, 1, 0, 1], labels: ['a', 'b'] };
  for (const bad of [{ head: 'knn' }, { epochs: 0 }, { batchSize: 1.5 }, { learningRate: 0 }, { optimizer: 'rmsprop' },
    { dropout: 1 }, { momentum: -1 }, { hidden: 0 }, { patience: 0 }, { seed: -1 }, { epoch: 3 }]) {
    assert.throws(() => trainHead(small, [0, 1], [2, 3], /** @type {any} */ (bad)), RangeError, JSON.stringify(bad));
  }
  assert.throws(() => trainHead({ ...small, labels: ['a'] }, [0, 1], [2, 3]), TrainingError);
  assert.throws(() => trainHead({ ...small, x: { ...small.x, data: [NaN, 1, 1, 0, 0, 2, 2, 0] } }, [0, 1], [2, 3]), TrainingError);
  assert.throws(() => trainHead(small, [0, 1, 2, 3], [], { patience: 2 }), TrainingError);
  const head = trainHead(small, [0, 1, 2, 3], [], { epochs: 1 });
  assert.equal(head.history[0].testLoss, null);
  assert.throws(() => head.predictProba({ rows: 1, cols: 3, data: [0, 0, 0] }), TrainingError);
});
