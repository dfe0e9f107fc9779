// Forward and backward passes of a dense ReLU network with softmax cross-entropy: an exact mirror of
// src/edgeward/train/backprop.py. `layers` is [{W: Mat [in, out], b: Float64Array [out]}, …]; every
// layer but the last is followed by ReLU (and, in training, by an inverted-dropout mask).
import { matmul, matmulNT, matmulTN, sumCols, sumRows } from './ops.js';

/** @typedef {import('./ops.js').Mat} Mat */
/** @typedef {{W: Mat, b: Float64Array}} Layer */

/**
 * a @ W + b, the bias added after the sum.
 * @param {Mat} a @param {Layer} layer
 * @returns {Mat}
 */
export function dense(a, layer) {
  const out = matmul(a, layer.W);
  const n = out.cols;
  for (let i = 0; i < out.data.length; i++) out.data[i] += layer.b[i % n];
  return out;
}

/**
 * ReLU, times the dropout mask when one is given.
 * @param {Mat} z @param {Mat | null} mask
 * @returns {Mat}
 */
function relu(z, mask) {
  const out = { rows: z.rows, cols: z.cols, data: new Float64Array(z.data.length) };
  for (let i = 0; i < z.data.length; i++) {
    const r = z.data[i] > 0 ? z.data[i] : 0;
    out.data[i] = mask ? r * mask.data[i] : r;
  }
  return out;
}

/**
 * {logits, inputs of each layer, pre-activations of each hidden layer}.
 * @param {Layer[]} layers @param {Mat} x @param {Mat[] | null} [masks] one per hidden layer
 * @returns {{logits: Mat, inputs: Mat[], pre: Mat[]}}
 */
export function forward(layers, x, masks = null) {
  const inputs = [];
  const pre = [];
  let a = x;
  for (let i = 0; i < layers.length; i++) {
    inputs.push(a);
    const z = dense(a, layers[i]);
    if (i === layers.length - 1) return { logits: z, inputs, pre };
    pre.push(z);
    a = relu(z, masks ? masks[i] : null);
  }
  throw new Error('a network needs at least one layer');
}

/**
 * Per row: the max, and exp(z - max) (as a Mat).
 * @param {Mat} z
 */
function shifted(z) {
  const top = new Float64Array(z.rows);
  const e = { rows: z.rows, cols: z.cols, data: new Float64Array(z.data.length) };
  for (let i = 0; i < z.rows; i++) {
    let m = -Infinity;
    for (let j = 0; j < z.cols; j++) m = Math.max(m, z.data[i * z.cols + j]);
    top[i] = m;
    for (let j = 0; j < z.cols; j++) e.data[i * z.cols + j] = Math.exp(z.data[i * z.cols + j] - m);
  }
  return { top, e };
}

/**
 * Row-wise softmax: exp(z - max) / the sum of those (in class order).
 * @param {Mat} logits
 * @returns {Mat}
 */
export function softmax(logits) {
  const { e } = shifted(logits);
  const total = sumCols(e);
  for (let i = 0; i < e.data.length; i++) e.data[i] /= total[Math.floor(i / e.cols)];
  return e;
}

/**
 * log softmax(z)[y] per row.
 * @param {Mat} logits @param {ArrayLike<number>} y
 * @returns {Float64Array}
 */
export function logLikelihoods(logits, y) {
  const { top, e } = shifted(logits);
  const total = sumCols(e);
  const out = new Float64Array(logits.rows);
  for (let i = 0; i < logits.rows; i++) out[i] = logits.data[i * logits.cols + y[i]] - top[i] - Math.log(total[i]);
  return out;
}

/**
 * Sum in index order, divided by the count (0 for none).
 * @param {ArrayLike<number>} values
 */
export function mean(values) {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return values.length ? total / values.length : 0;
}

/**
 * Mean softmax cross-entropy over the batch and its gradient for every layer.
 * @param {Layer[]} layers @param {Mat} x @param {ArrayLike<number>} y @param {Mat[] | null} [masks]
 * @returns {{loss: number, correct: number, grads: Layer[]}} correct: the batch's hits on the same forward pass
 */
export function lossAndGrads(layers, x, y, masks = null) {
  const { logits, inputs, pre } = forward(layers, x, masks);
  const loss = -mean(logLikelihoods(logits, y));
  let correct = 0; // the batch's hits on the same forward pass: an epoch's running training accuracy
  for (let i = 0; i < logits.rows; i++) if (argmaxRow(logits, i) === y[i]) correct++;
  let dz = softmax(logits);
  for (let i = 0; i < y.length; i++) dz.data[i * dz.cols + y[i]] -= 1.0;
  for (let i = 0; i < dz.data.length; i++) dz.data[i] /= y.length;
  const grads = [];
  for (let l = layers.length - 1; l >= 0; l--) {
    grads.push({ W: matmulTN(inputs[l], dz), b: sumRows(dz) });
    if (l > 0) {
      const da = matmulNT(dz, layers[l].W);
      const mask = masks ? masks[l - 1] : null;
      const p = pre[l - 1].data;
      for (let i = 0; i < da.data.length; i++) {
        const g = mask ? da.data[i] * mask.data[i] : da.data[i];
        da.data[i] = p[i] > 0 ? g : 0;
      }
      dz = da;
    }
  }
  return { loss, correct, grads: grads.reverse() };
}

/**
 * {loss, accuracy} without dropout; the predicted class is the first highest logit.
 * @param {Layer[]} layers @param {Mat} x @param {ArrayLike<number>} y
 */
export function scores(layers, x, y) {
  const { logits } = forward(layers, x);
  let correct = 0;
  for (let i = 0; i < logits.rows; i++) if (argmaxRow(logits, i) === y[i]) correct++;
  return { loss: -mean(logLikelihoods(logits, y)), accuracy: correct / y.length };
}

/**
 * The index of the first highest value of row i.
 * @param {Mat} m @param {number} i
 */
export function argmaxRow(m, i) {
  let best = 0;
  for (let j = 1; j < m.cols; j++) if (m.data[i * m.cols + j] > m.data[i * m.cols + best]) best = j;
  return best;
}
