// web/src/backends.js: where onnxruntime-web comes from (the wasmPaths option).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BUNDLED, ortSource, VENDOR_PATH } from '../src/backends.js';

const PAGE = 'https://app.example/shop/index.html';

test('the default is what `edgeward serve` serves, on the page\'s origin', () => {
  assert.equal(ortSource(undefined, PAGE), `https://app.example${VENDOR_PATH}`);
  assert.equal(ortSource(null, PAGE), `https://app.example${VENDOR_PATH}`);
  assert.equal(ortSource('', PAGE), `https://app.example${VENDOR_PATH}`);
});

test('a folder URL is resolved against the page and always ends in /', () => {
  assert.equal(ortSource('/ort/', PAGE), 'https://app.example/ort/');
  assert.equal(ortSource('ort', PAGE), 'https://app.example/shop/ort/');
  assert.equal(ortSource('https://cdn.example/ort@1.30.0/dist', PAGE), 'https://cdn.example/ort@1.30.0/dist/');
  assert.equal(ortSource(new URL('https://cdn.example/x/'), PAGE), 'https://cdn.example/x/');
});

test("'bundled' is kept: the worker imports the peer dependency", () => {
  assert.equal(ortSource(BUNDLED, PAGE), 'bundled');
  assert.equal(ortSource('bundled'), 'bundled'); // no page needed
});

test('anything else is a TypeError naming the option', () => {
  assert.throws(() => ortSource(/** @type {any} */ (42), PAGE), { name: 'TypeError', message: /wasmPaths must be a URL/ });
  assert.throws(() => ortSource('ort/', undefined), { name: 'TypeError', message: /wasmPaths 'ort\/' is not a URL/ });
});
