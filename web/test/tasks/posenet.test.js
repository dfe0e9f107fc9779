// web/src/tasks/posenet.js against src/edgeward/tasks/posenet.py: sigmoid, single-pose and
// PersonLab multi-pose decoding of PoseNet's real outputs for a one-person and a group photo.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { decodeMultiple, decodeSingle, npMean, sigmoid } from '../../src/tasks/posenet.js';
import { assertClose, loadFixture, tensor } from '../helpers.js';

const fx = loadFixture('posenet');

function assertPoses(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} poses, expected ${expected.length}`);
  expected.forEach((e, i) => {
    assertClose(actual[i].score, e.score, 1e-12, `${what} pose ${i} score`);
    assertClose(actual[i].ys, e.ys, 1e-12, `${what} pose ${i} ys`);
    assertClose(actual[i].xs, e.xs, 1e-12, `${what} pose ${i} xs`);
    assertClose(actual[i].scores, e.scores, 1e-12, `${what} pose ${i} keypoint scores`);
  });
}

for (const photo of fx.photos) {
  describe(`PoseNet on '${photo.name}'`, () => {
    const scores = tensor(photo.scores);
    const offsets = tensor(photo.offsets);

    test('sigmoid of the heatmap logits', () => {
      const s = sigmoid(Float32Array.from(photo.heatmap.data));
      assertClose(s, scores.data, 1e-7, 'sigmoid');
    });

    test('decodeSingle', () => {
      assertPoses([decodeSingle(scores, offsets, fx.outputStride)], [photo.single], 'single');
    });

    for (const m of photo.multiple) {
      test(`decodeMultiple maxPoses ${m.maxPoses}, threshold ${m.scoreThreshold}, refine ${m.refineSteps}`, () => {
        const poses = decodeMultiple(scores, offsets, tensor(photo.displacementFwd), tensor(photo.displacementBwd),
          fx.outputStride, fx.chain, m.maxPoses, m.scoreThreshold, m.nmsRadius, m.refineSteps);
        assertPoses(poses, m.poses, 'multiple');
      });
    }
  });
}

test('the group photo has several poses (the fixture exercises multi-pose)', () => {
  const party = fx.photos.find((p) => p.name === 'party');
  assert.ok(Math.max(...party.multiple.map((m) => m.poses.length)) >= 3);
});

test('npMean sums like numpy (pairwise): the mean of the keypoint scores is bit-exact', () => {
  for (const photo of fx.photos) assert.equal(npMean(Float64Array.from(photo.single.scores)), photo.single.score);
});
