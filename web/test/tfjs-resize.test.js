// web/src/tfjs-resize.js (and Preprocessor.run(image, 'tfjs-posenet')) against src/edgeward/runtime/tfjs_resize.py:
// @tensorflow-models/posenet's pre-processing on real photo crops, its boxes and the way back, TF.js's axes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Preprocessor } from '../src/preprocess.js';
import { normalizePoseOptions } from '../src/tasks/pose.js';
import { PaddedResize, tfAxis, tfjsPosenet, TFJS_POSENET } from '../src/tfjs-resize.js';
import { assertClose, loadFixture } from './helpers.js';

const fx = loadFixture('tfjs_resize');

function imageData({ width, height, rgb }) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data.set(rgb.slice(3 * i, 3 * i + 3), 4 * i);
    data[4 * i + 3] = 255 - (i % 5); // ignored
  }
  return { width, height, data };
}

describe("Preprocessor.run(image, 'tfjs-posenet') matches the Python oracle", () => {
  for (const c of fx.cases) {
    test(`${c.name}: ${c.width}x${c.height} → ${c.spec.size}`, () => {
      const p = new Preprocessor(c.spec);
      const { data, box } = p.run(imageData(c), TFJS_POSENET);
      assert.ok(box instanceof PaddedResize);
      assert.deepEqual(c.output.dims, [1, c.spec.size[0], c.spec.size[1], 3]);
      const want = Float32Array.from(c.output.data); // the shortest decimals give back the float32 values
      assert.deepEqual(Array.from(data), Array.from(want), 'the same float32 values'); // the same float64 steps
      assert.deepEqual([box.padX, box.padY], [c.box.padX, c.box.padY]);
      assertClose([box.stepX, box.stepY, box.scale], [c.box.stepX, c.box.stepY, c.box.scale], 1e-15, 'box');
      const back = [];
      for (let i = 0; i < c.points.length; i += 2) back.push(...box.toImage(c.points[i], c.points[i + 1]));
      assertClose(back, c.back, 1e-12, 'toImage');
      const letterboxed = Float32Array.from(p.run(imageData(c)).data); // the manifest's rule again, same buffer
      assert.notDeepEqual(Array.from(letterboxed), Array.from(want));
    });
  }
});

test("TF.js's axis sampling for every flag setting", () => {
  for (const a of fx.axes) {
    const got = tfAxis(a.nOut, a.nIn, a.alignCorners, a.halfPixelCenters);
    const what = `${a.nIn} → ${a.nOut} (alignCorners ${a.alignCorners}, halfPixelCenters ${a.halfPixelCenters})`;
    assert.deepEqual(Array.from(got.i0), a.i0, what);
    assert.deepEqual(Array.from(got.i1), a.i1, what);
    assert.deepEqual(Array.from(got.frac), a.frac, what);
  }
  assert.throws(() => tfAxis(4, 8, true, true), RangeError);
});

test('PaddedResize.fit pads the short side to the input aspect', () => {
  const box = PaddedResize.fit(...fx.fit.args);
  assert.deepEqual([box.padX, box.padY, box.stepX], [fx.fit.padX, fx.fit.padY, fx.fit.stepX]);
  const out = new Float32Array(5 * 5 * 3);
  const black = { width: 2, height: 2, data: new Uint8ClampedArray(16) };
  tfjsPosenet(black, 5, 5, 1 / 127.5, -1, out);
  assert.ok(out.every((v) => v === -1), 'black in, -1 out');
});

test('the pose option is checked', () => {
  assert.equal(normalizePoseOptions({ resize: TFJS_POSENET }).resize, TFJS_POSENET);
  assert.equal(normalizePoseOptions({}).resize, null);
  assert.throws(() => normalizePoseOptions({ resize: 'stretch' }), /resize must be 'tfjs-posenet'/);
  assert.throws(() => new Preprocessor({ size: [2, 2], scale: 1, offset: 0 }).run(
    { width: 1, height: 1, data: new Uint8ClampedArray(4) }, 'stretch'), RangeError);
});
