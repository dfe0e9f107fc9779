// Reading named model outputs for a decoder: an exact mirror of src/edgeward/tasks/outputs.py.
// A missing or misshapen output is the manifest's fault (it names the output).

import { ManifestError } from '../errors.js';

/**
 * @typedef {{data: ArrayLike<number>, dims: readonly number[]}} Output
 * @typedef {Record<string, Output>} Outputs
 */

/** The output `name` that manifest field `field` points at. @param {Outputs} outputs @param {string} name @param {string} field */
export function output(outputs, name, field) {
  const t = outputs[name];
  if (!t) throw new ManifestError(`model output '${name}' (${field}) is missing`);
  return t;
}

/** A [1, H, W, C] output as one image's {data, h, w, c}. @param {Outputs} outputs @param {string} name @param {string} field */
export function hwc(outputs, name, field) {
  const t = output(outputs, name, field);
  const d = t.dims;
  if (d.length !== 4 || d[0] !== 1) throw new ManifestError(`model output '${name}' has shape [${d}], expected [1, H, W, C]`);
  return { data: t.data, h: d[1], w: d[2], c: d[3] };
}
