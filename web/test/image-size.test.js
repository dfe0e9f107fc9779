// image-size.js against real files Pillow writes (tests/web/image_fixtures.py): every format's header
// gives its true size, and a 20,000 × 20,000 PNG bomb is refused on its header at Python's limit.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ImageError } from '../src/errors.js';
import { checkImageBlob, checkImageHeader, imageDimensions, MAX_IMAGE_PIXELS } from '../src/image-size.js';
import { loadFixture } from './helpers.js';

const fixture = loadFixture('image_sizes');
const bytes = (b64) => new Uint8Array(Buffer.from(b64, 'base64'));

test('the limit is the Python runtime\'s', () => {
  assert.equal(MAX_IMAGE_PIXELS, fixture.limit);
});

for (const c of fixture.cases) {
  test(`${c.name}: the header gives ${c.width} × ${c.height}`, () => {
    const dims = imageDimensions(bytes(c.head));
    assert.ok(dims, c.name);
    assert.deepEqual([dims.width, dims.height], [c.width, c.height]);
    assert.deepEqual(checkImageHeader(bytes(c.head), c.name), dims);
  });
}

test('a 20,000 × 20,000 PNG bomb is refused before decoding, naming the file and the size', async () => {
  const head = bytes(fixture.bomb.head);
  assert.deepEqual(imageDimensions(head), { format: 'png', width: 20000, height: 20000 });
  assert.throws(() => checkImageHeader(head, "'bomb.png'"), (err) => err instanceof ImageError
    && /'bomb\.png': the PNG header declares 20000 × 20000 pixels \(400 MP\), over the 67 MP limit/.test(err.message));
  await assert.rejects(checkImageBlob(new Blob([head])), ImageError);
});

test('unknown formats and cut headers are left to the decoder', () => {
  assert.equal(imageDimensions(new TextEncoder().encode('hello, not an image')), null);
  assert.equal(imageDimensions(bytes(fixture.cases[0].head).subarray(0, 12)), null);
  const jpeg = bytes(fixture.cases.find((c) => c.name === 'jpeg-exif').head);
  assert.equal(imageDimensions(jpeg.subarray(0, 1000)), null); // the frame header lies beyond
});
