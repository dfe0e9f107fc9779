// web/src/train/pose-features.js against src/edgeward/train/pose_features.py: the same float32 features
// (bit for bit) for real PoseNet / MoveNet poses — as captured, flipped, from mirrored pictures — and for
// every fallback; the same refusals with the same messages (Python's OptionError is a RangeError here).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TrainingError } from '../../src/errors.js';
import {
  bestPoseFeatures, DEFAULT_THRESHOLD, MIN_KEYPOINTS, POSE_ESTIMATE, POSE_FEATURE_DIM, POSE_KEYPOINTS, poseFeatures, swapSide,
} from '../../src/train/pose-features.js';
import { loadFixture } from '../helpers.js';

const fx = loadFixture('train_pose_features');
const ERRORS = { TrainingError, OptionError: RangeError };

test('the constants are Python\'s: length, keypoint order, threshold, minimum, how a pose is estimated', () => {
  assert.equal(POSE_FEATURE_DIM, fx.dim);
  assert.deepEqual([...POSE_KEYPOINTS], fx.keypoints);
  assert.equal(DEFAULT_THRESHOLD, fx.threshold);
  assert.equal(MIN_KEYPOINTS, fx.minKeypoints);
  assert.deepEqual({ ...POSE_ESTIMATE }, fx.estimate);
});

test('real poses: Python\'s float32 features, bit for bit, in every mirroring combination', () => {
  const real = fx.cases.filter((c) => c.features && /^(posenet|movenet)/.test(c.what));
  assert.ok(real.length >= 40, `${real.length} real-pose cases`);
  for (const c of real) {
    assert.deepEqual(poseFeatures(c.pose, c.options), Float32Array.from(c.features), `${c.what} ${JSON.stringify(c.options)}`);
  }
});

test('fallbacks (no hips, no torso, another order, a bare list): Python\'s features', () => {
  for (const c of fx.cases.filter((x) => x.features && !/^(posenet|movenet)/.test(x.what))) {
    assert.deepEqual(poseFeatures(c.pose, c.options), Float32Array.from(c.features), c.what);
  }
});

test('refusals: the same class and message as Python', () => {
  const refused = fx.cases.filter((c) => c.error);
  assert.ok(refused.length >= 8);
  for (const c of refused) {
    assert.throws(() => poseFeatures(c.pose, c.options), (err) => {
      assert.ok(err instanceof ERRORS[c.error.name], `${c.what}: ${err.name}, expected ${c.error.name}`);
      assert.equal(err.message, c.error.message, c.what);
      return true;
    });
  }
});

test('mirroring: left/right swap and x negation as documented', () => {
  assert.equal(swapSide('left_wrist'), 'right_wrist');
  assert.equal(swapSide('right_ear'), 'left_ear');
  assert.equal(swapSide('nose'), 'nose');
  const c = fx.cases.find((x) => x.features && x.what === 'posenet webcam' && !Object.keys(x.options).length);
  const plain = poseFeatures(c.pose);
  // The same pose as a flipped estimate would give it (x mirrored, names kept): the same features.
  const width = 1000;
  const flipped = { keypoints: c.pose.keypoints.map((k) => ({ ...k, x: width - 1 - k.x })) };
  const back = poseFeatures(flipped, { flipHorizontal: true });
  back.forEach((v, i) => assert.ok(Math.abs(v - plain[i]) < 1e-6, `feature ${i}`));
  // A mirror picture's names are the mirror image's: with `mirrored`, the subject's own sides come back.
  const swapped = { keypoints: c.pose.keypoints.map((k) => ({ ...k, name: swapSide(k.name) })) };
  assert.deepEqual(poseFeatures(swapped, { flipHorizontal: true, mirrored: true }), plain);
});

test('bestPoseFeatures: the first pose; none is a TrainingError', () => {
  const c = fx.cases.find((x) => x.features && x.what === 'posenet astronaut');
  assert.deepEqual(bestPoseFeatures([c.pose, { keypoints: [] }], c.options), Float32Array.from(c.features));
  assert.throws(() => bestPoseFeatures([]), (err) => err instanceof TrainingError && err.message === 'no pose found');
});
