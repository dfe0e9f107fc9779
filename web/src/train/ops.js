// float64 linear algebra with a fixed summation order: an exact mirror of src/edgeward/train/ops.py.
// Every sum runs in index order from 0, one rounded multiply and one rounded add per term (JS never
// fuses them), so the results are the Python oracle's bits. Matrices are row-major {rows, cols, data}.

/** @typedef {{rows: number, cols: number, data: Float64Array}} Mat */

/**
 * A zero matrix.
 * @param {number} rows @param {number} cols
 * @returns {Mat}
 */
export function zeros(rows, cols) {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/**
 * a [m, k] @ b [k, n], each output summed over k in increasing order.
 * @param {Mat} a @param {Mat} b
 * @returns {Mat}
 */
export function matmul(a, b) {
  const { rows: m, cols: K } = a;
  const n = b.cols;
  const out = zeros(m, n);
  const o = out.data;
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < K; k++) {
      const aik = a.data[i * K + k];
      const bk = k * n;
      const oi = i * n;
      for (let j = 0; j < n; j++) o[oi + j] += aik * b.data[bk + j];
    }
  }
  return out;
}

/**
 * a.T @ b for a [k, m], b [k, n]: summed over the rows of both, in order.
 * @param {Mat} a @param {Mat} b
 * @returns {Mat}
 */
export function matmulTN(a, b) {
  const { rows: K, cols: m } = a;
  const n = b.cols;
  const out = zeros(m, n);
  const o = out.data;
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < m; i++) {
      const aki = a.data[k * m + i];
      const oi = i * n;
      const bk = k * n;
      for (let j = 0; j < n; j++) o[oi + j] += aki * b.data[bk + j];
    }
  }
  return out;
}

/**
 * a @ b.T for a [m, k], b [n, k]: summed over k in order.
 * @param {Mat} a @param {Mat} b
 * @returns {Mat}
 */
export function matmulNT(a, b) {
  const { rows: m, cols: K } = a;
  const n = b.rows;
  const out = zeros(m, n);
  const o = out.data;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a.data[i * K + k] * b.data[j * K + k];
      o[i * n + j] = s;
    }
  }
  return out;
}

/**
 * Sum over the rows of a [m, n] (rows added in order) → [n].
 * @param {Mat} a
 * @returns {Float64Array}
 */
export function sumRows(a) {
  const out = new Float64Array(a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) out[j] += a.data[i * a.cols + j];
  }
  return out;
}

/**
 * Sum over the columns of a [m, n] (columns added in order) → [m].
 * @param {Mat} a
 * @returns {Float64Array}
 */
export function sumCols(a) {
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) s += a.data[i * a.cols + j];
    out[i] = s;
  }
  return out;
}
