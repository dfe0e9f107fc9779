// web/src/tasks/classify.js `topK` against src/edgeward/tasks/classify.py `top_k` on
// EfficientNet-Lite0's real probabilities (and the same rounded to 2 decimals: many ties, which
// keep class-id order).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ManifestError } from '../../src/errors.js';
import { decodeClassification, normalizeClassifyOptions, topK } from '../../src/tasks/classify.js';
import { loadFixture } from '../helpers.js';

const fx = loadFixture('classify');

for (const c of fx.cases) {
  test(`topK on '${c.photo}' (${c.variant})`, () => {
    const scores = Float32Array.from(c.scores);
    for (const t of c.top) {
      assert.deepEqual(topK(scores, t.labels ? fx.labels : null, t.k), t.classes, `k ${t.k}, labels ${t.labels}`);
    }
  });
}

test('the rounded scores have ties', () => {
  const c = fx.cases.find((x) => x.variant === 'rounded');
  const all = c.top.find((t) => t.k === 1000).classes;
  assert.ok(all.some((x, i) => i > 0 && x.score === all[i - 1].score));
});

test('k must be an integer >= 1 (RangeError)', () => {
  for (const k of [0, -1, 1.5, '5', null]) assert.throws(() => topK(new Float32Array(3), null, k), RangeError);
  assert.throws(() => normalizeClassifyOptions({ topK: 0 }), RangeError);
});

const decoders = loadFixture('decoders').classify;

for (const c of decoders.cases) {
  test(`decodeClassification on '${c.photo}' ${JSON.stringify(c.options)}`, () => {
    const outputs = Object.fromEntries(Object.entries(c.outputs).map(([k, t]) => [k, { dims: t.dims, data: Float32Array.from(t.data) }]));
    const got = decodeClassification(decoders.postprocess, outputs, decoders.labels, c.options);
    assert.deepEqual(got.classes, c.classes);
    if (c.embedding) assert.deepEqual(got.embedding, Float32Array.from(c.embedding));
    else assert.equal(got.embedding, undefined);
  });
}

test('an embedding asked of a package without one is a ManifestError', () => {
  const c = decoders.cases[0];
  const outputs = { [decoders.postprocess.output]: { dims: c.outputs[decoders.postprocess.output].dims, data: new Float32Array(1000) } };
  assert.throws(() => decodeClassification({ ...decoders.postprocess, embedding: null }, outputs, null, { embedding: true }),
    (err) => err instanceof ManifestError && err.message.includes('postprocess.embedding'));
});
