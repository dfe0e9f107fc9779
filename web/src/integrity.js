// Integrity before use: every downloaded package file is checked against its manifest entry
// (byte size, then sha256) before anything runs or caches it.

export class IntegrityError extends Error {
  constructor(message) {
    super(message);
    this.name = 'IntegrityError';
  }
}

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

/** Download one file of a package and verify it. Only complete 200 responses are accepted. */
export async function fetchVerified(packageUrl, entry, fetchImpl = fetch) {
  const url = new URL(entry.path, packageUrl).href;
  let response;
  try {
    response = await fetchImpl(url);
  } catch (err) {
    throw new IntegrityError(`${url}: download failed (${err.message || err})`);
  }
  if (response.status !== 200) {
    throw new IntegrityError(`${url}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  const buffer = await response.arrayBuffer();
  return verifyFile(buffer, entry, url);
}
