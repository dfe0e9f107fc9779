// A saved package (saved.js) → the trained head a Trainer predicts with, in the worker (handlers.js op
// 'restore'). The package is checked as any package is before use — manifest against the schema,
// every file against its sha256 — and the head's numbers are read from its ONNX file (onnx-reader.js),
// so the package stays the one thing that is saved. Predictions then run through the same JS head as
// before the save (float64 on the saved float32 weights: within ~1e-7 of the unsaved head).
import { TaskError } from '../errors.js';
import { verifyFile } from '../integrity.js';
import { loadSchema, validateManifest } from '../manifest.js';
import { TrainedHead } from './head.js';
import { KnnModel } from './knn.js';
import { headFromOnnx } from './onnx-reader.js';

/**
 * The head of `pkg` ({manifest, files: {path: bytes}}) as a Trainer's `head`: a TrainedHead, or a
 * KNN head with the same predictProba (trainer.js knnHead's shape).
 * @param {{manifest: any, files: Record<string, Uint8Array>}} pkg @param {string} where  named in errors
 */
export async function restoreHead(pkg, where) {
  const manifest = validateManifest(pkg.manifest, await loadSchema(), `${where}: manifest.json`);
  if (manifest.task !== 'features' || !manifest.head) {
    throw new TaskError(`${where}: a package of task '${manifest.task}', not a trained head (task 'features')`);
  }
  const entry = manifest.files.fp32;
  const bytes = pkg.files[entry.path];
  await verifyFile(bytes ?? new Uint8Array(), entry, `${where}: ${entry.path}`);
  const data = headFromOnnx(bytes, /** @type {any} */ (manifest), `${where}: ${entry.path}`);
  if (data.kind === 'knn') {
    const knn = new KnnModel(Float32Array.from(data.examples), Int32Array.from(data.exampleLabels), data.k, data.labels, data.dim);
    const classes = data.labels.length;
    return {
      kind: 'knn', labels: data.labels, k: data.k, knn, history: [],
      predictProba(x) {
        const out = new Float64Array(x.rows * classes);
        for (let r = 0; r < x.rows; r++) out.set(knn.predict(x.data.subarray(r * x.cols, (r + 1) * x.cols)).confidences, r * classes);
        return { rows: x.rows, cols: classes, data: out };
      },
    };
  }
  const t = manifest.training;
  return new TrainedHead({
    kind: data.kind, labels: data.labels, mean: Float64Array.from(data.mean), std: Float64Array.from(data.std),
    layers: data.layers.map((l) => ({ W: { rows: l.rows, cols: l.cols, data: Float64Array.from(l.W) }, b: Float64Array.from(l.b) })),
    history: [], bestEpoch: t?.best_epoch ?? 0, options: /** @type {any} */ (t?.options ?? {}),
  });
}
