// A head's layers ⇄ the flat parameter vector updates carry: an exact mirror of
// src/edgeward/federated/params.py and protocol.param_shapes. The order is per layer W [in, out]
// row-major, then b [out] — the order of the trainer's layers and of the payload's float32s.
import { FederatedError } from '../errors.js';
import { headFromOnnx } from '../train/onnx-reader.js';

/** @typedef {import('../train/backprop.js').Layer} Layer */
/**
 * A task's head (protocol.FederatedHead, snake_case as on the wire).
 * @typedef {{kind: 'linear' | 'mlp', features?: string, dim: number, hidden?: number | null, labels: string[],
 *   mean?: number[] | null, std?: number[] | null}} FederatedHead
 */

/** @param {FederatedHead} head @returns {number[]} [dim, hidden?, classes] */
export function layerSizes(head) {
  return [head.dim, ...(head.hidden !== null && head.hidden !== undefined ? [head.hidden] : []), head.labels.length];
}

/**
 * Shapes of the vector's parts in payload order: per layer [in, out] then [out].
 * @param {FederatedHead} head @returns {number[][]}
 */
export function paramShapes(head) {
  const sizes = layerSizes(head);
  const shapes = [];
  for (let l = 0; l + 1 < sizes.length; l++) shapes.push([sizes[l], sizes[l + 1]], [sizes[l + 1]]);
  return shapes;
}

/** P: how many float32 numbers one update carries. @param {FederatedHead} head */
export function paramCount(head) {
  return paramShapes(head).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}

/**
 * [{W, b}, …] → one float32 vector, W row-major then b, layer by layer.
 * @param {Layer[]} layers @returns {Float32Array}
 */
export function flatten(layers) {
  const out = new Float32Array(layers.reduce((n, { W, b }) => n + W.data.length + b.length, 0));
  let at = 0;
  for (const { W, b } of layers) {
    out.set(W.data, at); // Float32Array.set rounds each float64 to the nearest float32, as numpy's astype
    at += W.data.length;
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/**
 * The vector as float64 layers [{W [in, out], b [out]}, …] for `head` (a copy).
 * @param {ArrayLike<number>} vector @param {FederatedHead} head @returns {Layer[]}
 */
export function unflatten(vector, head) {
  const p = paramCount(head);
  if (vector.length !== p) throw new FederatedError(`parameter vector of shape [${vector.length}]; this head has [${p}]`);
  const sizes = layerSizes(head);
  const layers = [];
  let at = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [nIn, nOut] = [sizes[l], sizes[l + 1]];
    const W = { rows: nIn, cols: nOut, data: Float64Array.from({ length: nIn * nOut }, (_, i) => vector[at + i]) };
    at += nIn * nOut;
    const b = Float64Array.from({ length: nOut }, (_, i) => vector[at + i]);
    at += nOut;
    layers.push({ W, b });
  }
  return layers;
}

/**
 * A federated version's parameters (float32 [P]) from its package: the head graph's W{i} / b{i}
 * initializers (onnx-reader.js), after checking the package's head is the task's (local.py read_params).
 * @param {any} manifest  the validated manifest @param {Uint8Array} onnx  files.fp32's verified bytes
 * @param {FederatedHead} head  the task's @param {string} where  named in errors
 * @returns {Float32Array}
 */
export function paramsFromPackage(manifest, onnx, head, where) {
  const mh = manifest.head;
  const labels = manifest.labels ?? [];
  if (!mh || mh.kind !== head.kind || mh.dim !== head.dim || labels.join('\u0000') !== head.labels.join('\u0000')) {
    throw new FederatedError(`${where}: the package's head (${mh?.kind}, dim ${mh?.dim}, labels [${labels}]) is not `
      + `the task's (${head.kind}, dim ${head.dim}, [${head.labels}])`);
  }
  const data = /** @type {import('../train/onnx-writer.js').DenseHeadData} */ (headFromOnnx(onnx, manifest, where));
  const layers = data.layers.map((l) => ({ W: { rows: l.rows, cols: l.cols, data: Float64Array.from(l.W) }, b: Float64Array.from(l.b) }));
  const params = flatten(layers);
  if (params.length !== paramCount(head)) {
    throw new FederatedError(`${where}: the head graph holds ${params.length} parameters; the task's head has ${paramCount(head)}`);
  }
  return params;
}
