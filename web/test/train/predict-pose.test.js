// The worker's 'predictPose' training op (web/src/train/handlers.js), driven with a stand-in pose
// estimator: one frame's best pose, its features (poseFeatures, the one rule), and its classes — KNN over
// the examples before training, none without an example, none for a pose not confident enough.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TaskError } from '../../src/errors.js';
import { trainingHandlers } from '../../src/train/handlers.js';
import { POSE_KEYPOINTS, poseFeatures } from '../../src/train/pose-features.js';

/** A standing person (image pixels, y down); `armsUp` raises both wrists above the head. */
function person({ armsUp = false, dx = 0, score = 0.9 } = {}) {
  const at = {
    nose: [100, 40], left_eye: [105, 35], right_eye: [95, 35], left_ear: [110, 38], right_ear: [90, 38],
    left_shoulder: [120, 70], right_shoulder: [80, 70], left_elbow: [130, armsUp ? 40 : 100], right_elbow: [70, armsUp ? 40 : 100],
    left_wrist: [132, armsUp ? 10 : 130], right_wrist: [68, armsUp ? 10 : 130], left_hip: [112, 150], right_hip: [88, 150],
    left_knee: [113, 200], right_knee: [87, 200], left_ankle: [114, 250], right_ankle: [86, 250],
  };
  return { score, keypoints: POSE_KEYPOINTS.map((name) => ({ name, x: at[name][0] + dx, y: at[name][1], score })) };
}

/** Handlers on a pose base whose estimator returns the frame's own `poses` (a frame here is {poses}). */
function handlers(task = 'pose') {
  const seen = [];
  const manifest = task === 'pose' ? { task, name: 'stand-in' }
    : { task, name: 'stand-in', postprocess: { embedding: 'e' }, outputs: [{ name: 'e', shape: [1, 4] }] };
  const h = trainingHandlers({
    base: () => manifest,
    embed: async () => { throw new Error('not used'); },
    estimatePoses: async (frame, options) => {
      seen.push(options);
      return { poses: frame.poses, timings: { preprocessMs: 1, inferenceMs: 2, decodeMs: 3 } };
    },
    post: () => {},
  });
  let id = 0;
  const op = async (name, args = {}) => (await h.handleTrain({ id: ++id, op: name, ...args })).result;
  return { op, seen };
}

test('predictPose: the best pose and its features; no classes before the first example', async () => {
  const { op, seen } = handlers();
  await op('init', { labels: ['up', 'down'] });
  const r = await op('predictPose', { frame: { poses: [person({ armsUp: true }), person({ dx: 300 })] } });
  assert.equal(r.pose.keypoints[9].y, 10); // the first (best) pose
  assert.deepEqual(r.features, poseFeatures(person({ armsUp: true })));
  assert.deepEqual(r.classes, []);
  assert.equal(r.reason, null);
  assert.equal(r.trained, false);
  assert.equal(r.timings.inferenceMs, 2);
  assert.deepEqual(seen, [{ mirrored: false }]);
});

test('predictPose: KNN over the examples, then the trained head; features record examples', async () => {
  const { op } = handlers();
  await op('init', { labels: ['up', 'down'] });
  for (let i = 0; i < 6; i++) {
    for (const armsUp of [true, false]) {
      const { features } = await op('predictPose', { frame: { poses: [person({ armsUp, dx: 7 * i })] } });
      await op('add', { features, label: armsUp ? 'up' : 'down' });
    }
  }
  const before = await op('predictPose', { frame: { poses: [person({ armsUp: true, dx: -50 })] }, topK: 2 });
  assert.deepEqual(before.classes.map((c) => c.label), ['up', 'down']);
  assert.equal(before.classes[0].score, 1); // all 3 neighbours agree
  // a KNN head (k = 1) on the training split: 'fit' with a linear / MLP head yields through a MessagePort
  // that would keep node's event loop alive after the test
  await op('fit', { options: { head: 'knn', k: 1 } });
  const after = await op('predictPose', { frame: { poses: [person({ armsUp: false, dx: 80 })] }, topK: 2 });
  assert.equal(after.trained, true);
  assert.deepEqual(after.classes.map((c) => [c.label, c.score]), [['down', 1], ['up', 0]]);
});

test('predictPose: nobody, or a pose too faint to learn from, gives no features and says why', async () => {
  const { op } = handlers();
  await op('init', { labels: ['a'] });
  await op('add', { features: poseFeatures(person()), label: 'a' });
  const nobody = await op('predictPose', { frame: { poses: [] } });
  assert.equal(nobody.pose, null);
  assert.equal(nobody.features, null);
  assert.deepEqual(nobody.classes, []);
  assert.equal(nobody.reason, 'no pose found');
  const faint = await op('predictPose', { frame: { poses: [person({ score: 0.1 })] } });
  assert.equal(faint.pose.keypoints.length, 17);
  assert.equal(faint.features, null);
  assert.match(faint.reason, /^no confident pose: 0 of 17 keypoints score at least 0.3/);
  const mirrored = await op('predictPose', { frame: { poses: [person()] }, mirrored: true });
  assert.deepEqual(mirrored.features, poseFeatures(person(), { flipHorizontal: true, mirrored: true }));
});

test('predictPose: refused on a base that is not a pose package, and without a frame', async () => {
  const classifier = handlers('classify');
  await classifier.op('init', {});
  await assert.rejects(classifier.op('predictPose', { frame: { poses: [] } }), (e) => e instanceof TaskError && /pose package/.test(e.message));
  const { op } = handlers();
  await op('init', {});
  await assert.rejects(op('predictPose', {}), /takes an image \/ video frame/);
});
