// web/src/tasks/detect.js `decodeDetections` against src/edgeward/tasks/detect.py `decode_detections`
// on CenterNet's real outputs for a group photo and a still life.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ManifestError } from '../../src/errors.js';
import { Letterbox } from '../../src/preprocess.js';
import { decodeDetections, normalizeDetectOptions } from '../../src/tasks/detect.js';
import { assertClose, loadFixture } from '../helpers.js';

const fx = loadFixture('decoders').detect;

for (const c of fx.cases) {
  test(`decodeDetections on '${c.photo}' ${JSON.stringify(c.options)}`, () => {
    const b = c.box;
    const box = new Letterbox(b.scale, b.padX, b.padY, b.imageW, b.imageH);
    const outputs = Object.fromEntries(Object.entries(c.outputs).map(([k, t]) => [k, { dims: t.dims, data: Float32Array.from(t.data) }]));
    const got = decodeDetections(fx.postprocess, outputs, box, fx.labels, c.options);
    assert.deepEqual(got.map((d) => [d.label, d.class_id]), c.detections.map((d) => [d.label, d.class_id]));
    got.forEach((d, i) => {
      assertClose(d.score, c.detections[i].score, 1e-7, `detection ${i} score`);
      assertClose(d.box, c.detections[i].box, 1e-9, `detection ${i} box`);
    });
  });
}

test('a real photo gives detections, a strict threshold none', () => {
  assert.ok(fx.cases.some((c) => c.detections.length > 0));
  assert.ok(fx.cases.some((c) => c.detections.length === 0));
});

test('bad options are RangeErrors; a missing output a ManifestError', () => {
  for (const bad of [{ iouThreshold: 1.5 }, { maxDetections: 0 }, { scoreThreshold: 'x' }]) {
    assert.throws(() => normalizeDetectOptions(bad), RangeError, JSON.stringify(bad));
  }
  const box = new Letterbox(1, 0, 0, 10, 10);
  assert.throws(() => decodeDetections(fx.postprocess, {}, box, fx.labels), ManifestError);
});
