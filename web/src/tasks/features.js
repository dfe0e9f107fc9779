// Feature classification: an exact mirror of src/edgeward/tasks/features.py.
// A 'features' package is a trained head alone: input manifest.head.input float32 [N, head.dim],
// output manifest.head.output float32 [N, classes]; the ranking is classification's own topK.

import { ManifestError } from '../errors.js';
import { topK } from './classify.js';
import { output } from './outputs.js';

/** Python: FeaturesOptions. */
export const DEFAULT_FEATURES_OPTIONS = Object.freeze({ topK: 5 });

export function normalizeFeaturesOptions(options = {}) {
  const o = { ...DEFAULT_FEATURES_OPTIONS, ...options };
  if (!Number.isInteger(o.topK) || o.topK < 1) throw new RangeError(`topK must be an integer >= 1, got ${o.topK}`);
  return o;
}

/**
 * `head`: manifest.head; `outputs`: {name: {data, dims}}; `labels`: manifest.labels.
 * Returns {classes}: the topK classes of one feature vector, best first.
 */
export function decodeFeatures(head, outputs, labels, options = {}) {
  if (!head) throw new ManifestError("task 'features' needs manifest field 'head'");
  const o = normalizeFeaturesOptions(options);
  return { classes: topK(output(outputs, head.output, 'head.output').data, labels, o.topK) };
}
