// web/src/draw.js on a recording 2D context: only confident keypoints and edges are drawn; detections
// keep a stable colour per class and the best is drawn last.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { detectionColor, drawDetections, drawPoses } from '../src/draw.js';

function recorder() {
  const calls = [];
  const ctx = new Proxy({ canvas: { width: 100, height: 100 }, measureText: (t) => ({ width: t.length * 5 }) }, {
    get(target, key) {
      if (key in target) return target[key];
      return (...args) => calls.push([key, ...args]);
    },
    set(target, key, value) { calls.push([`=${String(key)}`, value]); return true; },
  });
  return { ctx, calls };
}

test('drawPoses skips keypoints and edges under minScore', () => {
  const { ctx, calls } = recorder();
  const kp = (x, score) => ({ name: 'k', x, y: x, score });
  const manifest = { postprocess: { skeleton: [[0, 1], [1, 2]] } };
  drawPoses(ctx, [{ score: 0.9, keypoints: [kp(10, 0.9), kp(20, 0.8), kp(30, 0.1)] }], manifest, { minScore: 0.3 });
  assert.deepEqual(calls.filter((c) => c[0] === 'lineTo'), [['lineTo', 20, 20]]);
  assert.equal(calls.filter((c) => c[0] === 'arc').length, 2);
});

test('drawDetections draws best last, with a per-class colour', () => {
  const { ctx, calls } = recorder();
  const dets = [{ label: 'cup', class_id: 41, score: 0.9, box: [10, 30, 50, 60] }, { label: 'dog', class_id: 16, score: 0.4, box: [0, 0, 5, 5] }];
  drawDetections(ctx, dets);
  const texts = calls.filter((c) => c[0] === 'fillText').map((c) => c[1]);
  assert.deepEqual(texts, ['dog 40%', 'cup 90%']);
  assert.equal(detectionColor(41), detectionColor(41 + 8));
  assert.notEqual(detectionColor(1), detectionColor(2));
});
