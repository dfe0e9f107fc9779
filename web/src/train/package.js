// A model trained in the browser → a model package, as `edgeward train` writes one
// (src/edgeward/train/export.py export_features): task 'features', files.fp32 the head graph
// (onnx-writer.js), the manifest's `base` (NAME@VERSION of the base classifier or pose package, if
// any), `head` (kind, features, dim, k / hidden) and `training` (the report in the manifest's
// snake_case fields, with data_sha256 computed as Python's data_hash). Runs in the worker
// (handlers.js op 'export'); the manifest is validated against manifest.schema.json before it is
// returned, so a bad name or version is a ManifestError naming the field.
import { TrainingError } from '../errors.js';
import { sha256Hex } from '../integrity.js';
import { loadSchema, validateManifest } from '../manifest.js';
import { headGraph, INPUT, OUTPUT } from './onnx-writer.js';

/** The Python package's version (pyproject.toml), recorded in `training.trainer` and `provenance.converter`. */
export const EDGEWARD_VERSION = '0.1.0';
export const HEAD_FILE = 'model.fp32.onnx';
export const DEFAULT_VERSION = '1.0.0';

/**
 * @typedef {{name: string, version?: string, data?: string, license?: string, features?: 'embedding' | 'pose' | 'raw'}} ExportOptions
 * @typedef {{manifest: import('../manifest.js').Manifest, files: Record<string, Uint8Array>}} ExportedPackage
 * @typedef {{x: {rows: number, cols: number, data: ArrayLike<number>}, y: ArrayLike<number>, labels: string[]}} Dataset
 */

const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const snakeKeys = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [snake(k), v]));

/**
 * sha256 (hex) of `edgeward-data/1 {n} {d}\n`, x as little-endian float64 (row-major), y as
 * little-endian int32, the labels as compact JSON (UTF-8): src/edgeward/train/data.py data_hash.
 * @param {Dataset} dataset
 */
export async function dataHash({ x, y, labels }) {
  const header = new TextEncoder().encode(`edgeward-data/1 ${x.rows} ${x.cols}\n`);
  const names = new TextEncoder().encode(JSON.stringify(labels));
  const bytes = new Uint8Array(header.length + x.data.length * 8 + y.length * 4 + names.length);
  const view = new DataView(bytes.buffer);
  bytes.set(header);
  let at = header.length;
  for (let i = 0; i < x.data.length; i++, at += 8) view.setFloat64(at, x.data[i], true);
  for (let i = 0; i < y.length; i++, at += 4) view.setInt32(at, y[i], true);
  bytes.set(names, at);
  return sha256Hex(bytes);
}

/**
 * The trainer's report (camelCase, trainer.js fit) as the manifest's TrainingReport (manifest.py).
 * @param {any} report @param {any} head  headData @param {Dataset} dataset @param {string} data
 */
export async function trainingReport(report, head, dataset, data) {
  const classes = dataset.labels.length;
  const counts = new Array(classes).fill(0);
  for (const c of Array.from(dataset.y)) counts[c] += 1;
  const scored = report.perClass !== undefined; // absent when nothing was held out
  return {
    data, data_sha256: await dataHash(dataset), examples: report.examples, train: report.trainExamples,
    test: report.testExamples, class_counts: counts, test_split: report.testSplit, seed: report.seed,
    options: head.kind === 'knn' ? { head: 'knn', k: report.options.k } : snakeKeys(report.options),
    history: report.history.map(snakeKeys), best_epoch: head.kind === 'knn' ? null : head.bestEpoch,
    test_accuracy: report.accuracy ?? null,
    per_class_accuracy: Object.fromEntries(dataset.labels.map((l, c) => [l, scored ? report.perClass[c].accuracy : null])),
    confusion: scored ? report.confusion : Array.from({ length: classes }, () => new Array(classes).fill(0)),
    trainer: `edgeward ${EDGEWARD_VERSION} (browser)`,
  };
}

/** What a base package's output gives a head: its embedding, pose features, or (no base) raw numbers. */
function featuresOf(base) {
  if (!base) return 'raw';
  return base.task === 'pose' ? 'pose' : 'embedding';
}

/**
 * The trained head as a package: {manifest, files: {'model.fp32.onnx': bytes}}.
 * @param {{head: any, report: any, dataset: Dataset, base: import('../manifest.js').Manifest | null}} trained
 *   head: handlers.js headData; report: the last fit's; dataset: the examples it was trained on; base: the base package's manifest
 * @param {ExportOptions} options
 * @returns {Promise<ExportedPackage>}
 */
export async function exportPackage({ head, report, dataset, base }, { name, version = DEFAULT_VERSION, data, license = 'unknown', features } = { name: '' }) {
  if (!head || !report) throw new TrainingError('nothing trained yet: train() before export() or save()');
  if (report.examples !== dataset.y.length) {
    throw new TrainingError(`the examples changed since train() (${report.examples} then, ${dataset.y.length} now): train again before exporting`);
  }
  const onnx = headGraph(head);
  const kind = head.kind;
  const dim = kind === 'knn' ? head.dim : head.mean.length;
  const what = features ?? featuresOf(base);
  const baseSpec = base ? `${base.name}@${base.version}` : null;
  const source = data ?? `browser trainer: ${dataset.y.length} examples${baseSpec ? ` (${baseSpec} ${what})` : ''}`;
  const manifest = {
    schema_version: 1, name, version, task: 'features',
    files: { fp32: { path: HEAD_FILE, sha256: await sha256Hex(onnx), bytes: onnx.length } },
    inputs: [{ name: INPUT, dtype: 'float32', shape: [null, dim], layout: null }],
    outputs: [{ name: OUTPUT, dtype: 'float32', shape: [null, head.labels.length], layout: null }],
    preprocess: null, postprocess: null, labels: [...head.labels],
    provenance: { source: `edgeward browser trainer: ${source}`, converter: `edgeward ${EDGEWARD_VERSION} (browser trainer)`,
      parity_max_abs_diff: {}, parity_images: [], parity_cases: [] },
    license,
    ...(baseSpec ? { base: baseSpec } : {}),
    head: { kind, features: what, dim, input: INPUT, output: OUTPUT, k: kind === 'knn' ? head.k : null,
      hidden: kind === 'mlp' ? head.layers[0].cols : null, standardized: kind !== 'knn' },
    training: await trainingReport(report, head, dataset, source),
  };
  validateManifest(manifest, await loadSchema(), `export ${name}@${version}: manifest.json`);
  return { manifest: /** @type {any} */ (manifest), files: { [HEAD_FILE]: onnx } };
}

/** The package's manifest.json text (as Python's Manifest.to_json: 2-space indent, a final newline). */
export const manifestJson = (manifest) => `${JSON.stringify(manifest, null, 2)}\n`;
