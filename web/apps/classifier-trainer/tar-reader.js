// Read a package archive (.tar, as trainer.export() and `tar cf` write it) back into
// {manifest, files}: the ustar headers' name + prefix, octal size, regular files only. The package
// is then checked like any other before use (the runtime's restore: schema, every sha256).

const BLOCK = 512;
const decoder = new TextDecoder();

/** @param {Uint8Array} bytes */
const text = (bytes) => decoder.decode(bytes.subarray(0, bytes.indexOf(0) < 0 ? bytes.length : bytes.indexOf(0)));

/**
 * The regular files of a tar archive: {path: bytes}.
 * @param {Uint8Array} tar @param {string} name  the archive's name, for errors
 * @returns {Record<string, Uint8Array>}
 */
export function readTar(tar, name) {
  /** @type {Record<string, Uint8Array>} */ const files = {};
  for (let at = 0; at + BLOCK <= tar.length;) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break; // end of archive
    const magic = text(header.subarray(257, 263));
    if (!magic.startsWith('ustar')) throw new TypeError(`'${name}' is not a tar archive (no ustar header at byte ${at})`);
    // Octal digits only: parseInt would take '-1750' as -1000, and a negative size never moves `at` on.
    const digits = text(header.subarray(124, 136)).trim();
    if (!/^[0-7]*$/.test(digits)) throw new TypeError(`'${name}' has an entry whose size '${digits}' is not an octal number (at byte ${at})`);
    const size = parseInt(digits || '0', 8);
    if (at + BLOCK + size > tar.length) throw new TypeError(`'${name}' is cut short (an entry of ${size} bytes at byte ${at})`);
    const prefix = text(header.subarray(345, 500));
    const path = (prefix ? `${prefix}/` : '') + text(header.subarray(0, 100));
    const type = String.fromCharCode(header[156] || 48); // '0' (or NUL): a regular file
    if (type === '0' && (path.startsWith('/') || path.split('/').includes('..'))) {
      throw new TypeError(`'${name}' has an entry '${path}' outside its folder`);
    }
    if (type === '0') files[path] = tar.slice(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

/**
 * A package archive → {manifest, files: {path: bytes}}: the folder's manifest.json and the files beside it.
 * @param {Uint8Array} tar @param {string} name
 */
export function packageFromTar(tar, name) {
  const entries = readTar(tar, name);
  const manifestPath = Object.keys(entries).find((p) => p === 'manifest.json' || /^[^/]+\/manifest\.json$/.test(p));
  if (!manifestPath) throw new TypeError(`'${name}' holds no manifest.json: it is not an Edgeward package`);
  const folder = manifestPath.slice(0, -'manifest.json'.length);
  let manifest;
  try {
    manifest = JSON.parse(decoder.decode(entries[manifestPath]));
  } catch (err) {
    throw new TypeError(`'${name}': manifest.json is not JSON (${err.message})`, { cause: err });
  }
  /** @type {Record<string, Uint8Array>} */ const files = {};
  for (const [path, bytes] of Object.entries(entries)) {
    if (path !== manifestPath && path.startsWith(folder)) files[path.slice(folder.length)] = bytes;
  }
  return { manifest, files };
}
