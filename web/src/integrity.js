// Integrity before use: every downloaded package file is checked against its manifest entry
// (byte size, then sha256) before anything runs or caches it.
//
//   IntegrityError  the bytes are not the bytes the manifest names (size or sha256 differ)
//   DownloadError   no usable response: network failure, HTTP status other than 200, an HTML page
//                   where a model file was expected, or a body cut short

import { DownloadError, IntegrityError } from './errors.js';

export { DownloadError, IntegrityError };

export async function sha256Hex(buffer) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Throws IntegrityError naming the file when `buffer` does not match `entry` {path, bytes, sha256}. */
export async function verifyFile(buffer, entry, source = entry.path) {
  if (buffer.byteLength !== entry.bytes) {
    throw new IntegrityError(`${source}: ${buffer.byteLength} bytes, manifest says ${entry.bytes}`);
  }
  const digest = await sha256Hex(buffer);
  if (digest !== entry.sha256) {
    throw new IntegrityError(`${source}: sha256 ${digest} does not match manifest ${entry.sha256}`);
  }
  return buffer;
}

const PROGRESS_STEP = 1 / 50; // report at most ~50 progress events per file (plus the last one)

/**
 * Download `url` as the file `entry` {path, bytes, sha256} names and verify it. Only a complete
 * 200 response whose size and sha256 match is returned (an ArrayBuffer); anything else throws
 * DownloadError or IntegrityError naming the URL. `onProgress({file, loaded, total})` is called
 * while the body arrives. The HTTP cache is bypassed: the verified model cache is the only cache.
 */
export async function downloadVerified(url, entry, { fetchImpl = fetch, onProgress = null } = {}) {
  let response;
  try {
    response = await fetchImpl(url, { cache: 'no-store', credentials: 'same-origin' });
  } catch (err) {
    throw new DownloadError(`${url}: download failed (${err.message || err}); nothing was cached`);
  }
  if (response.status !== 200) {
    response.body?.cancel?.().catch(() => {});
    throw new DownloadError(`${url}: HTTP ${response.status} ${response.statusText || ''}`.trim()
      + `; expected ${entry.path} (${entry.bytes} bytes); nothing was cached`);
  }
  const type = (response.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  if (type === 'text/html' || type === 'application/xhtml+xml') {
    response.body?.cancel?.().catch(() => {});
    throw new DownloadError(`${url}: the server sent an HTML page (${type}) instead of the model file `
      + `${entry.path} (${entry.bytes} bytes); nothing was cached`);
  }
  const total = entry.bytes;
  let reported = -1;
  const report = (loaded) => {
    if (onProgress && loaded !== reported) onProgress({ file: entry.path, url, loaded, total });
    reported = loaded;
  };
  const out = new Uint8Array(total);
  let loaded = 0;
  if (!response.body) {
    const buffer = new Uint8Array(await response.arrayBuffer());
    if (buffer.byteLength > total) throw new IntegrityError(`${url}: ${buffer.byteLength} bytes, manifest says ${total}`);
    out.set(buffer);
    loaded = buffer.byteLength;
  } else {
    const reader = response.body.getReader();
    let next = 0;
    report(0);
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new DownloadError(`${url}: download cut short after ${loaded} of ${total} bytes `
          + `(${err.message || err}); nothing was cached`);
      }
      if (chunk.done) break;
      const { value } = chunk;
      if (loaded + value.byteLength > total) {
        reader.cancel().catch(() => {});
        throw new IntegrityError(`${url}: more than ${total} bytes, manifest says ${total}; nothing was cached`);
      }
      out.set(value, loaded);
      loaded += value.byteLength;
      if (loaded >= next) {
        report(loaded);
        next = loaded + Math.max(1, Math.floor(total * PROGRESS_STEP));
      }
    }
  }
  if (loaded !== total) {
    throw new IntegrityError(`${url}: truncated, ${loaded} of ${total} bytes; nothing was cached`);
  }
  report(loaded);
  return verifyFile(out.buffer, entry, url);
}

/** Download one file of a package and verify it. Only complete 200 responses are accepted. */
export async function fetchVerified(packageUrl, entry, fetchImpl = fetch, onProgress = null) {
  return downloadVerified(new URL(entry.path, packageUrl).href, entry, { fetchImpl, onProgress });
}
