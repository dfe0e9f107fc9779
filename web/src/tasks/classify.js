// Image classification: an exact mirror of src/edgeward/tasks/classify.py.
// Results: [{label, class_id, score}] best first; equal scores keep class-id order. Scores are the
// graph's own float32 probabilities (softmax is inside the ONNX graph).

import { ManifestError } from '../errors.js';
import { output } from './outputs.js';

/** Python: ClassifyOptions. */
export const DEFAULT_CLASSIFY_OPTIONS = Object.freeze({ topK: 5, embedding: false });

export function normalizeClassifyOptions(options = {}) {
  const o = { ...DEFAULT_CLASSIFY_OPTIONS, ...options };
  if (!Number.isInteger(o.topK) || o.topK < 1) throw new RangeError(`topK must be an integer >= 1, got ${o.topK}`);
  if (typeof o.embedding !== 'boolean') throw new RangeError(`embedding must be true or false, got ${o.embedding}`);
  return o;
}

/** The `k` best classes of a score vector (a Float32Array): score descending, ties by class id. */
export function topK(scores, labels, k) {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`topK must be an integer >= 1, got ${k}`);
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => (scores[b] - scores[a]) || (a - b));
  return order.slice(0, k).map((i) => ({
    label: labels && i < labels.length ? labels[i] : String(i), class_id: i, score: scores[i],
  }));
}

/**
 * `post`: manifest.postprocess (kind 'classify'); `outputs`: {name: {data, dims}}; `labels`: manifest.labels.
 * Returns {classes} and, with options.embedding, {embedding: Float32Array} (a copy the caller owns).
 */
export function decodeClassification(post, outputs, labels, options = {}) {
  if (post?.kind !== 'classify') throw new ManifestError(`postprocess kind '${post?.kind}' is not a classifier`);
  const o = normalizeClassifyOptions(options);
  const out = output(outputs, post.output, 'postprocess.output');
  const result = { classes: topK(out.data, labels, o.topK) };
  if (o.embedding) {
    if (!post.embedding || !outputs[post.embedding]) {
      throw new ManifestError('the package has no embedding output (postprocess.embedding)');
    }
    result.embedding = Float32Array.from(outputs[post.embedding].data);
  }
  return result;
}
