// What a federated client does on its own data, with no network: a mirror of
// src/edgeward/federated/local.py train_local and privacy.clip, on the browser trainer's maths
// (train/backprop.js, optim.js, prng.js — float64, summed in Python's order).
//
// Local training starts from the version's weights and standardises with the task head's fixed
// mean / std (never the client's own statistics: deltas trained on different standardisations do not
// add up); one Rng(seed) draws one Fisher–Yates shuffle of the examples per epoch, cut into batches of
// batch_size; the metrics are the trained model's loss and accuracy on the same examples. The seed of
// round r is (seed × 7919 + r) mod 2**32, as client.py's take_round draws it.
import { FederatedError } from '../errors.js';
import { lossAndGrads, scores } from '../train/backprop.js';
import { takeRows } from '../train/head.js';
import { Adam, Sgd } from '../train/optim.js';
import { Rng } from '../train/prng.js';
import { flatten, unflatten } from './params.js';

/** @typedef {import('./params.js').FederatedHead} FederatedHead */
/** @typedef {import('../train/ops.js').Mat} Mat */
/**
 * The training rules of a task (protocol.TaskSpec's fields a client uses; snake_case as on the wire).
 * @typedef {{name: string, head: FederatedHead, local_epochs: number, batch_size: number, learning_rate: number,
 *   optimizer: 'adam' | 'sgd', clip_norm: number | null, [field: string]: any}} TaskSpec
 * @typedef {{loss: number, accuracy: number, examples: number}} LocalMetrics
 * @typedef {{x: Mat, y: Int32Array}} Examples  features [n, dim] (float64) and task label indices
 */

/** The seed of round `round` for a client of seed `seed` (client.py: (seed * 7919 + round) % 2**32). */
export function roundSeed(seed, round) {
  return (seed * 7919 + round) % 4294967296; // < 2**53 for any uint32 seed: exact
}

/**
 * (x − mean) / std with the head's fixed mean and std (none: x as is), as float64.
 * @param {Mat} x @param {FederatedHead} head @returns {Mat}
 */
export function standardize(x, head) {
  if (x.cols !== head.dim) throw new FederatedError(`features of shape [${x.rows}, ${x.cols}]; the task's head takes [n, ${head.dim}]`);
  const data = Float64Array.from(x.data);
  if (head.mean && head.std) {
    for (let i = 0; i < data.length; i++) data[i] = (data[i] - head.mean[i % x.cols]) / head.std[i % x.cols];
  }
  return { rows: x.rows, cols: x.cols, data };
}

/**
 * `task.local_epochs` epochs of mini-batch training from `params` on the examples; y indexes the task's
 * labels. Returns {params, delta (params − start, float32, not yet clipped), metrics}.
 * @param {ArrayLike<number>} params @param {TaskSpec} task @param {Examples} examples @param {number} [seed]
 */
export function trainLocal(params, task, { x, y }, seed = 0) {
  const head = task.head;
  if (!y.length) throw new FederatedError('a client needs at least one example to train on');
  if (y.length !== x.rows || Array.from(y).some((c) => !Number.isInteger(c) || c < 0 || c >= head.labels.length)) {
    throw new FederatedError(`labels must be ${x.rows} class indices in 0..${head.labels.length - 1}`);
  }
  const start = Float32Array.from(params);
  const layers = unflatten(start, head);
  const xs = standardize(x, head);
  const optimizer = task.optimizer === 'sgd' ? new Sgd(layers, task.learning_rate) : new Adam(layers, task.learning_rate);
  const rng = new Rng(seed);
  for (let epoch = 0; epoch < task.local_epochs; epoch++) {
    const order = rng.shuffle(y.length);
    for (let at = 0; at < y.length; at += task.batch_size) {
      const idx = order.subarray(at, at + task.batch_size);
      const { grads } = lossAndGrads(layers, takeRows(xs, idx), Int32Array.from(idx, (i) => y[i]));
      optimizer.step(layers, grads);
    }
  }
  const { loss, accuracy } = scores(layers, xs, y);
  const trained = flatten(layers);
  const delta = new Float32Array(trained.length);
  for (let i = 0; i < delta.length; i++) delta[i] = trained[i] - start[i]; // float32 − float32, rounded once
  return { params: trained, delta, metrics: /** @type {LocalMetrics} */ ({ loss, accuracy, examples: y.length }) };
}

/** The L2 norm of a vector, summed in index order in float64. @param {ArrayLike<number>} v */
export function l2norm(v) {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/**
 * `delta` scaled to L2 norm `norm` if it is longer (float64 maths, as privacy.clip), as float32 —
 * what an honest client sends. Shorter ones come back unchanged.
 * @param {ArrayLike<number>} delta @param {number} norm @returns {Float32Array}
 */
export function clip(delta, norm) {
  if (!(Number.isFinite(norm) && norm > 0)) throw new FederatedError(`clip norm must be a finite number > 0, got ${norm}`);
  const length = l2norm(delta);
  if (!Number.isFinite(length)) throw new FederatedError('cannot clip a delta holding NaN or Inf');
  if (length <= norm) return Float32Array.from(delta);
  const scale = norm / length;
  return Float32Array.from(delta, (d) => d * scale);
}

/**
 * The user's examples as task label indices: an exported dataset ({format: 'edgeward-dataset/1', labels,
 * dim, x (flat), y}: what trainer.exportDataset() gives) or {x: rows, a flat array with `dim`, or {rows,
 * cols, data}; y: label names or indices into the task's labels}. A label the task does not have is a FederatedError naming it.
 * @param {any} examples @param {FederatedHead} head @returns {Examples}
 */
export function toTaskExamples(examples, head) {
  if (!examples || typeof examples !== 'object' || !examples.x || !examples.y) {
    throw new TypeError('examples must be {x, y} (feature rows and their labels) or an exported dataset');
  }
  const rows = Array.from(examples.y).length;
  const matrix = examples.x.data && Number.isInteger(examples.x.cols) ? examples.x : null; // {rows, cols, data}
  const flat = matrix ? matrix.data : examples.x;
  const nested = !matrix && Array.isArray(flat) && flat.length > 0 && typeof flat[0] === 'object';
  const dim = matrix?.cols ?? (nested ? flat[0].length : (examples.dim ?? head.dim));
  if (dim !== head.dim) throw new FederatedError(`examples have ${dim} features; the task's head takes ${head.dim}`);
  const data = new Float64Array(rows * dim);
  if (nested) {
    if (flat.length !== rows) throw new FederatedError(`${flat.length} feature rows for ${rows} labels`);
    flat.forEach((row, i) => {
      if (row.length !== dim) throw new FederatedError(`example ${i} has ${row.length} features; the task's head takes ${dim}`);
      data.set(Array.from(row, Number), i * dim);
    });
  } else {
    if (flat.length !== rows * dim) throw new FederatedError(`${flat.length} values do not make ${rows} rows of ${dim}`);
    data.set(Array.from(flat, Number));
  }
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new FederatedError(`example ${Math.floor(bad / dim)}, feature ${bad % dim} is ${data[bad]} (features must be finite)`);
  const names = examples.labels ?? null; // an exported dataset: y indexes its own labels
  const y = Int32Array.from(Array.from(examples.y), (label, i) => {
    const name = names ? names[label] : label;
    const c = typeof name === 'string' ? head.labels.indexOf(name) : name;
    if (!Number.isInteger(c) || c < 0 || c >= head.labels.length) {
      throw new FederatedError(`example ${i}: label ${JSON.stringify(name)} is not among the task's [${head.labels}]`);
    }
    return c;
  });
  return { x: { rows, cols: dim, data }, y };
}
