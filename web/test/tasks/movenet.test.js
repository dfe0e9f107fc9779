// web/src/tasks/movenet.js against src/edgeward/tasks/movenet.py on MoveNet Lightning (single
// pose) and MultiPose outputs for real photos.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ManifestError } from '../../src/errors.js';
import { decodeMovenet } from '../../src/tasks/movenet.js';
import { assertClose, loadFixture } from '../helpers.js';

const fx = loadFixture('movenet');

for (const c of fx.cases) {
  for (const d of c.decoded) {
    test(`${c.package} on '${c.photo}': maxPoses ${d.maxPoses}, threshold ${d.scoreThreshold}`, () => {
      const output = { dims: c.output.dims, data: Float32Array.from(c.output.data) };
      const poses = decodeMovenet(output, c.numKeypoints, c.inputH, c.inputW, c.multipose, d.maxPoses, d.scoreThreshold);
      assert.equal(poses.length, d.poses.length);
      d.poses.forEach((e, i) => {
        assertClose(poses[i].score, e.score, 1e-12, `pose ${i} score`);
        assertClose(poses[i].ys, e.ys, 1e-12, `pose ${i} ys`);
        assertClose(poses[i].xs, e.xs, 1e-12, `pose ${i} xs`);
        assertClose(poses[i].scores, e.scores, 1e-12, `pose ${i} scores`);
      });
    });
  }
}

test('an output of the wrong width is a ManifestError', () => {
  const c = fx.cases.find((x) => x.multipose);
  const output = { dims: [1, 6, 50], data: new Float32Array(300) };
  assert.throws(() => decodeMovenet(output, c.numKeypoints, c.inputH, c.inputW, true, 6, 0.1), ManifestError);
});
