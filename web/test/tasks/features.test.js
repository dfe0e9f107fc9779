// web/src/tasks/features.js: a trained head's probabilities → top-k classes, ranked exactly as
// classification ranks them (src/edgeward/tasks/features.py uses classify.top_k the same way).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ManifestError } from '../../src/errors.js';
import { decodeFeatures, DEFAULT_FEATURES_OPTIONS, normalizeFeaturesOptions } from '../../src/tasks/features.js';

const head = { kind: 'mlp', features: 'raw', dim: 4, input: 'features', output: 'probabilities', hidden: 8 };
const outputs = { probabilities: { data: Float32Array.from([0.1, 0.4, 0.1, 0.4]), dims: [1, 4] } };

test('top-k of the head output, ties in class-id order, labels from the manifest', () => {
  const { classes } = decodeFeatures(head, outputs, ['a', 'b', 'c', 'd'], { topK: 3 });
  assert.deepEqual(classes.map((c) => [c.label, c.class_id]), [['b', 1], ['d', 3], ['a', 0]]);
  assert.equal(classes[0].score, Math.fround(0.4));
  assert.equal(decodeFeatures(head, outputs, null).classes.length, 4);
});

test('options are checked and a missing head or output is the manifest\'s fault', () => {
  assert.deepEqual(normalizeFeaturesOptions({}), { ...DEFAULT_FEATURES_OPTIONS });
  assert.throws(() => normalizeFeaturesOptions({ topK: 0 }), RangeError);
  assert.throws(() => decodeFeatures(null, outputs, null), ManifestError);
  assert.throws(() => decodeFeatures({ ...head, output: 'logits' }, outputs, null), /model output 'logits' \(head.output\) is missing/);
});
