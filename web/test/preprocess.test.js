// web/src/preprocess.js against src/edgeward/runtime/preprocess.py (letterbox / center_crop on
// real photo crops, with the zoo packages' scale and offset; MoveNet's int32 rounding).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Letterbox, letterbox, Preprocessor, toInt32Input, warmPreprocessor } from '../src/preprocess.js';
import { assertClose, loadFixture } from './helpers.js';

const fx = loadFixture('preprocess');

/** The fixture's RGB bytes as ImageData-like RGBA (alpha is dropped by the preprocessor). */
function imageData({ width, height, rgb }) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data.set(rgb.slice(3 * i, 3 * i + 3), 4 * i);
    data[4 * i + 3] = 255 - (i % 7); // anything: ignored
  }
  return { width, height, data };
}

describe('letterbox matches the Python oracle within 1e-5', () => {
  for (const c of fx.cases) {
    test(`${c.name}: ${c.width}x${c.height} → ${c.spec.size} (${c.spec.resize})`, () => {
      const { data, box } = letterbox(imageData(c), c.spec);
      assert.equal(data.length, c.output.data.length);
      assert.deepEqual(c.output.dims, [1, c.spec.size[0], c.spec.size[1], 3]);
      assertClose(data, c.output.data, 1e-5, 'output');
      assertClose([box.scale, box.padX, box.padY], [c.box.scale, c.box.padX, c.box.padY], 1e-12, 'box');
      assert.deepEqual(Array.from(toInt32Input(data)), c.int32);
    });
  }
});

test('a Preprocessor reuses its buffer and follows a change of frame size', () => {
  const [a, b] = fx.cases.filter((c) => c.spec.size[0] === fx.cases[0].spec.size[0]
    && c.spec.size[1] === fx.cases[0].spec.size[1] && c.spec.resize === fx.cases[0].spec.resize);
  const p = new Preprocessor(a.spec);
  const first = p.run(imageData(a)).data;
  assertClose(first, a.output.data, 1e-5, 'first frame');
  const again = p.run(imageData(a)).data;
  assert.equal(again, first, 'the same Float32Array every call');
  if (b) assertClose(p.run(imageData(b)).data, b.output.data, 1e-5, 'a frame of another size');
});

test('a warmed Preprocessor (run once on a blank image) gives the oracle\'s answer on the first real frame', () => {
  for (const c of fx.cases.slice(0, 3)) {
    const { data, box } = warmPreprocessor(c.spec).run(imageData(c));
    assertClose(data, c.output.data, 1e-5, `${c.name}: output`);
    assertClose([box.scale, box.padX, box.padY], [c.box.scale, c.box.padX, c.box.padY], 1e-12, `${c.name}: box`);
  }
});

test('Letterbox.toImage maps model-input pixels back to the image', () => {
  const box = Letterbox.fit(640, 480, 385, 385);
  const [x, y] = box.toImage(192, 192);
  assertClose([x, y], [319.5, 239.5], 1e-12, 'the centre pixel of the input is the centre of the image');
  const cover = Letterbox.fit(640, 480, 224, 224, true);
  assert.ok(cover.padX < 0 && cover.padY === 0, 'center_crop crops the longer side');
});

test('an unknown resize is refused', () => {
  assert.throws(() => new Preprocessor({ resize: 'stretch', size: [4, 4], scale: 1, offset: 0 }), /'stretch'/);
});
