// Training in the browser, on the user's own examples, in the worker (the page never blocks):
//
//   const trainer = await createTrainer('/models/efficientnet-lite0/latest/');   // or null: feature vectors
//   await trainer.addExample(videoOrImageOrBlob, 'thumbs up');    // features: the base's embedding
//   await trainer.predict(video);                                  // KNN until trained, then the head
//   const report = await trainer.train({head: 'mlp', epochs: 10, onEpochEnd: (r) => draw(r)});
//   trainer.cancel();                                              // stops a running train() within one batch
//
// The maths is web/src/train/ (a mirror of src/edgeward/train/: the same data, options and seed give
// the same model as `edgeward train`); the operations are train/handlers.js in the worker.
import * as protocol from './protocol.js';
import { env, openWorker, RpcWorker, toFrame } from './worker-client.js';

/**
 * @typedef {object} TrainerOptions
 * @property {string[]} [labels]  class order (default: the order classes are first given)
 * @property {number} [k]         KNN neighbours before training (default 3)
 * @property {number} [dim]       feature length without a base (default: the first example's)
 * @property {string} [workerUrl]
 */

/** @param {unknown} input */
const isVector = (input) => Array.isArray(input) || (ArrayBuffer.isView(input) && !(input instanceof DataView));

/**
 * A trainer on a base image classifier's embedding (`baseUrl`, a package with postprocess.embedding,
 * e.g. EfficientNet-Lite0) or, with `baseUrl` null, on feature vectors the caller computes.
 * @param {string | URL | null} baseUrl
 * @param {TrainerOptions & import('./worker-client.js').LoadOptions} [options]
 */
export async function createTrainer(baseUrl = null, options = {}) {
  const { labels = [], k, dim = null, ...loadOptions } = options;
  let rpc;
  let ready = null;
  if (baseUrl) {
    ({ rpc, ready } = await openWorker(baseUrl, loadOptions));
  } else {
    rpc = new RpcWorker({ ...env, ...loadOptions }.workerUrl);
  }
  /** @type {number | null} */ let fitting = null; // the id of the running train() request
  const call = async (op, args = {}, transfer = [], onEvent = null) =>
    (await rpc.call((id) => protocol.train(id, op, args), transfer, onEvent)).result;
  /**
   * A feature vector as is, or a frame the worker turns into the base's embedding (transferred).
   * @param {unknown} source
   * @returns {Promise<[object, Transferable[]]>}
   */
  const input = async (source) => {
    if (isVector(source)) {
      const features = Float32Array.from(/** @type {ArrayLike<number>} */ (source), Number);
      return [{ features }, [features.buffer]];
    }
    const frame = await toFrame(/** @type {any} */ (source));
    return [{ frame }, [frame]];
  };
  try {
    await call('init', { labels, k, dim });
  } catch (err) {
    rpc.terminate();
    throw err;
  }
  return {
    manifest: ready?.manifest ?? null,
    backend: ready?.backend ?? null,
    /** Add an example (image / video / frame, or a feature vector); resolves {exampleId, counts}. */
    async addExample(source, label) {
      const [args, transfer] = await input(source);
      return call('add', { ...args, label }, transfer);
    },
    removeExample: (exampleId) => call('remove', { exampleId }),
    /** Examples per class: {label: count}. */
    counts: async () => (await call('counts')).counts,
    /** The top classes [{label, class_id, score}]: KNN over the examples before training, the head after. */
    async predict(source, { topK = 3 } = {}) {
      const [args, transfer] = await input(source);
      return (await call('predict', { ...args, topK }, transfer)).classes;
    },
    /**
     * Train on the examples: {head: 'knn' | 'linear' | 'mlp', epochs, batchSize, learningRate, optimizer,
     * hidden, dropout, seed, patience, testSplit, k, onEpochEnd(record)}. Resolves the report; rejects
     * with an AbortError after cancel() (the previous model stays).
     * @param {Record<string, unknown> & {onEpochEnd?: (record: object) => void}} [options]
     */
    async train({ onEpochEnd, ...trainOptions } = {}) {
      if (fitting !== null) throw new Error('a training run is already in progress');
      fitting = rpc.peekId();
      try {
        return await call('fit', { options: trainOptions }, [], (m) => onEpochEnd?.(m.record));
      } finally {
        fitting = null;
      }
    },
    /** Stop a running train() between two batches. */
    cancel() {
      if (fitting !== null) rpc.send(protocol.cancel(fitting));
    },
    /** The last train()'s report: accuracy, perClass, confusion on the held-out split, history. */
    evaluate: () => call('evaluate'),
    /** The trained head as plain numbers ({kind, labels, mean, std, layers} or KNN examples), or null. */
    model: () => call('model'),
    /** Features and labels only, never images. */
    exportDataset: () => call('exportDataset'),
    importDataset: (dataset) => call('importDataset', { dataset }),
    dispose() {
      rpc.terminate();
    },
  };
}
