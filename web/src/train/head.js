// Linear and MLP heads trained by mini-batch gradient descent: an exact mirror of
// src/edgeward/train/head.py — its docstring gives the order of the random draws (Glorot init layer by
// layer, W row-major; per epoch one Fisher–Yates shuffle of the training indices; per batch, with
// dropout, one [batch, units] mask per hidden layer, kept when u >= dropout). float64 throughout.
// History: the training figures are each epoch's running means over its batches, the held-out split
// is scored after the epoch (head.py's docstring says why).
import { TrainingError } from '../errors.js';
import { forward, lossAndGrads, scores, softmax } from './backprop.js';
import { sumRows } from './ops.js';
import { Adam, Sgd } from './optim.js';
import { headOptions } from './options.js';
import { Rng } from './prng.js';

/** @typedef {import('./ops.js').Mat} Mat */
/** @typedef {import('./backprop.js').Layer} Layer */
/** @typedef {import('./options.js').HeadOptions} HeadOptions */
/**
 * @typedef {{epoch: number, trainLoss: number, trainAccuracy: number, testLoss: number | null,
 *   testAccuracy: number | null}} EpochRecord
 * @typedef {{x: {rows: number, cols: number, data: ArrayLike<number>}, y: ArrayLike<number>, labels: string[]}} Data
 */

/** A trained head; `predictProba(x)` standardises, runs the layers and applies softmax. */
export class TrainedHead {
  /**
   * @param {{kind: string, labels: string[], mean: Float64Array, std: Float64Array, layers: Layer[],
   *   history: EpochRecord[], bestEpoch: number, options: HeadOptions}} fields
   */
  constructor({ kind, labels, mean, std, layers, history, bestEpoch, options }) {
    this.kind = kind;
    this.labels = labels;
    this.mean = mean;
    this.std = std;
    this.layers = layers;
    this.history = history;
    this.bestEpoch = bestEpoch;
    this.options = options;
  }

  /**
   * Class probabilities [m, classes] for raw features x [m, d].
   * @param {{rows: number, cols: number, data: ArrayLike<number>}} x
   * @returns {Mat}
   */
  predictProba(x) {
    if (x.cols !== this.mean.length) {
      throw new TrainingError(`features have length ${x.cols}; this head takes ${this.mean.length}`);
    }
    return softmax(forward(this.layers, standardize(x, this.mean, this.std)).logits);
  }
}

/**
 * {mean, std} per feature over the rows of x, summed in row order; std 1 where x is constant.
 * @param {Mat} x
 */
export function standardizer(x) {
  const n = x.rows;
  const d = x.cols;
  const mean = sumRows(x).map((s) => s / n);
  const sq = new Float64Array(x.data.length);
  for (let i = 0; i < sq.length; i++) {
    const diff = x.data[i] - mean[i % d];
    sq[i] = diff * diff;
  }
  const std = sumRows({ rows: n, cols: d, data: sq }).map((s) => Math.sqrt(s / n));
  for (let j = 0; j < d; j++) {
    let constant = true;
    for (let i = 1; i < n && constant; i++) constant = x.data[i * d + j] === x.data[j];
    if (constant) std[j] = 1.0;
  }
  return { mean, std };
}

/**
 * (x - mean) / std as a float64 Mat.
 * @param {{rows: number, cols: number, data: ArrayLike<number>}} x @param {Float64Array} mean @param {Float64Array} std
 * @returns {Mat}
 */
export function standardize(x, mean, std) {
  const data = new Float64Array(x.rows * x.cols);
  for (let i = 0; i < data.length; i++) data[i] = (x.data[i] - mean[i % x.cols]) / std[i % x.cols];
  return { rows: x.rows, cols: x.cols, data };
}

/**
 * Glorot-uniform layers for sizes [in, hidden…, out]: W[i, j] = (2u - 1) * sqrt(6 / (in + out)), row-major.
 * @param {Rng} rng @param {number[]} sizes
 * @returns {Layer[]}
 */
export function glorot(rng, sizes) {
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [nIn, nOut] = [sizes[l], sizes[l + 1]];
    const limit = Math.sqrt(6.0 / (nIn + nOut));
    const data = new Float64Array(nIn * nOut);
    for (let i = 0; i < data.length; i++) data[i] = (2.0 * rng.uniform() - 1.0) * limit;
    layers.push({ W: { rows: nIn, cols: nOut, data }, b: new Float64Array(nOut) });
  }
  return layers;
}

/**
 * The rows `idx` of x.
 * @param {Mat} x @param {ArrayLike<number>} idx
 * @returns {Mat}
 */
export function takeRows(x, idx) {
  const out = { rows: idx.length, cols: x.cols, data: new Float64Array(idx.length * x.cols) };
  for (let r = 0; r < idx.length; r++) out.data.set(x.data.subarray(idx[r] * x.cols, (idx[r] + 1) * x.cols), r * x.cols);
  return out;
}

/** @param {ArrayLike<number>} y @param {ArrayLike<number>} idx */
const take = (y, idx) => Int32Array.from(idx, (i) => y[i]);

/** @param {Data} data */
function checkData(data) {
  const { x, y, labels } = data;
  if (x.data.length !== x.rows * x.cols || y.length !== x.rows) {
    throw new TrainingError(`${x.rows}×${x.cols} features hold ${x.data.length} values for ${y.length} labels`);
  }
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i])) {
      throw new TrainingError(`example ${Math.floor(i / x.cols)}, feature ${i % x.cols} is ${x.data[i]} (features must be finite)`);
    }
  }
  if (labels.length < 2) throw new TrainingError(`${labels.length} class (${labels}); training needs at least 2`);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isInteger(y[i]) || y[i] < 0 || y[i] >= labels.length) {
      throw new TrainingError(`example ${i} has class ${y[i]}, outside 0..${labels.length - 1}`);
    }
  }
}

/** One batch per `step()`, so the worker can report and cancel between batches; trainHead runs it to the end. */
export class HeadTrainer {
  /**
   * @param {Data} data @param {ArrayLike<number>} trainIdx @param {ArrayLike<number>} testIdx
   * @param {Partial<HeadOptions>} [options]
   */
  constructor(data, trainIdx, testIdx, options = {}) {
    this.options = headOptions(options);
    checkData(data);
    this.labels = [...data.labels];
    this.trainIdx = Int32Array.from(trainIdx);
    this.testIdx = Int32Array.from(testIdx);
    if (!this.trainIdx.length) throw new TrainingError('the training split is empty');
    if (this.options.patience !== null && !this.testIdx.length) {
      throw new TrainingError('early stopping (patience) needs a held-out split; testSplit is 0');
    }
    const x = { rows: data.x.rows, cols: data.x.cols, data: Float64Array.from(data.x.data) };
    const { mean, std } = standardizer(takeRows(x, this.trainIdx));
    this.mean = mean;
    this.std = std;
    this.x = standardize(x, mean, std);
    this.y = Int32Array.from(data.y);
    const o = this.options;
    this.rng = new Rng(o.seed);
    this.layers = glorot(this.rng, [x.cols, ...(o.head === 'mlp' ? [o.hidden] : []), this.labels.length]);
    this.optimizer = o.optimizer === 'adam' ? new Adam(this.layers, o.learningRate) : new Sgd(this.layers, o.learningRate, o.momentum);
    /** @type {EpochRecord[]} */ this.history = [];
    this.epoch = 0; // epochs completed
    this.batch = 0; // batches done in the current epoch
    this.order = this.trainIdx;
    /** @type {{loss: number, epoch: number, layers: Layer[]} | null} */ this.best = null;
    this.lossSum = 0; // the running epoch's training loss × examples, and its hits
    this.correct = 0;
    this.done = false;
  }

  get batchesPerEpoch() {
    return Math.ceil(this.trainIdx.length / this.options.batchSize);
  }

  /** Train on the next batch; at the end of an epoch, score it and return its record (else null). */
  step() {
    if (this.done) throw new TrainingError('training has finished; call result()');
    const o = this.options;
    if (this.batch === 0) {
      this.order = Int32Array.from(this.rng.shuffle(this.trainIdx.length), (p) => this.trainIdx[p]);
      this.lossSum = 0;
      this.correct = 0;
    }
    const idx = this.order.subarray(this.batch * o.batchSize, (this.batch + 1) * o.batchSize);
    let masks = null;
    if (o.dropout > 0) {
      const keep = 1.0 / (1.0 - o.dropout);
      masks = this.layers.slice(0, -1).map(({ W }) => {
        const data = new Float64Array(idx.length * W.cols);
        for (let i = 0; i < data.length; i++) data[i] = this.rng.uniform() >= o.dropout ? keep : 0.0;
        return { rows: idx.length, cols: W.cols, data };
      });
    }
    const { loss, correct, grads } = lossAndGrads(this.layers, takeRows(this.x, idx), take(this.y, idx), masks);
    this.lossSum += loss * idx.length; // in batch order, as Python adds it
    this.correct += correct;
    this.optimizer.step(this.layers, grads);
    this.batch += 1;
    return this.batch < this.batchesPerEpoch ? null : this.endEpoch();
  }

  /** @returns {EpochRecord} */
  endEpoch() {
    this.batch = 0;
    this.epoch += 1;
    const n = this.trainIdx.length;
    const train = { loss: this.lossSum / n, accuracy: this.correct / n }; // the epoch's running means
    const test = this.testIdx.length ? scores(this.layers, takeRows(this.x, this.testIdx), take(this.y, this.testIdx)) : null;
    const record = { epoch: this.epoch, trainLoss: train.loss, trainAccuracy: train.accuracy,
      testLoss: test ? test.loss : null, testAccuracy: test ? test.accuracy : null };
    this.history.push(record);
    const { patience } = this.options;
    if (patience !== null) {
      const loss = /** @type {number} */ (record.testLoss); // a held-out split is checked in the constructor
      if (this.best === null || loss < this.best.loss) {
        this.best = { loss, epoch: this.epoch, layers: copyLayers(this.layers) };
      } else if (this.epoch - this.best.epoch >= patience) {
        this.done = true;
      }
    }
    if (this.epoch === this.options.epochs) this.done = true;
    return record;
  }

  /** The trained head (the best epoch's weights under early stopping). */
  result() {
    const [bestEpoch, layers] = this.best ? [this.best.epoch, this.best.layers] : [this.epoch, this.layers];
    return new TrainedHead({ kind: this.options.head, labels: [...this.labels], mean: this.mean.slice(), std: this.std.slice(),
      layers: copyLayers(layers), history: [...this.history], bestEpoch, options: this.options });
  }
}

/** @param {Layer[]} layers @returns {Layer[]} */
const copyLayers = (layers) => layers.map(({ W, b }) => ({ W: { ...W, data: W.data.slice() }, b: b.slice() }));

/**
 * Train a linear or MLP head on rows `trainIdx` of `data`, scoring rows `testIdx` after every epoch.
 * @param {Data} data @param {ArrayLike<number>} trainIdx @param {ArrayLike<number>} testIdx
 * @param {Partial<HeadOptions>} [options] @param {(record: EpochRecord) => void} [onEpochEnd]
 * @returns {TrainedHead}
 */
export function trainHead(data, trainIdx, testIdx, options = {}, onEpochEnd = undefined) {
  const trainer = new HeadTrainer(data, trainIdx, testIdx, options);
  while (!trainer.done) {
    const record = trainer.step();
    if (record && onEpochEnd) onEpochEnd(record);
  }
  return trainer.result();
}
