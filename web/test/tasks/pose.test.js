// web/src/tasks/pose.js `decodePoses` — what the worker calls — against src/edgeward/tasks/pose.py
// `decode_poses` on real PoseNet and MoveNet outputs (whole image and an ROI crop, flipped or not).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ManifestError } from '../../src/errors.js';
import { Letterbox } from '../../src/preprocess.js';
import { decodePoses, decodeRawPoses, DEFAULT_POSE_OPTIONS, normalizePoseOptions } from '../../src/tasks/pose.js';
import { assertClose, loadFixture } from '../helpers.js';

const fx = loadFixture('decoders');

function outputsOf(run) {
  return Object.fromEntries(Object.entries(run.outputs).map(([k, t]) => [k, { dims: t.dims, data: Float32Array.from(t.data) }]));
}

function assertSamePoses(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} poses, Python ${expected.length}`);
  actual.forEach((p, i) => {
    assertClose(p.score, expected[i].score, 1e-9, `${what} pose ${i} score`);
    assert.deepEqual(p.keypoints.map((k) => k.name), expected[i].keypoints.map((k) => k.name));
    for (const axis of ['x', 'y', 'score']) {
      assertClose(p.keypoints.map((k) => k[axis]), expected[i].keypoints.map((k) => k[axis]), 1e-9, `${what} pose ${i} ${axis}`);
    }
  });
}

for (const run of fx.pose) {
  test(`decodePoses: ${run.package} on '${run.photo}'${run.crop ? ` cropped to [${run.crop}]` : ''}`, () => {
    const b = run.box;
    const box = new Letterbox(b.scale, b.padX, b.padY, b.imageW, b.imageH);
    const outputs = outputsOf(run);
    const scratch = {};
    for (const c of run.cases) {
      const got = decodePoses(run.postprocess, outputs, box, c.options, scratch, run.inputSize, run.frame);
      assertSamePoses(got, c.poses, `${JSON.stringify(c.options)}`);
    }
  });
}

test('a missing output is a ManifestError naming the output and its field', () => {
  const run = fx.pose.find((r) => r.postprocess.kind === 'posenet');
  const outputs = outputsOf(run);
  delete outputs[run.postprocess.outputs.offset];
  const box = new Letterbox(1, 0, 0, 385, 385);
  assert.throws(() => decodeRawPoses(run.postprocess, outputs, run.inputSize, normalizePoseOptions()),
    (err) => err instanceof ManifestError && err.message.includes('postprocess.outputs.offset'));
  assert.throws(() => decodePoses({ kind: 'centernet' }, outputs, box), ManifestError);
});

test('options are checked (RangeError) and defaulted', () => {
  assert.deepEqual(normalizePoseOptions(), { ...DEFAULT_POSE_OPTIONS });
  for (const bad of [{ maxPoses: 0 }, { maxPoses: 1.5 }, { scoreThreshold: NaN }, { nmsRadius: -1 }, { roi: [1, 0, 5, 5] }]) {
    assert.throws(() => normalizePoseOptions(bad), RangeError, JSON.stringify(bad));
  }
});
