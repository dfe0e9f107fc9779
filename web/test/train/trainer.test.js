// web/src/train/trainer.js — the worker's training session — on the digits: fed the examples in
// order, it trains the model `edgeward train digits` does (stratified split and head from one seed),
// predicts with KNN before training, refuses untrainable data and stops when cancelled.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TrainingError } from '../../src/errors.js';
import { Trainer } from '../../src/train/trainer.js';
import { loadFixture } from '../helpers.js';

const digits = loadFixture('train_digits');
const heads = loadFixture('train_head');

function fed(options = {}) {
  const trainer = new Trainer({ labels: digits.labels, ...options });
  for (let i = 0; i < digits.rows; i++) {
    trainer.addExample(digits.x.slice(i * digits.cols, (i + 1) * digits.cols), digits.labels[digits.y[i]]);
  }
  return trainer;
}

test('fit() trains the same MLP as Python from the same seed (split and head)', async () => {
  const trainer = fed();
  const epochs = [];
  const report = await trainer.fit({ head: 'mlp' }, { onEpochEnd: (r) => epochs.push(r) });
  const python = heads.runs.find((r) => r.options.head === 'mlp' && Object.keys(r.options).length === 1);
  let worst = 0;
  trainer.head.layers.forEach((layer, l) => {
    layer.W.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - python.layers[l].W[i])); });
  });
  assert.ok(worst < 1e-9, `max weight difference ${worst}`);
  assert.equal(epochs.length, 10);
  assert.equal(report.testExamples, heads.testIdx.length);
  assert.equal(report.history.at(-1).testAccuracy, python.history.at(-1).testAccuracy);
  assert.ok(report.accuracy >= 0.97, `held-out accuracy ${report.accuracy}`);
  assert.equal(report.confusion.length, 10);
});

test('predict() uses KNN before training and the head after', async () => {
  const trainer = fed({ k: 3 });
  const row = digits.x.slice(0, digits.cols);
  const knn = trainer.predict(row, 2);
  assert.equal(knn[0].label, digits.labels[digits.y[0]]);
  assert.equal(knn[0].score, 1); // all 3 neighbours of a training example agree with it here
  await trainer.fit({ head: 'linear', epochs: 2 });
  const head = trainer.predict(row, 10);
  assert.equal(head.length, 10);
  assert.ok(Math.abs(head.reduce((a, c) => a + c.score, 0) - 1) < 1e-9, 'head scores are probabilities');
});

test('untrainable data is a TrainingError naming the problem', async () => {
  const t = new Trainer({ labels: ['a', 'b'] });
  t.addExample([1, 2], 'a');
  await assert.rejects(t.fit(), (e) => e instanceof TrainingError && /class 'b' has no examples/.test(e.message));
  assert.throws(() => t.addExample([1, 2, 3], 'b'), /length 3; this trainer's examples have 2/);
  assert.throws(() => t.addExample([NaN, 1], 'b'), TrainingError);
  const one = new Trainer();
  one.addExample([1, 2], 'a');
  await assert.rejects(one.fit(), /at least 2/);
});

test('a cancelled fit stops within one batch and keeps the previous model', async () => {
  const trainer = fed();
  const signal = { aborted: false };
  let batches = 0;
  const pause = async () => { batches += 1; if (batches === 5) signal.aborted = true; };
  await assert.rejects(trainer.fit({ head: 'mlp' }, { pause, signal }), (e) => e.name === 'AbortError');
  assert.equal(batches, 5);
  assert.equal(trainer.head, null);
});

test('exportDataset / importDataset round-trip features and labels', () => {
  const a = fed();
  const b = new Trainer();
  b.importDataset(JSON.parse(JSON.stringify(a.exportDataset())));
  assert.deepEqual(b.counts(), a.counts());
  assert.deepEqual(b.dataset().x.data, a.dataset().x.data);
  assert.throws(() => b.importDataset({ format: 'other' }), TrainingError);
});
