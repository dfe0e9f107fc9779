// A training session on feature vectors: the examples the user gave, KNN predictions from the first
// example on, and a linear / MLP head once trained. Pure (no worker, no DOM): the worker drives it
// (train/handlers.js) and `node --test` checks it. Training is stepped one batch at a time so that
// the caller can report progress and cancel between batches.
//
// The Python CLI does the same on the same data: stratified_split(y, testSplit, seed), then
// train_head(..., seed) — so a session fed the same examples in the same order gives the same model.
import { TrainingError } from '../errors.js';
import { evaluate } from './evaluate.js';
import { HeadTrainer } from './head.js';
import { checkK, DEFAULT_K, fitKnn } from './knn.js';
import { headOptions } from './options.js';
import { checkTestSplit, DEFAULT_TEST_SPLIT, stratifiedSplit } from './split.js';

/**
 * @typedef {{head?: string, epochs?: number, batchSize?: number, learningRate?: number, optimizer?: string,
 *   momentum?: number, hidden?: number, dropout?: number, seed?: number, patience?: number | null,
 *   testSplit?: number, k?: number}} TrainOptions
 * @typedef {{label: string, class_id: number, score: number}} Classification
 */

/** Class probabilities → [{label, class_id, score}] best first, ties in class order (as tasks/classify.js). */
function ranked(probabilities, labels, topK) {
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  return order.slice(0, topK).map((c) => ({ label: labels[c], class_id: c, score: probabilities[c] }));
}

export class Trainer {
  /** @param {{dim?: number | null, labels?: string[], k?: number}} [options] */
  constructor({ dim = null, labels = [], k = DEFAULT_K } = {}) {
    /** @type {number | null} */ this.dim = dim;
    /** @type {string[]} classes in the order they were named (labels) or first given */
    this.labels = [...labels];
    this.k = checkK(k);
    /** @type {Map<number, {features: Float64Array, label: string}>} */ this.examples = new Map();
    this.nextId = 1;
    /** @type {any} a TrainedHead, or KNN with the same predictProba (knnHead); null before training */
    this.head = null;
    /** @type {object | null} */ this.report = null;
    /** @type {import('./knn.js').KnnModel | null} */ this._knn = null;
  }

  /** Add one example; returns its id (for removeExample). */
  addExample(features, label) {
    if (typeof label !== 'string' || !label) throw new TypeError(`an example's label must be a non-empty string, got ${String(label)}`);
    const x = Float64Array.from(features);
    if (this.dim === null) this.dim = x.length;
    if (x.length !== this.dim) throw new TrainingError(`features have length ${x.length}; this trainer's examples have ${this.dim}`);
    if (!x.every(Number.isFinite)) throw new TrainingError(`example '${label}' has a NaN or infinite feature`);
    if (!this.labels.includes(label)) this.labels.push(label);
    const id = this.nextId++;
    this.examples.set(id, { features: x, label });
    this._knn = null;
    return id;
  }

  removeExample(id) {
    if (!this.examples.delete(id)) throw new RangeError(`no example with id ${id}`);
    this._knn = null;
  }

  /**
   * Rename class `from` to `to`: its examples, and the trained head's and last report's names (the
   * model itself is unchanged). A class keeps its place in the class order.
   */
  renameLabel(from, to) {
    if (typeof to !== 'string' || !to) throw new TypeError(`a class name must be a non-empty string, got ${String(to)}`);
    const i = this.labels.indexOf(from);
    if (i < 0) throw new RangeError(`no class '${from}'`);
    if (from === to) return;
    if (this.labels.includes(to)) throw new TrainingError(`there is already a class '${to}'`);
    const rename = (l) => (l === from ? to : l);
    this.labels[i] = to;
    for (const e of this.examples.values()) e.label = rename(e.label);
    if (this.head) this.head.labels = this.head.labels.map(rename);
    this._knn = null;
    for (const c of this.report?.perClass ?? []) c.label = rename(c.label);
  }

  /**
   * Remove class `label` and its examples. A trained head that knows the class is dropped (with its
   * report): predictions go back to KNN over the remaining examples until the next train().
   */
  removeLabel(label) {
    const i = this.labels.indexOf(label);
    if (i < 0) throw new RangeError(`no class '${label}'`);
    this.labels.splice(i, 1);
    for (const [id, e] of this.examples) if (e.label === label) this.examples.delete(id);
    this._knn = null;
    if (this.head?.labels.includes(label)) {
      this.head = null;
      this.report = null;
    }
  }

  /** Examples per class, in class order (a named class may have 0). */
  counts() {
    const counts = Object.fromEntries(this.labels.map((l) => [l, 0]));
    for (const { label } of this.examples.values()) counts[label] += 1;
    return counts;
  }

  /** The examples as {x: {rows, cols, data}, y, labels}, in the order they were added. */
  dataset() {
    const rows = [...this.examples.values()];
    const cols = this.dim ?? 0;
    const data = new Float64Array(rows.length * cols);
    rows.forEach((r, i) => data.set(r.features, i * cols));
    return { x: { rows: rows.length, cols, data }, y: Int32Array.from(rows, (r) => this.labels.indexOf(r.label)), labels: [...this.labels] };
  }

  /** The top classes for one feature vector: the trained head's, or KNN over every example before training. */
  predict(features, topK = 3) {
    const x = Float64Array.from(features);
    if (this.head) {
      const p = this.head.predictProba({ rows: 1, cols: x.length, data: x }).data;
      return ranked(Array.from(p), this.head.labels, topK);
    }
    if (!this.examples.size) throw new TrainingError('no examples yet: add some before predicting');
    if (!this._knn) {
      const d = this.dataset();
      this._knn = fitKnn(d.x, d.y, d.labels, this.k);
    }
    return ranked(Array.from(this._knn.predict(x).confidences), this._knn.labels, topK);
  }

  /**
   * Checks the data can be trained on; returns {data, trainIdx, testIdx, head, k, testSplit, options}.
   * @param {TrainOptions} [options]
   */
  prepare(options = {}) {
    const { testSplit = DEFAULT_TEST_SPLIT, k = this.k, ...rest } = options;
    checkTestSplit(testSplit);
    const o = headOptions(rest.head === 'knn' ? { ...rest, head: 'linear' } : rest); // checks the shared fields
    const empty = Object.entries(this.counts()).filter(([, n]) => n === 0).map(([l]) => `'${l}'`);
    if (empty.length) throw new TrainingError(`class ${empty.join(', ')} has no examples`);
    if (this.labels.length < 2) throw new TrainingError(`${this.labels.length} class; training needs at least 2`);
    const data = this.dataset();
    const { trainIdx, testIdx } = stratifiedSplit(data.y, testSplit, o.seed);
    return { data, trainIdx, testIdx, head: rest.head ?? o.head, k: checkK(k), testSplit, options: o };
  }

  /**
   * Train: yields after every batch (`await pause()`), calls onEpochEnd(record) after every epoch and
   * stops with an AbortError when `signal.aborted` (the previous model is kept).
   * @param {TrainOptions} options
   * @param {{onEpochEnd?: (record: object) => void, pause?: () => Promise<void>, signal?: {aborted: boolean}}} [hooks]
   */
  async fit(options = {}, { onEpochEnd, pause = async () => {}, signal = { aborted: false } } = {}) {
    const plan = this.prepare(options);
    const { data, trainIdx, testIdx } = plan;
    const started = Date.now();
    let head;
    let history = [];
    if (plan.head === 'knn') {
      head = knnHead(data, trainIdx, plan.k);
    } else {
      const trainer = new HeadTrainer(data, trainIdx, testIdx, { ...plan.options, head: plan.head });
      while (!trainer.done) {
        if (signal.aborted) {
          throw new DOMException(`training cancelled in epoch ${trainer.epoch + 1}, after batch ${trainer.batch} of `
            + `${trainer.batchesPerEpoch}; the previous model is kept`, 'AbortError');
        }
        const record = trainer.step();
        if (record) onEpochEnd?.(record);
        await pause();
      }
      head = trainer.result();
      history = head.history;
    }
    const pick = (idx) => Int32Array.from(idx, (i) => data.y[i]);
    const testX = rowsOf(data.x, testIdx);
    const predicted = testIdx.length ? argmaxRows(head.predictProba(testX)) : new Int32Array(0);
    this.head = head;
    this.report = {
      kind: plan.head, examples: data.y.length, trainExamples: trainIdx.length, testExamples: testIdx.length,
      testSplit: plan.testSplit, seed: plan.options.seed, options: plan.head === 'knn' ? { k: plan.k } : plan.options,
      history, ms: Date.now() - started,
      ...(testIdx.length ? evaluate(pick(testIdx), predicted, data.labels) : {}),
    };
    return this.report;
  }

  /** Features and labels only (never images): what importDataset takes back. */
  exportDataset() {
    const d = this.dataset();
    return { format: 'edgeward-dataset/1', labels: d.labels, dim: d.x.cols, y: Array.from(d.y), x: Array.from(d.x.data) };
  }

  importDataset(dataset) {
    if (!dataset || dataset.format !== 'edgeward-dataset/1') throw new TrainingError(`not an Edgeward dataset (format ${dataset?.format})`);
    const { labels, dim, x, y } = dataset;
    if (!Array.isArray(labels) || !Number.isInteger(dim) || x.length !== y.length * dim) {
      throw new TrainingError(`dataset: ${y.length} labels and ${x.length} values do not make rows of ${dim}`);
    }
    for (const l of labels) if (!this.labels.includes(l)) this.labels.push(l);
    return y.map((c, i) => this.addExample(x.slice(i * dim, (i + 1) * dim), labels[c]));
  }
}

/** A KNN "head" with the trained head's interface: predictProba over rows. */
function knnHead(data, trainIdx, k) {
  const knn = fitKnn(rowsOf(data.x, trainIdx), Int32Array.from(trainIdx, (i) => data.y[i]), data.labels, k);
  return {
    kind: 'knn', labels: knn.labels, k, knn, history: [],
    predictProba(x) {
      const out = new Float64Array(x.rows * knn.labels.length);
      for (let r = 0; r < x.rows; r++) out.set(knn.predict(x.data.subarray(r * x.cols, (r + 1) * x.cols)).confidences, r * knn.labels.length);
      return { rows: x.rows, cols: knn.labels.length, data: out };
    },
  };
}

function rowsOf(x, idx) {
  const data = new Float64Array(idx.length * x.cols);
  idx.forEach((i, r) => data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), r * x.cols));
  return { rows: idx.length, cols: x.cols, data };
}

function argmaxRows(m) {
  const out = new Int32Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let best = 0;
    for (let c = 1; c < m.cols; c++) if (m.data[r * m.cols + c] > m.data[r * m.cols + best]) best = c;
    out[r] = best;
  }
  return out;
}
