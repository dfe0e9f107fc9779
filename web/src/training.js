// Training in the browser, on the user's own examples, in the worker (the page never blocks):
//
//   const trainer = await createTrainer('/models/efficientnet-lite0/latest/');   // or null: feature vectors
//   await trainer.addExample(videoOrImageOrBlob, 'thumbs up');    // features: the base's embedding
//   await trainer.predict(video);                                  // KNN until trained, then the head
//   const {pose, features, classes} = await trainer.predictPose(video);  // a pose base: skeleton + classes
//   const report = await trainer.train({head: 'mlp', epochs: 10, onEpochEnd: (r) => draw(r)});
//   trainer.cancel();                                              // stops a running train() within one batch
//   const pkg = await trainer.export({name: 'my-model', version: '1.0.0'});  // a model package, made here
//   await trainer.save('my-model');                                // into IndexedDB, with its examples
//   const again = await openTrainedModel('my-model');              // after a reload, offline too
//
// The maths is web/src/train/ (a mirror of src/edgeward/train/: the same data, options and seed give
// the same model as `edgeward train`); the operations are train/handlers.js in the worker.
import * as protocol from './protocol.js';
import { manifestJson } from './train/package.js';
import { publishPackage } from './train/publish.js';
import { loadTrainedModel, saveTrainedModel } from './train/saved.js';
import { tarFolder } from './train/tar.js';
import { env, openWorker, RpcWorker, toFrame } from './worker-client.js';

export { publishPackage, RegistryError } from './train/publish.js';
export { deleteTrainedModel, listTrainedModels } from './train/saved.js';

/**
 * @typedef {object} TrainerOptions
 * @property {string[]} [labels]  class order (default: the order classes are first given)
 * @property {number} [k]         KNN neighbours before training (default 3)
 * @property {number} [dim]       feature length without a base (default: the first example's)
 * @property {string} [workerUrl]
 * (and the load options; `variant` defaults to 'fp32' here: the base's features as Python computes them)
 */

/**
 * A package made in the browser: {manifest, files: {path: Uint8Array}}, plus `archive` (a .tar Blob of the
 * folder NAME-VERSION/ holding manifest.json and the files), `archiveName` and `publish(registryUrl, token)`.
 * @typedef {import('./train/package.js').ExportedPackage & {archive: Blob, archiveName: string,
 *   publish: (registryUrl: string | URL, token: string) => Promise<object>}} TrainedPackage
 */

/** @param {import('./train/package.js').ExportedPackage} pkg @returns {TrainedPackage} */
function withArchive(pkg) {
  const { name, version } = pkg.manifest;
  const folder = `${name}-${version}`;
  const files = { 'manifest.json': new TextEncoder().encode(manifestJson(pkg.manifest)), ...pkg.files };
  const tar = tarFolder(folder, files, { mtime: Math.floor(Date.now() / 1000) });
  return {
    ...pkg, archive: new Blob([/** @type {BlobPart} */ (tar)], { type: 'application/x-tar' }), archiveName: `${folder}.tar`,
    publish: (registryUrl, token) => publishPackage(pkg, registryUrl, token),
  };
}

/** @param {unknown} input */
const isVector = (input) => Array.isArray(input) || (ArrayBuffer.isView(input) && !(input instanceof DataView));

/**
 * A trainer on a base image classifier's embedding (`baseUrl`, a package with postprocess.embedding,
 * e.g. EfficientNet-Lite0), on a pose package's pose features (PoseNet, MoveNet: the best pose of each
 * frame, train/pose-features.js) or, with `baseUrl` null, on feature vectors the caller computes.
 * @param {string | URL | null} baseUrl
 * @param {TrainerOptions & import('./worker-client.js').LoadOptions} [options]
 */
export async function createTrainer(baseUrl = null, options = {}) {
  const { labels = [], k, dim = null, ...loadOptions } = options;
  const savedBaseUrl = baseUrl ? new URL(baseUrl, globalThis.location?.href).href : null; // what save() records
  let rpc;
  let ready = null;
  if (baseUrl) {
    // the base's fp32 unless asked: features as Python's trainers and federated devices compute them
    // (a variant made for the backend, e.g. int8-wasm, would give slightly different ones)
    ({ rpc, ready } = await openWorker(baseUrl, { ...loadOptions, variant: loadOptions.variant ?? 'fp32' }));
  } else {
    rpc = new RpcWorker({ ...env, ...loadOptions }.workerUrl);
  }
  /** @type {number | null} */ let fitting = null; // the id of the running train() request
  const call = async (op, args = {}, transfer = [], onEvent = null) =>
    (await rpc.call((id) => protocol.train(id, op, args), transfer, onEvent)).result;
  /**
   * A feature vector as is, or a frame the worker turns into the base's features (transferred);
   * `mirrored` (pose bases): the frame is a mirror picture of its subject (train/pose-features.js).
   * @param {unknown} source
   * @param {boolean} [mirrored]
   * @returns {Promise<[object, Transferable[]]>}
   */
  const input = async (source, mirrored = false) => {
    const flag = mirrored ? { mirrored: true } : {};
    if (isVector(source)) {
      const features = Float32Array.from(/** @type {ArrayLike<number>} */ (source), Number);
      return [{ features, ...flag }, [features.buffer]];
    }
    const frame = await toFrame(/** @type {any} */ (source));
    return [{ frame, ...flag }, [frame]];
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
    cache: ready?.cache ?? null, // where the base model's bytes came from (as a task handle's `cache`)
    /**
     * Add an example (image / video / frame, or a feature vector); resolves {exampleId, counts}.
     * `{mirrored: true}` on a pose base: the image is a mirror picture (a flipped photo), so its pose
     * counts with the subject's own left and right (as a `NAME.mirrored.png` file does in Python).
     * @param {unknown} source @param {string} label @param {{mirrored?: boolean}} [options]
     */
    async addExample(source, label, { mirrored = false } = {}) {
      const [args, transfer] = await input(source, mirrored);
      return call('add', { ...args, label }, transfer);
    },
    removeExample: (exampleId) => call('remove', { exampleId }),
    /** Examples per class: {label: count}. */
    counts: async () => (await call('counts')).counts,
    /** Rename a class (its examples, and the trained model's name for it); resolves the counts. */
    renameClass: async (from, to) => (await call('renameClass', { from, to })).counts,
    /**
     * Remove a class and its examples; resolves {counts, trained}. A trained model that knows the class
     * is dropped (trained: false): predictions use KNN over the examples until the next train().
     */
    removeClass: (label) => call('removeClass', { label }),
    /** The top classes [{label, class_id, score}]: KNN over the examples before training, the head after. */
    async predict(source, { topK = 3, mirrored = false } = {}) {
      const [args, transfer] = await input(source, mirrored);
      return (await call('predict', { ...args, topK }, transfer)).classes;
    },
    /**
     * A trainer on a pose package: one frame's best pose and its classes in one round trip (a live pose
     * app draws the skeleton and shows the class from the same estimate). Resolves {pose (null: nobody;
     * as estimated, x flipped when `mirrored`), features (Float32Array, null when the pose is not confident
     * enough: `reason` says why), classes ([] without features or without an example / trained head),
     * trained, timings}. addExample(features, label) records that frame as an example.
     * @param {unknown} source @param {{topK?: number, mirrored?: boolean}} [options]
     */
    async predictPose(source, { topK = 3, mirrored = false } = {}) {
      const [args, transfer] = await input(source, mirrored);
      return call('predictPose', { ...args, topK }, transfer);
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
    /**
     * The trained head as a model package made here (task 'features'; `base` NAME@VERSION when trained on
     * a base model's embedding): {manifest, files, archive, archiveName, publish(registryUrl, token)}.
     * @param {import('./train/package.js').ExportOptions} options  {name, version = '1.0.0', data, license}
     * @returns {Promise<TrainedPackage>}
     */
    async export(options) {
      return withArchive(await call('export', { options }));
    },
    /**
     * Save the trained model in this browser (IndexedDB, train/saved.js): its package (export()) and its
     * examples (features and labels, never images). Replaces an earlier save of the same name.
     * Reopen it with openTrainedModel(name); list with listTrainedModels(); remove with deleteTrainedModel(name).
     * @param {string} name  a package name: lowercase letters, digits, '.', '_', '-'
     * @param {{version?: string}} [options]
     */
    async save(name, { version } = {}) {
      const pkg = await call('export', { options: { name, version } });
      const dataset = await call('exportDataset');
      return saveTrainedModel({
        name, manifest: pkg.manifest, files: pkg.files, report: await call('evaluate'), baseUrl: savedBaseUrl, k: k ?? null,
        dataset: { ...dataset, x: Float64Array.from(dataset.x), y: Int32Array.from(dataset.y) }, savedAt: new Date().toISOString(),
      });
    },
    /**
     * Predict with the head of `pkg` ({manifest, files}: a package export() made, or a saved one),
     * checked first (schema, sha256); `report` is what evaluate() then returns.
     */
    restore: (pkg, report = null, where = `package ${pkg?.manifest?.name}`) =>
      call('restore', { package: { manifest: pkg.manifest, files: pkg.files }, report, where }),
    dispose() {
      rpc.terminate();
    },
  };
}

/**
 * Reopen a model saved with trainer.save(name) — after a reload, offline too: a trainer on the same
 * base (or on feature vectors) holding the saved examples, predicting with the saved head (its files
 * verified by sha256 first). Train it again to improve it, save() again to keep that.
 * @param {string} name
 * @param {TrainerOptions & import('./worker-client.js').LoadOptions} [options]  e.g. {workerUrl}
 */
export async function openTrainedModel(name, options = {}) {
  const record = await loadTrainedModel(name);
  const { manifest, dataset } = record;
  const trainer = await createTrainer(record.baseUrl, { ...options, labels: manifest.labels, k: record.k ?? undefined });
  try {
    await trainer.importDataset({ ...dataset, y: Array.from(dataset.y) });
    await trainer.restore(record, record.report, `saved model '${name}'`);
  } catch (err) {
    trainer.dispose();
    throw err;
  }
  return trainer;
}
createTrainer.open = openTrainedModel;
