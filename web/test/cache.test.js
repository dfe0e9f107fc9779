// web/src/cache.js with a fake CacheStorage: files are stored under their sha256 only after
// verification, every read re-verifies (a bad entry is evicted), a quota error or no Cache API
// falls back to memory with a warning. The bytes are PoseNet's real package files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';

import {
  cacheKey, clearCachedModels, listCachedModels, loadModelFile, MODEL_CACHE_NAME, readCached, storeVerified, useModelFile,
} from '../src/cache.js';
import { DownloadError, IntegrityError } from '../src/integrity.js';
import { loadFixture } from './helpers.js';

const fx = loadFixture('integrity');
const PACKAGE = 'https://models.example.test/posenet/1.0.0/';
const entries = Object.values(fx.files).slice(0, 2);
const fileBytes = new Map(entries.map((e) => [e.path, new Uint8Array(fs.readFileSync(path.join(fx.packageDir, e.path)))]));
const [entry, other] = entries;

/** A CacheStorage holding Responses in Maps; `quota`: put() throws QuotaExceededError. */
class FakeCaches {
  constructor({ quota = false } = {}) { this.caches = new Map(); this.quota = quota; this.deleted = []; }
  async open(name) {
    if (!this.caches.has(name)) this.caches.set(name, new FakeCache(this));
    return this.caches.get(name);
  }
  async delete(name) { this.deleted.push(name); return this.caches.delete(name); }
}

const keyOf = (request) => (typeof request === 'string' ? request : request.url); // a URL string or a Request

class FakeCache {
  constructor(storage) { this.storage = storage; this.entries = new Map(); }
  async match(key) {
    const held = this.entries.get(keyOf(key));
    return held && new Response(held.body.slice(), { status: 200, headers: held.headers });
  }
  async put(key, response) {
    if (this.storage.quota) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    this.entries.set(keyOf(key), { body: new Uint8Array(await response.arrayBuffer()), headers: response.headers });
  }
  async delete(key) { return this.entries.delete(keyOf(key)); }
  async keys() { return [...this.entries.keys()].map((url) => new Request(url)); }
}

function fetchFiles() {
  const calls = [];
  const fetchImpl = async (url) => {
    calls.push(url);
    const body = fileBytes.get(url.slice(PACKAGE.length));
    return body ? new Response(body.slice(), { status: 200 }) : new Response('no', { status: 404 });
  };
  return { fetchImpl, calls };
}

let warnings;
beforeEach((t) => {
  warnings = [];
  t.mock.method(console, 'warn', (...args) => warnings.push(args.join(' ')));
});
afterEach(async () => { await clearCachedModels(null, { storage: undefined }); }); // the memory fallback

test('downloaded once, verified, stored under its sha256; then read from the cache', async () => {
  const storage = new FakeCaches();
  const { fetchImpl, calls } = fetchFiles();
  const first = await loadModelFile(PACKAGE, entry, { fetchImpl, storage });
  assert.deepEqual([first.from, first.stored, first.warning], ['network', 'cache', null]);
  assert.deepEqual(new Uint8Array(first.buffer), fileBytes.get(entry.path));
  const cache = storage.caches.get(MODEL_CACHE_NAME);
  assert.deepEqual([...cache.entries.keys()], [cacheKey(entry.sha256)]);
  assert.ok(cacheKey(entry.sha256).endsWith(`/sha256/${entry.sha256}`));

  const progress = [];
  const second = await loadModelFile(PACKAGE, entry, { fetchImpl, storage, onProgress: (e) => progress.push(e) });
  assert.equal(second.from, 'cache');
  assert.deepEqual(new Uint8Array(second.buffer), fileBytes.get(entry.path));
  assert.deepEqual(calls, [PACKAGE + entry.path]);
  assert.deepEqual(progress, [{ file: entry.path, loaded: entry.bytes, total: entry.bytes, cached: true }]);
});

test('a corrupted cache entry is evicted and the file downloaded again', async () => {
  const storage = new FakeCaches();
  const cache = await storage.open(MODEL_CACHE_NAME);
  const bad = fileBytes.get(entry.path).slice();
  bad[7] ^= 0xff;
  cache.entries.set(cacheKey(entry.sha256), { body: bad, headers: new Headers() });
  assert.equal(await readCached(entry, { storage }), null);
  assert.equal(cache.entries.size, 0, 'evicted');
  assert.match(warnings.join('\n'), /evicting a bad cache entry: cached .*sha256/);
  const { fetchImpl } = fetchFiles();
  assert.equal((await loadModelFile(PACKAGE, entry, { fetchImpl, storage })).from, 'network');
  assert.deepEqual(cache.entries.get(cacheKey(entry.sha256)).body, fileBytes.get(entry.path));
});

test('bytes that do not match the manifest are never stored', async () => {
  const storage = new FakeCaches();
  await assert.rejects(storeVerified(entry, fileBytes.get(other.path).slice().buffer, { storage }), IntegrityError);
  assert.equal((await storage.open(MODEL_CACHE_NAME)).entries.size, 0);
});

test('a failed download caches nothing', async () => {
  const storage = new FakeCaches();
  const missing = { ...entry, path: 'missing.onnx' };
  await assert.rejects(loadModelFile(PACKAGE, missing, { fetchImpl: fetchFiles().fetchImpl, storage }), DownloadError);
  assert.equal((await storage.open(MODEL_CACHE_NAME)).entries.size, 0);
});

test('a quota error keeps the file in memory, with a warning', async () => {
  const storage = new FakeCaches({ quota: true });
  const { fetchImpl, calls } = fetchFiles();
  const first = await loadModelFile(PACKAGE, entry, { fetchImpl, storage });
  assert.equal(first.stored, 'memory');
  assert.match(first.warning, /storage quota exceeded while caching .* kept in memory only/);
  assert.equal(warnings.length, 1);
  assert.equal((await loadModelFile(PACKAGE, entry, { fetchImpl, storage })).from, 'memory');
  assert.equal(calls.length, 1);
  const listed = await listCachedModels({ storage });
  assert.deepEqual(listed.map((m) => [m.sha256, m.storage, m.file]), [[entry.sha256, 'memory', entry.path]]);
});

test('without a Cache API the model still loads (memory only)', async () => {
  const result = await loadModelFile(PACKAGE, entry, { fetchImpl: fetchFiles().fetchImpl, storage: undefined });
  assert.deepEqual([result.from, result.stored], ['network', 'memory']);
  assert.match(result.warning, /Cache API is unavailable/);
});

test('listCachedModels and clearCachedModels', async () => {
  const storage = new FakeCaches();
  const { fetchImpl } = fetchFiles();
  for (const e of entries) await loadModelFile(PACKAGE, e, { fetchImpl, storage });
  const listed = await listCachedModels({ storage });
  assert.deepEqual(listed.map((m) => [m.sha256, m.file, m.url, m.bytes, m.storage]).sort(),
    entries.map((e) => [e.sha256, e.path, PACKAGE + e.path, e.bytes, 'cache']).sort());
  assert.ok(listed.every((m) => !Number.isNaN(Date.parse(m.cachedAt))));
  assert.equal(await clearCachedModels([entry.sha256], { storage }), 1);
  assert.deepEqual((await listCachedModels({ storage })).map((m) => m.sha256), [other.sha256]);
  assert.equal(await clearCachedModels(null, { storage }), 1);
  assert.deepEqual(storage.deleted, [MODEL_CACHE_NAME]);
});

test('a write that fails part way leaves no entry behind; the model runs from memory', async () => {
  const storage = new FakeCaches();
  const cache = await storage.open(MODEL_CACHE_NAME);
  const errors = [new DOMException('The quota has been exceeded.', 'QuotaExceededError'), new Error('disk I/O error')];
  for (const error of errors) {
    cache.put = async (key, response) => { // a store that is not atomic: half the body, then the error
      const body = new Uint8Array(await response.arrayBuffer());
      cache.entries.set(keyOf(key), { body: body.slice(0, body.length >> 1), headers: response.headers });
      throw error;
    };
    const { fetchImpl } = fetchFiles();
    const result = await loadModelFile(PACKAGE, entry, { fetchImpl, storage });
    assert.deepEqual([result.from, result.stored], ['network', 'memory']);
    assert.deepEqual(new Uint8Array(result.buffer), fileBytes.get(entry.path));
    assert.match(result.warning, error.name === 'QuotaExceededError'
      ? /storage quota exceeded while caching/ : /could not be cached \(Error: disk I\/O error\): kept in memory only/);
    assert.equal(cache.entries.size, 0, 'the half-written entry was removed');
    assert.deepEqual((await listCachedModels({ storage })).map((m) => m.storage), ['memory']);
    await clearCachedModels(null, { storage: undefined });
  }
  assert.match(warnings.join('\n'), /removing what a failed cache write left: cached .* bytes, manifest says/);
});

test('a failed write keeps a good copy another worker stored under the same key', async () => {
  const storage = new FakeCaches();
  const cache = await storage.open(MODEL_CACHE_NAME);
  const good = { body: fileBytes.get(entry.path).slice(), headers: new Headers() };
  cache.put = async () => {
    cache.entries.set(cacheKey(entry.sha256), good); // the other worker's put won the race
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
  await storeVerified(entry, fileBytes.get(entry.path).slice().buffer, { storage });
  assert.equal(cache.entries.get(cacheKey(entry.sha256)), good);
});

test('a failed download says the file is not in the model cache', async () => {
  const storage = new FakeCaches();
  const fetchImpl = async () => { throw new TypeError('Failed to fetch'); };
  await assert.rejects(loadModelFile(PACKAGE, entry, { fetchImpl, storage }), (err) => {
    assert.ok(err instanceof DownloadError);
    assert.match(err.message, /download failed \(Failed to fetch\)/);
    assert.ok(err.message.endsWith(`${entry.path} is not in the model cache (no verified copy to fall back on)`), err.message);
    return true;
  });
});

/** crypto.subtle.digest held until `release()`: what useModelFile does before the sha256 is known shows. */
function holdDigests(t) {
  const digest = crypto.subtle.digest.bind(crypto.subtle);
  const held = [];
  t.mock.method(crypto.subtle, 'digest', (algorithm, data) => new Promise((resolve, reject) => {
    held.push(() => digest(algorithm, data).then(resolve, reject));
  }));
  return { pending: () => held.length, release: () => held.splice(0).forEach((go) => go()) };
}

const settled = (promise) => Promise.race([promise.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), 20))]);

test('useModelFile: a cached copy is used while its sha256 is computed, returned only once it matched', async (t) => {
  const storage = new FakeCaches();
  const { fetchImpl, calls } = fetchFiles();
  await loadModelFile(PACKAGE, entry, { fetchImpl, storage });
  const digests = holdDigests(t);
  const used = [];
  const result = useModelFile(PACKAGE, entry, async (buffer) => { used.push(new Uint8Array(buffer)); return 'session'; },
    { storage, fetchImpl });
  while (!digests.pending()) await new Promise((r) => setTimeout(r, 1));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(used.length, 1, 'used before the digest is known');
  assert.equal(await settled(result), false, 'nothing returned before the digest matched');
  digests.release();
  const done = await result;
  assert.deepEqual([done.from, done.value, calls.length], ['cache', 'session', 1]);
  assert.deepEqual(used[0], fileBytes.get(entry.path));
});

test('useModelFile: a corrupted cached copy is used, discarded, evicted, then downloaded and used again', async () => {
  const storage = new FakeCaches();
  const cache = await storage.open(MODEL_CACHE_NAME);
  const bad = fileBytes.get(entry.path).slice();
  bad[7] ^= 0xff; // same size: only the sha256 tells
  cache.entries.set(cacheKey(entry.sha256), { body: bad, headers: new Headers() });
  const { fetchImpl, calls } = fetchFiles();
  const events = [];
  let made = 0;
  const use = async (buffer) => {
    const good = new Uint8Array(buffer)[7] === fileBytes.get(entry.path)[7];
    events.push(`use ${good ? 'good' : 'bad'} bytes`);
    made += 1;
    return { session: made, good };
  };
  const result = await useModelFile(PACKAGE, entry, use, { storage, fetchImpl, discard: (v) => events.push(`discard ${v.session}`) });
  assert.deepEqual(events, ['use bad bytes', 'discard 1', 'use good bytes']);
  assert.deepEqual([result.from, result.stored, result.value], ['network', 'cache', { session: 2, good: true }]);
  assert.deepEqual(calls, [PACKAGE + entry.path]);
  assert.deepEqual(cache.entries.get(cacheKey(entry.sha256)).body, fileBytes.get(entry.path), 'the bad entry was replaced');
  assert.match(warnings.join('\n'), /evicting a bad cache entry: cached .* sha256 .* does not match manifest/);
});

test('useModelFile: an error of use on a corrupted copy is dropped; on verified bytes it is the answer', async () => {
  const storage = new FakeCaches();
  const cache = await storage.open(MODEL_CACHE_NAME);
  const bad = fileBytes.get(entry.path).slice();
  bad[0] ^= 0xff;
  cache.entries.set(cacheKey(entry.sha256), { body: bad, headers: new Headers() });
  const { fetchImpl } = fetchFiles();
  const strict = async (buffer) => {
    if (new Uint8Array(buffer)[0] !== fileBytes.get(entry.path)[0]) throw new Error('protobuf parsing failed');
    return 'session';
  };
  const result = await useModelFile(PACKAGE, entry, strict, { storage, fetchImpl });
  assert.deepEqual([result.from, result.value], ['network', 'session']);
  const failing = async () => { throw new RangeError('no such input'); };
  await assert.rejects(useModelFile(PACKAGE, entry, failing, { storage, fetchImpl }), RangeError); // from the cache
  await assert.rejects(useModelFile(PACKAGE, other, failing, { storage, fetchImpl }), RangeError); // downloaded
  assert.ok(cache.entries.has(cacheKey(entry.sha256)) && cache.entries.has(cacheKey(other.sha256)), 'good entries stay');
});

test('useModelFile: a download is used while it is being cached; refused bytes are never used', async () => {
  const storage = new FakeCaches();
  const cache = await storage.open(MODEL_CACHE_NAME);
  const put = cache.put.bind(cache);
  let release;
  const writing = new Promise((r) => { release = r; });
  cache.put = async (key, response) => { await writing; return put(key, response); };
  const used = [];
  const result = useModelFile(PACKAGE, entry, async (buffer) => { used.push(buffer.byteLength); return 'session'; },
    { storage, fetchImpl: fetchFiles().fetchImpl });
  while (!used.length) await new Promise((r) => setTimeout(r, 1));
  assert.equal(await settled(result), false, 'the answer waits for the cache write');
  release();
  assert.deepEqual([(await result).stored, (await result).value], ['cache', 'session']);
  const lying = async () => new Response(fileBytes.get(other.path).slice(), { status: 200 });
  const never = () => { throw new Error('used unverified bytes'); };
  await assert.rejects(useModelFile(PACKAGE, { ...other, path: 'x.onnx', sha256: entry.sha256 }, never,
    { storage: new FakeCaches(), fetchImpl: lying }), IntegrityError);
});
