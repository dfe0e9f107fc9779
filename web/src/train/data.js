// Training data in the browser: the mirror of src/edgeward/train/data.py's `data_hash` (the loaders —
// digits, CSV — are Python's; the browser gathers features from its base model instead).

/**
 * sha256 (hex) of `edgeward-data/1 {n} {d}\n`, x as little-endian float64 (row-major), y as
 * little-endian int32 and the labels as compact JSON (UTF-8) — Python's data_hash, byte for byte.
 * @param {{rows: number, cols: number, data: ArrayLike<number>}} x @param {ArrayLike<number>} y @param {string[]} labels
 * @returns {Promise<string>}
 */
export async function dataHash(x, y, labels) {
  const enc = new TextEncoder();
  const head = enc.encode(`edgeward-data/1 ${x.rows} ${x.cols}\n`);
  const tail = enc.encode(JSON.stringify(labels));
  const bytes = new Uint8Array(head.length + 8 * x.data.length + 4 * y.length + tail.length);
  bytes.set(head, 0);
  const view = new DataView(bytes.buffer, head.length);
  for (let i = 0; i < x.data.length; i++) view.setFloat64(8 * i, x.data[i], true);
  for (let i = 0; i < y.length; i++) view.setInt32(8 * x.data.length + 4 * i, y[i], true);
  bytes.set(tail, head.length + 8 * x.data.length + 4 * y.length);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
