// web/src/tasks/roi.js against src/edgeward/tasks/roi.py: the crop for the next video frame from
// real PoseNet / MoveNet poses (as captured and mirrored), for several input shapes and options.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkRoi, DEFAULT_ROI_OPTIONS, MIN_KEYPOINTS, nextRoi } from '../../src/tasks/roi.js';
import { loadFixture } from '../helpers.js';

const fx = loadFixture('roi');

test('defaults are the oracle\'s', () => {
  assert.deepEqual({ ...DEFAULT_ROI_OPTIONS }, fx.defaults);
  assert.equal(MIN_KEYPOINTS, fx.minKeypoints);
});

for (const c of fx.cases) {
  test(`${c.package} on '${c.photo}' ${c.width}x${c.height}, input ${c.inputSize}, ${JSON.stringify(c.options)}`, () => {
    const roi = nextRoi(c.poses, c.width, c.height, c.inputSize, c.options);
    assert.deepEqual(roi, c.roi);
    if (roi) assert.deepEqual(checkRoi(roi, c.width, c.height), roi);
  });
}

test('the fixture has crops and whole frames', () => {
  assert.ok(fx.cases.some((c) => c.roi !== null) && fx.cases.some((c) => c.roi === null));
});

test('checkRoi names what is wrong (RangeError)', () => {
  assert.equal(checkRoi(null, 640, 480), null);
  assert.throws(() => checkRoi([0, 0, 10], 640, 480), { name: 'RangeError', message: /4 integers/ });
  assert.throws(() => checkRoi([0, 0, 700, 10], 640, 480), { name: 'RangeError', message: /not inside the 640x480 image/ });
  assert.throws(() => checkRoi([1, 0, 10, 10], 640, 480), { name: 'RangeError', message: /must be even/ });
});
