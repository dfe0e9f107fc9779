// The verified model cache: package files stored in the Cache API under their sha256, so a file is
// downloaded once per content, whatever URL or package version names it. Works in the page and in
// the worker (same origin, same CacheStorage).
//
// Rules (the point of this module):
// - Only bytes that were just verified (complete 200 response, size and sha256 equal to the
//   manifest entry) are stored, and only under their own hash.
// - A stored entry is never trusted: every read re-checks size and sha256; a mismatch (a
//   half-written or corrupted entry) is evicted and the file is downloaded again.
// - A quota error, any other failed write (or no Cache API) falls back to an in-memory copy for this
//   worker's lifetime, with a console warning and `warning` set in the result; the model still runs.
//   Whatever a failed write may have left under the key is verified and evicted at once.

import { DownloadError, downloadVerified, IntegrityError, verifyFile } from './integrity.js';

export const MODEL_CACHE_NAME = 'edgeward-models-v1';
const KEY_PATH = '/__edgeward__/model-cache/sha256/'; // never fetched: only a Cache API key

const memory = new Map(); // sha256 → {buffer, file, url, bytes, cachedAt}: the quota fallback

const origin = () => globalThis.location?.origin || 'http://localhost';

export function cacheKey(sha256) {
  return new URL(KEY_PATH + sha256, origin()).href;
}

function isQuotaError(err) {
  return err && (err.name === 'QuotaExceededError' || err.code === 22 || /quota/i.test(String(err.message)));
}

async function openCache(storage) {
  if (!storage) return null;
  try {
    return await storage.open(MODEL_CACHE_NAME);
  } catch (err) {
    console.warn(`[edgeward] the Cache API is unavailable (${err.message || err}); models are kept in memory only`);
    return null;
  }
}

/**
 * The cached bytes of `entry` {path, bytes, sha256}, re-verified, or null. A cached entry that
 * fails verification is deleted (with a console warning) and null is returned.
 * With `defer`, a copy of the right size is returned before its sha256 is checked, with `verified`: a
 * promise that resolves once the digest matches, or rejects with the IntegrityError once the entry is deleted.
 * @returns {Promise<{buffer: ArrayBuffer, from: 'cache' | 'memory', verified: Promise<void>} | null>}
 */
export async function readCached(entry, { storage = globalThis.caches, defer = false } = {}) {
  const held = memory.get(entry.sha256);
  if (held) return { buffer: held.buffer, from: 'memory', verified: Promise.resolve() };
  const cache = await openCache(storage);
  if (!cache) return null;
  const key = cacheKey(entry.sha256);
  const response = await cache.match(key);
  if (!response) return null;
  const source = `cached ${entry.path}`;
  const evict = async (err) => {
    console.warn(`[edgeward] evicting a bad cache entry: ${err.message || err}`);
    await cache.delete(key);
  };
  let buffer;
  try {
    buffer = await response.arrayBuffer();
    if (buffer.byteLength !== entry.bytes) throw new IntegrityError(`${source}: ${buffer.byteLength} bytes, manifest says ${entry.bytes}`);
    if (!defer) await verifyFile(buffer, entry, source);
  } catch (err) {
    await evict(err);
    return null;
  }
  if (!defer) return { buffer, from: 'cache', verified: Promise.resolve() };
  // crypto.subtle hashes a copy, off this thread: the caller may use the bytes meanwhile, not return a result
  const verified = verifyFile(buffer, entry, source).then(() => {}, async (err) => {
    await evict(err);
    throw err;
  });
  verified.catch(() => {}); // the caller awaits it; never an unhandled rejection meanwhile
  return { buffer, from: 'cache', verified };
}

/** Delete what a failed write left under `entry`'s key unless it verifies (another worker's good copy stays). */
async function evictIfBad(cache, entry) {
  const key = cacheKey(entry.sha256);
  try {
    const left = await cache.match(key);
    if (!left) return;
    await verifyFile(await left.arrayBuffer(), entry, `cached ${entry.path}`);
  } catch (err) {
    console.warn(`[edgeward] removing what a failed cache write left: ${err.message || err}`);
    await cache.delete(key).catch(() => {});
  }
}

/**
 * Store verified bytes under their sha256. Re-verifies first (never stores anything else).
 * Returns {stored: 'cache' | 'memory', warning}.
 */
export async function storeVerified(entry, buffer, { storage = globalThis.caches, url = entry.path } = {}) {
  await verifyFile(buffer, entry, url);
  const cache = await openCache(storage);
  const cachedAt = new Date().toISOString();
  if (cache) {
    const response = new Response(buffer, {
      status: 200,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(buffer.byteLength),
        'X-Edgeward-File': entry.path,
        'X-Edgeward-Url': url,
        'X-Edgeward-Sha256': entry.sha256,
        'X-Edgeward-Cached-At': cachedAt,
      },
    });
    try {
      // Cache.put should commit the entry only once the whole body is written; a store that fills up
      // mid-write without being atomic is dealt with below, and reads re-verify anyway.
      await cache.put(cacheKey(entry.sha256), response);
      return { stored: 'cache', warning: null };
    } catch (err) {
      await evictIfBad(cache, entry);
      // The bytes in hand are verified: a failed write costs the next download, never this load.
      const warning = isQuotaError(err)
        ? `storage quota exceeded while caching ${entry.path} (${entry.bytes} bytes): `
          + 'kept in memory only, it will be downloaded again next time'
        : `${entry.path} could not be cached (${err?.name || 'Error'}: ${err?.message || err}): `
          + 'kept in memory only, it will be downloaded again next time';
      console.warn(`[edgeward] ${warning}`);
      memory.set(entry.sha256, { buffer, file: entry.path, url, bytes: entry.bytes, cachedAt });
      return { stored: 'memory', warning };
    }
  }
  const warning = `the Cache API is unavailable: ${entry.path} kept in memory only`;
  memory.set(entry.sha256, { buffer, file: entry.path, url, bytes: entry.bytes, cachedAt });
  return { stored: 'memory', warning };
}

/** Download `entry` from its package and verify it; a DownloadError says there is no cached copy to fall back on. */
async function download(packageUrl, entry, { fetchImpl, onProgress }) {
  const url = new URL(entry.path, packageUrl).href;
  try {
    return { url, buffer: await downloadVerified(url, entry, { fetchImpl, onProgress }) };
  } catch (err) {
    // Say what the caller cannot see: there is no cached copy to fall back on (e.g. the network is cut
    // after a quota error kept the file in memory only). The error keeps its class and stack.
    if (err instanceof DownloadError) err.message += `; ${entry.path} is not in the model cache (no verified copy to fall back on)`;
    throw err;
  }
}

const cachedProgress = (entry) => ({ file: entry.path, loaded: entry.bytes, total: entry.bytes, cached: true });

/**
 * The verified bytes of one package file: from the cache when a valid copy is there, else
 * downloaded (with `onProgress({file, loaded, total})`), verified, then cached.
 * Returns {buffer, from: 'cache' | 'memory' | 'network', stored, warning}.
 */
export async function loadModelFile(packageUrl, entry, { onProgress = null, fetchImpl = fetch,
  storage = globalThis.caches } = {}) {
  const cached = await readCached(entry, { storage });
  if (cached) {
    onProgress?.(cachedProgress(entry));
    return { buffer: cached.buffer, from: cached.from, stored: cached.from, warning: null };
  }
  const { url, buffer } = await download(packageUrl, entry, { fetchImpl, onProgress });
  const { stored, warning } = await storeVerified(entry, buffer, { storage, url });
  return { buffer, from: 'network', stored, warning };
}

/**
 * `use(buffer)` (e.g. creating the session) on the verified bytes of one package file, as loadModelFile
 * finds them, with the checks that need no answer before use running alongside it: a cached copy is
 * handed to `use` while its sha256 is computed (off-thread), a download while it is being cached. Nothing
 * is returned before the cached copy's digest matched: on a mismatch `use`'s value goes to `discard` (an
 * error of `use` is dropped), the entry is evicted and the file downloaded, verified and used again.
 * Returns {buffer, from, stored, warning, value}: loadModelFile's answer and what `use` returned.
 * @template T
 * @param {string} packageUrl
 * @param {{path: string, bytes: number, sha256: string}} entry
 * @param {(buffer: ArrayBuffer) => Promise<T>} use
 * @param {{discard?: (value: T) => unknown, onProgress?: ((p: object) => void) | null, fetchImpl?: typeof fetch,
 *   storage?: CacheStorage}} [options]
 */
export async function useModelFile(packageUrl, entry, use, { discard = null, onProgress = null, fetchImpl = fetch,
  storage = globalThis.caches } = {}) {
  const cached = await readCached(entry, { storage, defer: true });
  if (cached) {
    onProgress?.(cachedProgress(entry));
    const using = Promise.resolve().then(() => use(cached.buffer)).then((value) => ({ value }), (error) => ({ error }));
    const bad = await cached.verified.then(() => null, (err) => err);
    const outcome = await using;
    if (!bad) {
      if ('error' in outcome) throw outcome.error;
      return { buffer: cached.buffer, from: cached.from, stored: cached.from, warning: null, value: outcome.value };
    }
    if ('value' in outcome) await Promise.resolve().then(() => discard?.(outcome.value)).catch(() => {});
  }
  const { url, buffer } = await download(packageUrl, entry, { fetchImpl, onProgress });
  // verified bytes may be used while they are stored (storeVerified hashes them again before it writes);
  // both end before the answer, an error of `use` first
  const [store, used] = await Promise.allSettled([storeVerified(entry, buffer, { storage, url }),
    Promise.resolve().then(() => use(buffer))]);
  if (used.status === 'rejected') throw used.reason;
  if (store.status === 'rejected') throw store.reason;
  return { buffer, from: 'network', stored: store.value.stored, warning: store.value.warning, value: used.value };
}

/** Every cached model file: [{sha256, file, url, bytes, cachedAt, storage: 'cache' | 'memory'}]. */
export async function listCachedModels({ storage = globalThis.caches } = {}) {
  const out = [];
  const cache = await openCache(storage);
  if (cache) {
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      if (!response) continue;
      const h = response.headers;
      out.push({
        sha256: h.get('X-Edgeward-Sha256') || request.url.split('/').pop(),
        file: h.get('X-Edgeward-File'),
        url: h.get('X-Edgeward-Url'),
        bytes: Number(h.get('Content-Length')) || null,
        cachedAt: h.get('X-Edgeward-Cached-At'),
        storage: 'cache',
      });
    }
  }
  for (const [sha256, m] of memory) {
    out.push({ sha256, file: m.file, url: m.url, bytes: m.bytes, cachedAt: m.cachedAt, storage: 'memory' });
  }
  return out;
}

/**
 * Delete cached model files: all of them, or only those whose sha256 is in `sha256s`.
 * Returns how many entries were removed. (The memory fallback of other workers is theirs.)
 */
export async function clearCachedModels(sha256s = null, { storage = globalThis.caches } = {}) {
  let removed = 0;
  const wanted = sha256s ? new Set(sha256s) : null;
  for (const sha of [...memory.keys()]) {
    if (!wanted || wanted.has(sha)) { memory.delete(sha); removed += 1; }
  }
  const cache = await openCache(storage);
  if (!cache) return removed;
  if (!wanted) {
    removed += (await cache.keys()).length;
    await storage.delete(MODEL_CACHE_NAME);
    return removed;
  }
  for (const sha of wanted) if (await cache.delete(cacheKey(sha))) removed += 1;
  return removed;
}

/**
 * Ask the browser to keep this origin's storage under pressure (Window only: StorageManager.persist
 * is not exposed in workers). Returns true / false, or null where the API does not exist.
 */
export async function requestPersistentStorage() {
  /** @type {(StorageManager & {persist?: () => Promise<boolean>}) | undefined} */ // no persist() in workers
  const storage = globalThis.navigator?.storage;
  try {
    if (storage?.persist) return await storage.persist();
    if (storage?.persisted) return await storage.persisted();
  } catch (err) {
    console.warn(`[edgeward] navigator.storage.persist() failed: ${err.message || err}`);
  }
  return null;
}

export { IntegrityError };
