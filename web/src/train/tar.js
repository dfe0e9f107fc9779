// A tiny POSIX ustar writer: a package folder as one downloadable .tar (`tar xf`, Python's tarfile,
// `edgeward pack DIR` after extracting). Regular files and directories only, 0644 / 0755, owner 0,
// fixed mtime (the same package gives the same bytes).
import { TrainingError } from '../errors.js';

const BLOCK = 512;
const encoder = new TextEncoder();

/**
 * Write `value` as `width - 1` octal digits and a NUL into header[offset…].
 * @param {Uint8Array} header @param {number} offset @param {number} width @param {number} value
 */
function octal(header, offset, width, value) {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new TrainingError(`tar: ${value} does not fit a ${width}-byte field`);
  header.set(encoder.encode(digits), offset);
}

/**
 * Split a path into ustar's name (≤ 100 bytes) and prefix (≤ 155 bytes), at a '/'.
 * @param {string} path
 * @returns {[Uint8Array, Uint8Array]}
 */
function splitName(path) {
  const bytes = encoder.encode(path);
  if (bytes.length <= 100) return [bytes, new Uint8Array()];
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const prefix = encoder.encode(path.slice(0, cut));
    const name = encoder.encode(path.slice(cut + 1));
    if (prefix.length <= 155 && name.length <= 100 && name.length) return [name, prefix];
  }
  throw new TrainingError(`tar: the path '${path}' is too long for a ustar header`);
}

/**
 * One 512-byte ustar header.
 * @param {string} path @param {number} size @param {'0' | '5'} type  '0' a file, '5' a directory
 * @param {number} mtime  seconds since 1970
 */
function header(path, size, type, mtime) {
  const h = new Uint8Array(BLOCK);
  const [name, prefix] = splitName(path);
  h.set(name, 0);
  octal(h, 100, 8, type === '5' ? 0o755 : 0o644);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  h[156] = type.charCodeAt(0);
  h.set(encoder.encode('ustar\u000000'), 257); // magic "ustar\0", version "00"
  h.set(prefix, 345);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(encoder.encode(`${sum.toString(8).padStart(6, '0')}\u0000 `), 148);
  return h;
}

/**
 * A tar archive of `files` ({path: bytes}) under the folder `folder`.
 * @param {string} folder  e.g. 'my-model-1.0.0'
 * @param {Record<string, Uint8Array>} files  names inside the folder → bytes
 * @param {{mtime?: number}} [options]  seconds since 1970 (default 0)
 * @returns {Uint8Array}
 */
export function tarFolder(folder, files, { mtime = 0 } = {}) {
  /** @type {Uint8Array[]} */
  // The folder's own entry when its name fits a header (extractors create a longer one from the files' paths).
  const parts = encoder.encode(folder).length < 100 ? [header(`${folder}/`, 0, '5', mtime)] : [];
  for (const [name, bytes] of Object.entries(files)) {
    if (!name || name.includes('/') || name === '.' || name === '..') throw new TrainingError(`tar: '${name}' is not a plain file name`);
    parts.push(header(`${folder}/${name}`, bytes.length, '0', mtime), bytes);
    const pad = (BLOCK - (bytes.length % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(2 * BLOCK)); // end of archive: two zero blocks
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
