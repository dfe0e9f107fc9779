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
  // element (i, k) of a is a[i·K + k]: one row per output row
  return gemm(a.data, a.cols, 1, b.data, a.rows, b.cols, a.cols);
}

/**
 * a.T @ b for a [k, m], b [k, n]: summed over the rows of both, in order.
 * @param {Mat} a @param {Mat} b
 * @returns {Mat}
 */
export function matmulTN(a, b) {
  // element (i, k) of a.T is a[k·m + i]
  if (a.cols < 8 * b.cols) return gemm(a.data, 1, a.cols, b.data, a.cols, b.cols, a.rows);
  return sparseGradient(a, b);
}

/**
 * a.T @ b when a is wide (a first layer's inputs, m ≫ n) and b holds the ReLU's zeros (about half
 * of a hidden layer's gradient): built transposed, t[j, i] = Σ_k b[k, j] · a[k, i] in 1 × 8 register
 * tiles, a zero b[k, j] skipping its whole term; each element still sums k = 0, 1, … from 0.
 * @param {Mat} a @param {Mat} b
 * @returns {Mat}
 */
function sparseGradient(a, b) {
  const { rows: K, cols: m } = a;
  const n = b.cols;
  const A = a.data;
  const B = b.data;
  const t = new Float64Array(n * m);
  for (let j = 0; j < n; j++) {
    let i = 0;
    for (; i + 7 < m; i += 8) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
      for (let k = 0; k < K; k++) {
        const s = B[k * n + j];
        if (s === 0) continue;
        const r = k * m + i;
        c0 += s * A[r]; c1 += s * A[r + 1]; c2 += s * A[r + 2]; c3 += s * A[r + 3];
        c4 += s * A[r + 4]; c5 += s * A[r + 5]; c6 += s * A[r + 6]; c7 += s * A[r + 7];
      }
      const o = j * m + i;
      t[o] = c0; t[o + 1] = c1; t[o + 2] = c2; t[o + 3] = c3; t[o + 4] = c4; t[o + 5] = c5; t[o + 6] = c6; t[o + 7] = c7;
    }
    for (; i < m; i++) {
      let c = 0;
      for (let k = 0; k < K; k++) {
        const s = B[k * n + j];
        if (s !== 0) c += s * A[k * m + i];
      }
      t[j * m + i] = c;
    }
  }
  const out = zeros(m, n);
  for (let j = 0; j < n; j++) for (let i = 0; i < m; i++) out.data[i * n + j] = t[j * m + i];
  return out;
}

/**
 * C [m, n] = A [m, K] @ B [K, n] where A's element (i, k) is A[i·si + k·sk] and B is row-major.
 * Register tiles of 2 rows × 4 columns: each output is its own accumulator, summed over k = 0, 1, …
 * from 0 (the Python oracle's order, so the bits are the same) without a load and a store of the
 * output per term — about twice as fast as an axpy loop in V8.
 * @param {Float64Array} A @param {number} si @param {number} sk @param {Float64Array} B
 * @param {number} m @param {number} n @param {number} K
 * @returns {Mat}
 */
function gemm(A, si, sk, B, m, n, K) {
  const out = zeros(m, n);
  const C = out.data;
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const r0 = i * si;
    const r1 = r0 + si;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      for (let k = 0, ak = 0, bk = j; k < K; k++, ak += sk, bk += n) {
        const a0 = A[r0 + ak];
        const a1 = A[r1 + ak];
        const b0 = B[bk];
        const b1 = B[bk + 1];
        const b2 = B[bk + 2];
        const b3 = B[bk + 3];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
      }
      const o0 = i * n + j;
      const o1 = o0 + n;
      C[o0] = c00; C[o0 + 1] = c01; C[o0 + 2] = c02; C[o0 + 3] = c03;
      C[o1] = c10; C[o1 + 1] = c11; C[o1 + 2] = c12; C[o1 + 3] = c13;
    }
    for (; j < n; j++) {
      let c0 = 0, c1 = 0;
      for (let k = 0, ak = 0, bk = j; k < K; k++, ak += sk, bk += n) {
        c0 += A[r0 + ak] * B[bk];
        c1 += A[r1 + ak] * B[bk];
      }
      C[i * n + j] = c0;
      C[(i + 1) * n + j] = c1;
    }
  }
  for (; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let c = 0;
      for (let k = 0, ak = i * si, bk = j; k < K; k++, ak += sk, bk += n) c += A[ak] * B[bk];
      C[i * n + j] = c;
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
  const ad = a.data;
  const bd = b.data;
  const out = zeros(m, n);
  const o = out.data;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += ad[i * K + k] * bd[j * K + k];
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
