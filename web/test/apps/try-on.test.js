// The try-on app's geometry (web/apps/try-on/placement.js) and drawing (accessories.js): the face frame
// from the eye keypoints (mirrored or not), the reasons it is hidden, its smoothing across frames, and
// the accessories drawn in it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ACCESSORIES, drawAccessories } from '../../apps/try-on/accessories.js';
import { facePlacement, PlacementSmoother, toScreen, unwrapAngle } from '../../apps/try-on/placement.js';

const close = (a, b, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} vs ${b}`);

// PoseNet's face keypoints on scikit-image's astronaut.png (512×512), from the Python runtime
// (edgeward.load(posenet).estimate_poses): the pupils, by eye, are at about (204, 100) and (245, 103).
const ASTRONAUT = [
  { name: 'nose', x: 221.7, y: 126.6, score: 1.0 },
  { name: 'left_eye', x: 245.6, y: 103.4, score: 1.0 },
  { name: 'right_eye', x: 204.0, y: 100.5, score: 1.0 },
  { name: 'left_ear', x: 274.5, y: 118.4, score: 0.96 },
  { name: 'right_ear', x: 176.3, y: 109.6, score: 0.92 },
  { name: 'left_shoulder', x: 320.0, y: 260.0, score: 0.8 },
];
const pose = (keypoints = ASTRONAUT) => ({ score: 0.5, keypoints });
const mirror = (keypoints, width) => keypoints.map((k) => ({ ...k, x: width - k.x }));
const withScore = (name, score) => ASTRONAUT.map((k) => (k.name === name ? { ...k, score } : k));

test('the face frame: the eyes\' midpoint, their distance and the eye line\'s angle', () => {
  const { placement: p, ears, problem } = facePlacement(pose(), { mirrored: false });
  assert.equal(problem, null);
  close(p.cx, (245.6 + 204.0) / 2);
  close(p.cy, (103.4 + 100.5) / 2);
  close(p.scale, Math.hypot(245.6 - 204.0, 103.4 - 100.5));
  close(p.angle, Math.atan2(103.4 - 100.5, 245.6 - 204.0)); // ~4°: her left eye is a little lower
  const [rx, ry] = toScreen(p, -0.5, 0); // one half eye distance either way along the line: the eyes
  const [lx, ly] = toScreen(p, 0.5, 0);
  close(rx, 204.0, 1e-9); close(ry, 100.5, 1e-9); close(lx, 245.6, 1e-9); close(ly, 103.4, 1e-9);
  assert.deepEqual(ears.map((e) => [e.side, e.x, e.y]), [['left', 274.5, 118.4], ['right', 176.3, 109.6]]);
});

test('a mirrored view flips the centre and the angle, and needs the mirrored flag to stay upright', () => {
  const p = facePlacement(pose(), { mirrored: false }).placement;
  const m = facePlacement(pose(mirror(ASTRONAUT, 512)), { mirrored: true }).placement;
  close(m.cx, 512 - p.cx); close(m.cy, p.cy); close(m.scale, p.scale); close(m.angle, -p.angle);
  const wrong = facePlacement(pose(mirror(ASTRONAUT, 512)), { mirrored: false }).placement;
  assert.ok(Math.abs(wrong.angle) > Math.PI / 2, 'read without the flag the glasses would be upside down');
});

test('no pose, unclear eyes or eyes too close: no placement, and a sentence saying why', () => {
  assert.match(facePlacement(undefined).problem, /^No face found: face the camera/);
  const one = facePlacement(pose(withScore('left_eye', 0.23)), { minScore: 0.5 });
  assert.equal(one.placement, null);
  assert.equal(one.problem, 'Only one eye is clear (eye scores: left 0.23, right 1.00; needs 0.50): turn to face the camera, in good light.');
  const none = facePlacement(pose(withScore('left_eye', 0.1).map((k) => (k.name === 'right_eye' ? { ...k, score: 0.2 } : k))));
  assert.match(none.problem, /^No face found \(eye scores: left 0\.10, right 0\.20; needs 0\.50\)/);
  assert.ok(facePlacement(pose(withScore('left_eye', 0.23)), { minScore: 0.2 }).placement, 'a lower threshold accepts it');
  const side = ASTRONAUT.map((k) => (k.name === 'left_eye' ? { ...k, x: 205, y: 101 } : k));
  assert.match(facePlacement(pose(side)).problem, /too close together/);
});

test('only confident ears are kept; a pose without eye keypoints is a TaskError naming them', () => {
  const { ears } = facePlacement(pose(withScore('left_ear', 0.3)), { minScore: 0.5 });
  assert.deepEqual(ears.map((e) => e.side), ['right']);
  const noEyes = pose(ASTRONAUT.filter((k) => k.name !== 'right_eye'));
  assert.throws(() => facePlacement(noEyes), (err) => err.name === 'TaskError' && /no 'right_eye' keypoint \(it gives: nose, left_eye/.test(err.message));
});

test('unwrapAngle moves an angle by whole turns to within half a turn of another', () => {
  close(unwrapAngle(-Math.PI + 0.1, Math.PI - 0.1), Math.PI + 0.1);
  close(unwrapAngle(0.3, 4 * Math.PI), 4 * Math.PI + 0.3);
  close(unwrapAngle(0.3, 0), 0.3);
});

/** The face of `placement` (with the astronaut's ears moved along) as facePlacement gives it. */
const face = (placement, ears = []) => ({ placement, ears, problem: null });

test('smoothing: a still face stays put, a moving one is followed closely, a returning one is not glided to', () => {
  const smoother = new PlacementSmoother();
  const p = { cx: 300, cy: 200, scale: 40, angle: 0.1 };
  for (let i = 0; i < 10; i++) assert.deepEqual(smoother.smooth(face(p), i / 30).placement, p);
  let out;
  for (let i = 10; i <= 40; i++) out = smoother.smooth(face({ ...p, cx: 300 + 10 * (i - 10) }), i / 30).placement; // 300 px/s
  assert.ok(300 + 300 - out.cx < 4, `lag ${300 + 300 - out.cx} px`);
  const hidden = { placement: null, ears: [], problem: 'No face found' };
  assert.equal(smoother.smooth(hidden, 41 / 30), hidden); // passes through, keeps the filters
  const back = smoother.smooth(face({ ...p, cx: 100 }), 3); // 1.6 s later: taken as it is
  assert.equal(back.placement.cx, 100);
});

test('smoothing the angle goes the short way round across ±180°', () => {
  const smoother = new PlacementSmoother();
  smoother.smooth(face({ cx: 0, cy: 0, scale: 40, angle: Math.PI - 0.05 }), 0);
  const { angle } = smoother.smooth(face({ cx: 0, cy: 0, scale: 40, angle: -Math.PI + 0.05 }), 1 / 30).placement;
  assert.ok(Math.abs(angle) > Math.PI - 0.06, `${angle}: between the two, not through 0`);
  assert.ok(angle > -Math.PI && angle <= Math.PI);
});

test('an ear that disappears starts afresh when it comes back', () => {
  const smoother = new PlacementSmoother();
  const p = { cx: 300, cy: 200, scale: 40, angle: 0 };
  smoother.smooth(face(p, [{ side: 'left', x: 360, y: 215 }]), 0);
  smoother.smooth(face(p, []), 0.1);
  const { ears } = smoother.smooth(face(p, [{ side: 'left', x: 330, y: 215 }]), 0.2);
  assert.deepEqual(ears, [{ side: 'left', x: 330, y: 215 }]);
});

/** A 2D context that records the calls made on it (and a gradient object for createLinearGradient). */
function recorder() {
  const calls = [];
  const ctx = new Proxy({}, {
    get(_target, key) {
      if (key === 'createLinearGradient') return () => ({ addColorStop() {} });
      return (...args) => calls.push([key, ...args]);
    },
    set(_target, key, value) { calls.push([`=${String(key)}`, value]); return true; },
  });
  return { ctx, calls };
}

test('accessories are drawn in the face frame, in the page\'s order, and not at all without a face', () => {
  const p = { cx: 224.8, cy: 101.95, scale: 41.7, angle: 0.07 };
  const { ctx, calls } = recorder();
  const drawn = drawAccessories(ctx, face(p, [{ side: 'left', x: 274.5, y: 118.4 }]), ['earrings', 'sunglasses']);
  assert.deepEqual(drawn, ['sunglasses', 'earrings']);
  const frames = calls.filter((c) => ['translate', 'rotate', 'scale'].includes(c[0]));
  assert.deepEqual(frames[0], ['translate', 0.5, 0.5]); // keypoint pixel centres → canvas pixel centres
  assert.deepEqual(frames.slice(1, 4), [['translate', p.cx, p.cy], ['rotate', p.angle], ['scale', p.scale, p.scale]]);
  assert.deepEqual(frames.slice(4, 7), [['translate', 274.5, 118.4], ['rotate', p.angle], ['scale', p.scale, p.scale]]);
  assert.equal(calls.filter((c) => c[0] === 'save').length, calls.filter((c) => c[0] === 'restore').length);
  const lenses = calls.filter((c) => c[0] === 'roundRect' && c[3] === 0.96);
  assert.deepEqual(lenses.map((c) => c[1] + c[3] / 2), [-0.55, -0.55, 0.55, 0.55]); // each lens: filled, then clipped
  assert.deepEqual(ACCESSORIES.map((a) => a.id), ['sunglasses', 'hat', 'earrings']);

  const empty = recorder();
  assert.deepEqual(drawAccessories(empty.ctx, { placement: null, ears: [], problem: 'No face found' }, ['sunglasses']), []);
  assert.deepEqual(empty.calls, []);
});
