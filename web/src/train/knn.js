// k-nearest-neighbour classification on frozen features: an exact mirror of src/edgeward/train/knn.py
// (TF.js knn-classifier semantics: unit vectors, cosine similarity, k = min(k, examples) neighbours,
// similarity ties to the lower example index, vote ties to the lower class, confidence = votes / k).
// Examples are stored as float32; similarities are float64 sums in feature order, as in Python.
import { TrainingError } from '../errors.js';

export const DEFAULT_K = 3;

/**
 * Rows of x [n, d] divided by their L2 norm (summed in feature order), as float32; zero rows stay zero.
 * @param {ArrayLike<number>} data row-major @param {number} d features per row
 * @returns {Float32Array}
 */
export function normalize(data, d) {
  const out = new Float32Array(data.length);
  for (let r = 0; r * d < data.length; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += data[r * d + j] * data[r * d + j];
    const norm = Math.sqrt(s);
    if (norm > 0) for (let j = 0; j < d; j++) out[r * d + j] = data[r * d + j] / norm;
  }
  return out;
}

/** @param {unknown} k */
export function checkK(k) {
  if (!Number.isInteger(k) || /** @type {number} */ (k) < 1) throw new RangeError(`k must be an integer >= 1, got ${String(k)}`);
  return /** @type {number} */ (k);
}

export class KnnModel {
  /**
   * @param {Float32Array} examples unit-normalised [n, d], row-major
   * @param {Int32Array} exampleLabels [n] @param {number} k @param {string[]} labels @param {number} d
   */
  constructor(examples, exampleLabels, k, labels, d) {
    this.examples = examples;
    this.exampleLabels = exampleLabels;
    this.k = checkK(k);
    this.labels = labels;
    this.dims = d;
  }

  /**
   * Cosine similarity of one feature vector to every example (float64 [n]).
   * @param {ArrayLike<number>} x
   * @returns {Float64Array}
   */
  similarities(x) {
    if (x.length !== this.dims) throw new TrainingError(`features have length ${x.length}; the examples have ${this.dims}`);
    const q = normalize(x, this.dims);
    const n = this.exampleLabels.length;
    const sims = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < this.dims; j++) s += this.examples[i * this.dims + j] * q[j];
      sims[i] = s;
    }
    return sims;
  }

  /**
   * {classIndex, confidences (float64 [classes])} for one feature vector.
   * @param {ArrayLike<number>} x
   */
  predict(x) {
    const sims = this.similarities(x);
    const k = Math.min(this.k, sims.length);
    const order = Array.from(sims.keys()).sort((a, b) => sims[b] - sims[a] || a - b);
    const votes = new Float64Array(this.labels.length);
    for (let r = 0; r < k; r++) votes[this.exampleLabels[order[r]]] += 1;
    let classIndex = 0;
    for (let c = 1; c < votes.length; c++) if (votes[c] > votes[classIndex]) classIndex = c;
    return { classIndex, confidences: votes.map((v) => v / k) };
  }
}

/**
 * A KnnModel holding the normalised rows of x [n, d] with classes y [n] (indices into labels).
 * @param {{rows: number, cols: number, data: ArrayLike<number>}} x @param {ArrayLike<number>} y
 * @param {string[]} labels @param {number} [k]
 * @returns {KnnModel}
 */
export function fitKnn(x, y, labels, k = DEFAULT_K) {
  if (!x.rows || x.rows !== y.length || x.data.length !== x.rows * x.cols) {
    throw new TrainingError(`KNN needs examples: ${x.rows} feature rows, ${y.length} labels`);
  }
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) throw new TrainingError('KNN examples must be finite (a NaN or inf is in the features)');
  }
  for (let i = 0; i < y.length; i++) {
    if (!Number.isInteger(y[i]) || y[i] < 0 || y[i] >= labels.length) {
      throw new TrainingError(`KNN example classes must be in 0..${labels.length - 1}`);
    }
  }
  return new KnnModel(normalize(x.data, x.cols), Int32Array.from(y), k, [...labels], x.cols);
}
