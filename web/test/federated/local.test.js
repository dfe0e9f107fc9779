// web/src/federated/{params,local}.js against src/edgeward/federated/{params,local,privacy}.py: the
// parameter vector's order, local training from a version on a digits shard (the delta a browser sends
// equals the one a Python client sends on the same data and seed) and clipping.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FederatedError } from '../../src/errors.js';
import { clip, l2norm, roundSeed, standardize, toTaskExamples, trainLocal } from '../../src/federated/local.js';
import { flatten, paramCount, paramShapes, unflatten } from '../../src/federated/params.js';
import { assertClose, loadFixture } from '../helpers.js';

const fx = loadFixture('federated');

/** How many float32s differ, and the largest difference. */
function compare(actual, expected) {
  assert.equal(actual.length, expected.length);
  let differ = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.fround(expected[i]); // the fixture's float32s, as their shortest decimals
    if (actual[i] !== e) differ += 1;
    worst = Math.max(worst, Math.abs(actual[i] - e));
  }
  return { differ, worst };
}

for (const h of fx.heads) {
  test(`${h.head.kind} head: shapes, count, flatten and unflatten are params.py's`, () => {
    assert.deepEqual(paramShapes(h.head), h.shapes);
    assert.equal(paramCount(h.head), h.count);
    const layers = unflatten(Float32Array.from(h.params), h.head);
    assert.deepEqual(layers.map(({ W, b }) => ({ rows: W.rows, cols: W.cols, W: Array.from(W.data), b: Array.from(b) })), h.layers);
    const flat = flatten(layers);
    assert.ok(flat instanceof Float32Array);
    assert.deepEqual(flat, Float32Array.from(h.params));
    assert.throws(() => unflatten(h.params.slice(1), h.head), (e) => e instanceof FederatedError && /this head has \[\d+\]/.test(e.message));
  });
}

fx.train.forEach((c, n) => {
  test(`local training ${n} (${c.spec.head.kind}, ${c.spec.optimizer}, ${c.spec.local_epochs} epoch(s), seed rule): Python's delta`, (t) => {
    assert.equal(roundSeed(c.clientSeed, c.round), c.seed);
    const examples = { x: { rows: c.rows, cols: c.cols, data: Float64Array.from(c.x) }, y: Int32Array.from(c.y) };
    const local = trainLocal(c.start, c.spec, examples, c.seed);
    const d = compare(local.delta, c.delta);
    const p = compare(local.params, c.params);
    t.diagnostic(`delta: ${d.differ} of ${c.delta.length} float32s differ (max ${d.worst.toExponential(2)}); params: ${p.differ}`);
    // float64 sums in Python's order, then one rounding to float32: the same bits (a 1-ulp float64
    // difference from Math.exp would have to fall on a float32 rounding boundary to show)
    assert.equal(d.differ, 0, `${d.differ} float32s of the delta differ from Python's (max ${d.worst})`);
    assert.equal(p.differ, 0, `${p.differ} float32s of the parameters differ from Python's`);
    assert.equal(local.metrics.examples, c.metrics.examples);
    assertClose(local.metrics.loss, c.metrics.loss, 1e-12, 'loss');
    assert.equal(local.metrics.accuracy, c.metrics.accuracy);
    assertClose(l2norm(local.delta), c.norm, 1e-12, 'norm');
    const sent = c.spec.clip_norm === null ? local.delta : clip(local.delta, c.spec.clip_norm);
    const s = compare(sent, c.sent); // the norm is summed in another order than numpy's: 1 ulp at most
    assert.ok(s.worst <= 1.2e-7 * Math.max(...c.sent.map(Math.abs)), `clipped delta: ${s.worst}`);
    if (c.spec.clip_norm !== null) assert.ok(l2norm(sent) <= c.spec.clip_norm * (1 + 1e-6));
  });
});

test('a different seed or start gives a different delta (the parity above is not vacuous)', () => {
  const c = fx.train[0];
  const examples = { x: { rows: c.rows, cols: c.cols, data: Float64Array.from(c.x) }, y: Int32Array.from(c.y) };
  assert.ok(compare(trainLocal(c.start, c.spec, examples, c.seed + 1).delta, c.delta).differ > 100);
});

for (const c of fx.clip) {
  test(`clip to ${c.norm} of a delta of length ${c.length.toPrecision(4)} is privacy.clip's`, () => {
    const out = clip(c.delta, c.norm);
    assert.ok(compare(out, c.clipped).worst <= 1.2e-7 * Math.max(...c.clipped.map(Math.abs)));
    if (c.length <= c.norm) assert.deepEqual(out, Float32Array.from(c.delta));
    else assertClose(l2norm(out), c.norm, 1e-6, 'clipped norm');
  });
}

test('clip refuses a bad norm and a NaN delta', () => {
  assert.throws(() => clip([1, 2], 0), FederatedError);
  assert.throws(() => clip([1, NaN], 1), /NaN or Inf/);
});

test('standardize uses the head\'s fixed mean and std, never the data\'s', () => {
  const head = fx.heads[0].head;
  const x = { rows: 1, cols: 64, data: Float64Array.from({ length: 64 }, (_, i) => i % 17) };
  const s = standardize(x, head);
  for (let j = 0; j < 64; j++) assert.equal(s.data[j], (x.data[j] - head.mean[j]) / head.std[j]);
  assert.deepEqual(Array.from(standardize(x, fx.heads[1].head).data), Array.from(x.data)); // no mean / std: as is
  assert.throws(() => standardize({ rows: 1, cols: 3, data: new Float64Array(3) }, head), /takes \[n, 64\]/);
});

test('examples: an exported dataset, rows with label names, or indices; unknown labels are named', () => {
  const head = { kind: 'linear', dim: 2, labels: ['cat', 'dog'] };
  const fromDataset = toTaskExamples({ format: 'edgeward-dataset/1', labels: ['dog', 'cat'], dim: 2, x: [1, 2, 3, 4], y: [0, 1] }, head);
  assert.deepEqual(Array.from(fromDataset.y), [1, 0]);
  assert.deepEqual(Array.from(fromDataset.x.data), [1, 2, 3, 4]);
  const fromRows = toTaskExamples({ x: [[1, 2], [3, 4]], y: ['dog', 'dog'] }, head);
  assert.deepEqual([fromRows.x.rows, fromRows.x.cols, ...fromRows.y], [2, 2, 1, 1]);
  assert.deepEqual(Array.from(toTaskExamples({ x: [[0, 0]], y: [1] }, head).y), [1]);
  assert.throws(() => toTaskExamples({ x: [[1, 2]], y: ['bird'] }, head), /label "bird" is not among/);
  assert.throws(() => toTaskExamples({ x: [[1, 2, 3]], y: ['cat'] }, head), /3 features; the task's head takes 2/);
  assert.throws(() => toTaskExamples({ x: [[1, NaN]], y: ['cat'] }, head), /feature 1 is NaN/);
});
