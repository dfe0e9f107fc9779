// web/src/integrity.js: sha256 and size checks on PoseNet's real package files (against the sha256
// and size Python wrote in the manifest), and downloads through a fake fetch: only a complete 200
// response with the right bytes is returned; anything else is a DownloadError or IntegrityError.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { EdgewardError } from '../src/errors.js';
import { DownloadError, downloadVerified, fetchVerified, IntegrityError, sha256Hex, verifyFile } from '../src/integrity.js';
import { loadFixture } from './helpers.js';

const fx = loadFixture('integrity');
const entry = fx.files.int8 ?? fx.files.fp32;
const bytes = new Uint8Array(fs.readFileSync(path.join(fx.packageDir, entry.path)));
const URL_ = `https://models.example.test/posenet/1.0.0/${entry.path}`;

/** A fetch() answering `response(init)` and recording its calls. */
function fakeFetch(response) {
  const calls = [];
  const fetchImpl = async (url, init) => { calls.push({ url, init }); return response(); };
  return { fetchImpl, calls };
}

/** A 200 response streaming `data` in chunks; `end`: 'close' | 'error' after `upTo` bytes. */
function streamed(data, { chunk = 65536, upTo = data.length, end = 'close', type = 'application/octet-stream' } = {}) {
  let offset = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (offset >= upTo) {
        if (end === 'error') controller.error(new TypeError('network error'));
        else controller.close();
        return;
      }
      const next = Math.min(offset + chunk, upTo);
      controller.enqueue(data.slice(offset, next));
      offset = next;
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': type } });
}

describe('sha256 and size of the real package files', () => {
  for (const [variant, e] of Object.entries(fx.files)) {
    test(`${variant}: ${e.path} matches the manifest Python wrote`, async () => {
      const buffer = new Uint8Array(fs.readFileSync(path.join(fx.packageDir, e.path))).buffer;
      assert.equal(await sha256Hex(buffer), e.sha256);
      assert.equal(await verifyFile(buffer, e), buffer);
    });
  }

  test('one flipped byte is an IntegrityError naming the file and both hashes', async () => {
    const bad = bytes.slice();
    bad[bad.length >> 1] ^= 1;
    await assert.rejects(verifyFile(bad.buffer, entry), (err) => {
      assert.ok(err instanceof IntegrityError && err instanceof EdgewardError);
      assert.ok(err.message.startsWith(`${entry.path}: sha256 `) && err.message.includes(entry.sha256), err.message);
      return true;
    });
  });

  test('a truncated file is an IntegrityError naming both sizes', async () => {
    await assert.rejects(verifyFile(bytes.slice(0, -1).buffer, entry, 'cached x'),
      { name: 'IntegrityError', message: `cached x: ${entry.bytes - 1} bytes, manifest says ${entry.bytes}` });
  });
});

describe('downloadVerified', () => {
  test('a complete 200 response: the verified bytes, with progress', async () => {
    const { fetchImpl, calls } = fakeFetch(() => streamed(bytes));
    const events = [];
    const buffer = await downloadVerified(URL_, entry, { fetchImpl, onProgress: (e) => events.push(e) });
    assert.deepEqual(new Uint8Array(buffer), bytes);
    assert.deepEqual(calls, [{ url: URL_, init: { cache: 'no-store', credentials: 'same-origin' } }]);
    assert.deepEqual(events[0], { file: entry.path, url: URL_, loaded: 0, total: entry.bytes });
    assert.equal(events.at(-1).loaded, entry.bytes);
    assert.ok(events.every((e, i) => i === 0 || e.loaded > events[i - 1].loaded), 'progress only grows');
    assert.ok(events.length <= 52, `${events.length} progress events`);
  });

  test('a response without a readable body is read whole', async () => {
    const response = { status: 200, headers: new Headers(), body: null, arrayBuffer: async () => bytes.slice().buffer };
    const buffer = await fetchVerified('https://models.example.test/posenet/1.0.0/', entry, async () => response);
    assert.deepEqual(new Uint8Array(buffer), bytes);
  });

  const failures = [
    ['a network failure', async () => { throw new TypeError('Failed to fetch'); }, DownloadError, /download failed \(Failed to fetch\); nothing was cached/],
    ['HTTP 404', async () => new Response('not here', { status: 404, statusText: 'Not Found' }), DownloadError, /HTTP 404 Not Found; expected .* \(\d+ bytes\); nothing was cached/],
    ['an HTML page with status 200', async () => streamed(new TextEncoder().encode('<!doctype html>'), { type: 'text/html; charset=utf-8' }), DownloadError, /an HTML page \(text\/html\)/],
    ['a body cut short by the network', async () => streamed(bytes, { upTo: 200000, end: 'error' }), DownloadError, /cut short after 200000 of \d+ bytes \(network error\)/],
    ['a body that ends early', async () => streamed(bytes, { upTo: 100000 }), IntegrityError, /truncated, 100000 of \d+ bytes/],
    ['a body longer than the manifest says', async () => streamed(new Uint8Array(bytes.length + 10)), IntegrityError, /more than \d+ bytes/],
    ['the right size, other bytes', async () => streamed(new Uint8Array(bytes.length)), IntegrityError, /sha256 [0-9a-f]{64} does not match manifest/],
  ];
  for (const [what, fetchImpl, Class, message] of failures) {
    test(`${what}: ${Class.name} naming the URL`, async () => {
      await assert.rejects(downloadVerified(URL_, entry, { fetchImpl }), (err) => {
        assert.ok(err instanceof Class, `${err.name}: ${err.message}`);
        assert.ok(err.message.startsWith(`${URL_}: `), err.message);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
