// Trained models saved in the browser (trainer.save(name)): IndexedDB database 'edgeward-trained-models'.
//
// Why IndexedDB, not OPFS: a saved model is a few related things (the manifest, the package's files,
// the examples it was trained on, the report), and IndexedDB writes them in one transaction — a save
// is there whole or not at all, never half-written — and lists them through a small summary store
// without reading any bytes. It works the same in the page and in workers, in every browser, and
// stores typed arrays as they are. (OPFS would need a folder per model, several files and our own
// commit marker for the same guarantee.) The examples are features and labels only, never images.
//
// Stores: 'models' (name → summary, what listTrainedModels shows) and 'packages' (name → {manifest,
// files: {path: Uint8Array}, dataset, report, baseUrl}). A save under an existing name replaces it
// (like TF.js's model.save('indexeddb://name')). Every file is verified against the manifest's sha256
// when it is read back (loadTrainedModel); a mismatch is an IntegrityError naming the model and file.
import { IntegrityError, PackageNotFoundError } from '../errors.js';
import { verifyFile } from '../integrity.js';

export const DB_NAME = 'edgeward-trained-models';
const DB_VERSION = 1;
const SUMMARIES = 'models';
const PACKAGES = 'packages';

/**
 * @typedef {{format: string, labels: string[], dim: number, x: Float64Array, y: Int32Array}} SavedDataset
 * @typedef {{name: string, manifest: any, files: Record<string, Uint8Array>, dataset: SavedDataset, report: object | null,
 *   baseUrl: string | null, k: number, savedAt: string}} SavedModel
 * @typedef {{name: string, version: string, kind: string, features: string, labels: string[], base: string | null,
 *   baseUrl: string | null, examples: number, testAccuracy: number | null, bytes: number, savedAt: string}} SavedSummary
 */

/** @param {IDBRequest | IDBTransaction} r @returns {Promise<any>} */
function done(r) {
  return new Promise((resolve, reject) => {
    if ('oncomplete' in r) { // a transaction: settled when committed (or aborted)
      r.oncomplete = () => resolve(undefined);
      r.onabort = () => reject(r.error ?? new DOMException('the transaction was aborted', 'AbortError'));
      r.onerror = () => reject(r.error);
    } else {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    }
  });
}

/** @param {IDBFactory} [idb] @returns {Promise<IDBDatabase>} */
async function open(idb = globalThis.indexedDB) {
  if (!idb) throw new DOMException('IndexedDB is not available here: trained models cannot be saved in this browser', 'NotSupportedError');
  const request = idb.open(DB_NAME, DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains(SUMMARIES)) db.createObjectStore(SUMMARIES, { keyPath: 'name' });
    if (!db.objectStoreNames.contains(PACKAGES)) db.createObjectStore(PACKAGES, { keyPath: 'name' });
  };
  return done(request);
}

/** Run `work(stores)` in one transaction over both stores; resolves its value once committed. */
async function transaction(mode, work) {
  const db = await open();
  try {
    const tx = db.transaction([SUMMARIES, PACKAGES], mode);
    const value = await work(tx.objectStore(SUMMARIES), tx.objectStore(PACKAGES));
    await done(tx);
    return value;
  } finally {
    db.close();
  }
}

/** @param {SavedModel} record @returns {SavedSummary} */
function summarize(record) {
  const { manifest, files, dataset } = record;
  const bytes = Object.values(files).reduce((n, b) => n + b.byteLength, 0) + dataset.x.byteLength + dataset.y.byteLength;
  return {
    name: record.name, version: manifest.version, kind: manifest.head.kind, features: manifest.head.features,
    labels: manifest.labels, base: manifest.base ?? null, baseUrl: record.baseUrl, examples: dataset.y.length,
    testAccuracy: manifest.training?.test_accuracy ?? null, bytes, savedAt: record.savedAt,
  };
}

/**
 * Save (or replace) a trained model: one transaction, so it is there whole or not at all. A full
 * disk is a QuotaExceededError from IndexedDB, and nothing is written.
 * @param {SavedModel} record
 * @returns {Promise<SavedSummary>}
 */
export async function saveTrainedModel(record) {
  const summary = summarize(record);
  await transaction('readwrite', (summaries, packages) => {
    summaries.put(summary);
    packages.put(record);
  });
  return summary;
}

/**
 * The models saved in this browser (this origin), by name: [{name, version, kind, features, labels,
 * base, baseUrl, examples, testAccuracy, bytes, savedAt}].
 * @returns {Promise<SavedSummary[]>}
 */
export async function listTrainedModels() {
  return transaction('readonly', (summaries) => done(summaries.getAll()));
}

/**
 * A saved model with every file verified against its manifest (size and sha256).
 * @param {string} name
 * @returns {Promise<SavedModel>}
 */
export async function loadTrainedModel(name) {
  const record = await transaction('readonly', (_, packages) => done(packages.get(name)));
  if (!record) {
    const saved = (await listTrainedModels()).map((s) => `'${s.name}'`);
    throw new PackageNotFoundError(`no trained model '${name}' is saved in this browser (saved: ${saved.join(', ') || 'none'})`);
  }
  for (const entry of Object.values(record.manifest.files)) {
    const bytes = record.files[/** @type {any} */ (entry).path];
    if (!bytes) throw new IntegrityError(`saved model '${name}': file ${/** @type {any} */ (entry).path} is missing`);
    await verifyFile(bytes, entry, `saved model '${name}': ${/** @type {any} */ (entry).path}`);
  }
  return record;
}

/**
 * Remove a saved model; resolves true when there was one.
 * @param {string} name
 */
export async function deleteTrainedModel(name) {
  return transaction('readwrite', async (summaries, packages) => {
    const found = (await done(summaries.count(name))) > 0;
    summaries.delete(name);
    packages.delete(name);
    return found;
  });
}
