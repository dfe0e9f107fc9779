// web/src/tasks/nms.js against src/edgeward/tasks/nms.py on CenterNet's real boxes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { iou, nms } from '../../src/tasks/nms.js';
import { assertClose, loadFixture } from '../helpers.js';

const fx = loadFixture('nms');

for (const c of fx.cases) {
  test(`iou of CenterNet boxes on '${c.photo}'`, () => {
    for (const [i, j, expected] of c.iou) assertClose(iou(c.boxes[i], c.boxes[j]), expected, 1e-12, `iou(${i}, ${j})`);
  });
  for (const r of c.runs) {
    test(`nms on '${c.photo}' (${c.boxes.length} boxes): iou ${r.iouThreshold}, max ${r.maxDetections}`, () => {
      assert.deepEqual(nms(c.boxes, c.scores, c.classes, r.iouThreshold, r.maxDetections), r.kept);
    });
  }
}

test('the fixture has overlapping boxes that NMS drops', () => {
  const c = fx.cases[0];
  const r = c.runs.find((x) => x.maxDetections === 100 && x.iouThreshold === 0.3);
  assert.ok(r.kept.length < c.boxes.length, 'something was suppressed');
});
