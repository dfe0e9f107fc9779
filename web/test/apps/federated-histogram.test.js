// The dashboard's update-norm histogram: bins over [0, max(norms, clip)], every finite norm counted once.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { histogram } from '../../apps/federated/histogram.js';

test('every finite norm lands in exactly one bin, the largest in the last', () => {
  const norms = [0.1, 0.5, 0.99, 1.0, 2.5, 3.2, NaN, Infinity];
  const h = histogram(norms, 8, 1.0);
  assert.equal(h.counts.reduce((a, b) => a + b, 0), 6);
  assert.equal(h.edges.length, 9);
  assert.equal(h.edges[0], 0);
  assert.ok(h.edges[8] > 3.2 && h.edges[8] < 3.4);
  assert.equal(h.counts[7], 1); // 3.2
  assert.equal(h.counts[0], 1); // 0.1 < 3.36 / 8
});

test('the range reaches the clipping norm when every update is below it', () => {
  const h = histogram([0.2, 0.3], 10, 5);
  assert.ok(h.edges[10] >= 5);
  assert.deepEqual(h.counts.slice(0, 1), [2]);
});

test('no updates: empty bins, a positive range', () => {
  const h = histogram([], 4, null);
  assert.deepEqual(h.counts, [0, 0, 0, 0]);
  assert.ok(h.edges[4] > 0);
});
