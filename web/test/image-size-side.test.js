// The side cap of web/src/image-size.js (MAX_IMAGE_SIDE, the same as Python's): a PNG header one pixel wide
// and 67 M pixels tall is within the pixel limit but refused on its side, before any decoding.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ImageError } from '../src/errors.js';
import { checkImageHeader, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from '../src/image-size.js';

/** The first 33 bytes of a PNG: signature and IHDR (the CRC is not read for the size). */
function pngHeader(width, height) {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  b.set([8, 2, 0, 0, 0], 24);
  return b;
}

test('a side over the cap is refused even within the pixel limit', () => {
  assert.ok(1 * 67_108_864 <= MAX_IMAGE_PIXELS);
  assert.throws(() => checkImageHeader(pngHeader(1, 67_108_864), "'tall.png'"), (err) => err instanceof ImageError
    && err.message === `'tall.png': the PNG header declares 1 × 67108864 pixels, a side over the ${MAX_IMAGE_SIDE} pixel limit; it was not decoded`);
});

test('the longest side allowed passes', () => {
  assert.deepEqual(checkImageHeader(pngHeader(MAX_IMAGE_SIDE, 2048), 'x'), { format: 'png', width: MAX_IMAGE_SIDE, height: 2048 });
});
