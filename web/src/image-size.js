// An image's dimensions from its header, before anything decodes it: a 20,000 × 20,000 PNG of one colour
// is a few kilobytes on disk and 1.6 GB once decoded, so the size must be checked on the header. The
// same limit as Python's (src/edgeward/runtime/image.py MAX_IMAGE_PIXELS; tests/runtime/test_image.py
// checks they agree). Formats: PNG, JPEG, GIF, WebP, BMP — what browsers decode; others are left to
// the browser's decoder.
import { ImageError } from './errors.js';

/** Decoded pixels above which an image is refused (64 MP: 8192 × 8192, beyond any phone camera's 48 MP). */
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;

/** The longest side an image may declare (Chromium's largest canvas side is 32,767; Python refuses the same). */
export const MAX_IMAGE_SIDE = 32768;

/** Bytes read from the front of a file to find its dimensions (JPEG's SOF may follow a 64 KB EXIF block). */
export const HEADER_BYTES = 256 * 1024;

const u16be = (b, i) => (b[i] << 8) | b[i + 1];
const u16le = (b, i) => b[i] | (b[i + 1] << 8);
const u24le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b, i) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const i32le = (b, i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
const ascii = (b, i, n) => String.fromCharCode(...b.subarray(i, i + n));

/** JPEG: walk the marker segments to the first start-of-frame (SOF0–SOF15 but DHT, JPG, DAC). */
function jpegSize(b) {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null; // not at a marker: corrupt, the decoder will say so
    const marker = b[i + 1];
    if (marker === 0xff) { i += 1; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
    const length = u16be(b, i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', width: u16be(b, i + 7), height: u16be(b, i + 5) };
    }
    if (marker === 0xda || length < 2) return null; // scan data before any frame header
    i += 2 + length;
  }
  return null;
}

/** WebP: lossy (VP8), lossless (VP8L) or extended (VP8X) headers. */
function webpSize(b) {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X' && b.length >= 30) return { format: 'webp', width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8 ' && b.length >= 30) return { format: 'webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  return null;
}

/**
 * The dimensions an image's header declares, or null when the format is not one of those above (or
 * the header is cut short): then only the browser's decoder can tell.
 * @param {Uint8Array} b  the file's first bytes (HEADER_BYTES is enough)
 * @returns {{format: string, width: number, height: number} | null}
 */
export function imageDimensions(b) {
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG' && ascii(b, 12, 4) === 'IHDR') {
    return { format: 'png', width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpegSize(b);
  if (b.length >= 10 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    return { format: 'gif', width: u16le(b, 6), height: u16le(b, 8) };
  }
  if (b.length >= 16 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return webpSize(b);
  if (b.length >= 26 && ascii(b, 0, 2) === 'BM') {
    return { format: 'bmp', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  }
  return null;
}

/**
 * Refuse an image whose header declares more than `limit` pixels, before it is decoded.
 * @param {Uint8Array} head  its first bytes
 * @param {string} name  how errors name it (e.g. `'photo.png'`)
 * @param {number} [limit]
 */
export function checkImageHeader(head, name, limit = MAX_IMAGE_PIXELS) {
  const dims = imageDimensions(head);
  if (dims && Math.max(dims.width, dims.height) > MAX_IMAGE_SIDE) {
    throw new ImageError(`${name}: the ${dims.format.toUpperCase()} header declares ${dims.width} × ${dims.height} ` +
      `pixels, a side over the ${MAX_IMAGE_SIDE} pixel limit; it was not decoded`);
  }
  if (dims && dims.width * dims.height > limit) {
    const mp = (n) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MP`;
    throw new ImageError(`${name}: the ${dims.format.toUpperCase()} header declares ${dims.width} × ${dims.height} ` +
      `pixels (${mp(dims.width * dims.height)}), over the ${mp(limit)} limit; it was not decoded`);
  }
  return dims;
}

/**
 * checkImageHeader on a Blob / File (reads only its first HEADER_BYTES).
 * @param {Blob} blob @param {string} [name]
 */
export async function checkImageBlob(blob, name = typeof File !== 'undefined' && blob instanceof File ? `'${blob.name}'` : 'the image') {
  const head = new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer());
  return checkImageHeader(head, name);
}
