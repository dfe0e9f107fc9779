// The other way round from onnx-writer.js: a saved head's ONNX file → the head as plain numbers, so
// a trainer reopened from the browser's storage (saved.js) predicts with the saved weights in the
// worker. Reads the graphs onnx_graphs.py / onnx-writer.js write (initializers by name; raw_data,
// float_data or int64_data), checks their ops and shapes against the manifest's `head`, and names
// the file and tensor in every error.
import { ManifestError, ModelFormatError } from '../errors.js';
import { ELEM_TYPE, INPUT, OUTPUT } from './onnx-writer.js';
import { readFields, repeatedInts, text } from './protobuf.js';

const DENSE_OPS = new Set(['Sub', 'Div', 'MatMul', 'Add', 'Relu', 'Softmax']);
const KNN_OPS = new Set(['Mul', 'ReduceSum', 'Sqrt', 'Greater', 'Where', 'Div', 'MatMul', 'TopK', 'Gather', 'OneHot']);

/**
 * @typedef {{dims: number[], dtype: 'float32' | 'int64', values: Float32Array | BigInt64Array}} Tensor
 * @typedef {{name: string, ops: string[], inputs: string[], outputs: string[], initializers: Map<string, Tensor>}} Graph
 */

/** @param {ReturnType<typeof readFields>} fields @param {number} field */
const all = (fields, field) => fields.filter((f) => f.field === field).map((f) => /** @type {Uint8Array} */ (f.value));
/** @param {ReturnType<typeof readFields>} fields @param {number} field */
const one = (fields, field) => all(fields, field)[0];

/** A TensorProto → {dims, dtype, values} (a copy, aligned). @param {Uint8Array} bytes @param {string} where */
function readTensor(bytes, where) {
  const f = readFields(bytes, where);
  const dims = repeatedInts(f, 1);
  const type = Number(f.find((x) => x.field === 2)?.value ?? 0);
  const name = text(one(f, 8) ?? new Uint8Array());
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = one(f, 9);
  const at = `${where}: initializer '${name}'`;
  if (type !== ELEM_TYPE.float32 && type !== ELEM_TYPE.int64) throw new ModelFormatError(`${at} has data type ${type}, not float32 or int64`);
  const dtype = type === ELEM_TYPE.int64 ? 'int64' : 'float32';
  let values;
  if (raw) {
    const size = dtype === 'int64' ? 8 : 4;
    if (raw.length !== count * size) throw new ModelFormatError(`${at}: ${raw.length} bytes for dims [${dims}]`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    values = dtype === 'int64' ? new BigInt64Array(count) : new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = dtype === 'int64' ? view.getBigInt64(i * 8, true) : view.getFloat32(i * 4, true);
  } else if (dtype === 'int64') {
    values = BigInt64Array.from(repeatedInts(f, 7), BigInt);
  } else { // float_data (field 4): packed fixed32, or unpacked fixed32 fields (read past by readFields: not supported)
    const packed = one(f, 4) ?? new Uint8Array();
    const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
    values = Float32Array.from({ length: packed.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
  }
  if (values.length !== count) throw new ModelFormatError(`${at}: ${values.length} values for dims [${dims}]`);
  return { name, tensor: /** @type {Tensor} */ ({ dims, dtype, values }) };
}

/**
 * The parts of an ONNX model a head needs: its graph's op types, input and output names, initializers.
 * @param {Uint8Array} bytes @param {string} where  the file, named in errors
 * @returns {Graph}
 */
export function readOnnx(bytes, where) {
  let model;
  try {
    model = readFields(bytes, where);
  } catch (err) {
    throw new ModelFormatError(`${where}: not an ONNX model (${err.message})`);
  }
  const graphBytes = one(model, 7);
  if (!graphBytes) throw new ModelFormatError(`${where}: not an ONNX model (no graph)`);
  const g = readFields(graphBytes, `${where} graph`);
  const nodes = all(g, 1).map((n) => readFields(n, `${where} node`));
  const names = (fields) => text(one(fields, 1) ?? new Uint8Array());
  const initializers = new Map();
  for (const t of all(g, 5)) {
    const { name, tensor } = readTensor(t, where);
    initializers.set(name, tensor);
  }
  return {
    name: text(one(g, 2) ?? new Uint8Array()),
    ops: nodes.map((n) => text(one(n, 4))),
    inputs: all(g, 11).map((v) => names(readFields(v, `${where} input`))),
    outputs: all(g, 12).map((v) => names(readFields(v, `${where} output`))),
    initializers,
  };
}

/**
 * A saved head's ONNX graph → the head as plain numbers (handlers.js headData form), checked against
 * the manifest's `head` and `labels`.
 * @param {Uint8Array} bytes @param {{labels: string[], head: {kind: string, dim: number, input: string, output: string, k?: number | null,
 *   hidden?: number | null}}} manifest @param {string} where  the file, named in errors
 * @returns {import('./onnx-writer.js').DenseHeadData | import('./onnx-writer.js').KnnHeadData}
 */
export function headFromOnnx(bytes, manifest, where) {
  const { head, labels } = manifest;
  if (head.input !== INPUT || head.output !== OUTPUT) {
    throw new ManifestError(`${where}: field 'head': input '${head.input}' / output '${head.output}' are not a trained head's ('${INPUT}' / '${OUTPUT}')`);
  }
  const g = readOnnx(bytes, where);
  if (g.inputs.join() !== INPUT || g.outputs.join() !== OUTPUT) {
    throw new ModelFormatError(`${where}: graph takes [${g.inputs}] and gives [${g.outputs}], not a head's '${INPUT}' → '${OUTPUT}'`);
  }
  const allowed = head.kind === 'knn' ? KNN_OPS : DENSE_OPS;
  const stray = g.ops.filter((op) => !allowed.has(op));
  if (stray.length) throw new ModelFormatError(`${where}: op(s) ${[...new Set(stray)].join(', ')} are not in a '${head.kind}' head's graph`);
  const get = (name, dims) => {
    const t = g.initializers.get(name);
    if (!t) throw new ModelFormatError(`${where}: no initializer '${name}' (a '${head.kind}' head has one)`);
    if (dims && (t.dims.length !== dims.length || t.dims.some((d, i) => dims[i] !== null && d !== dims[i]))) {
      throw new ModelFormatError(`${where}: initializer '${name}' has dims [${t.dims}], expected [${dims.map((d) => d ?? '?')}]`);
    }
    return t;
  };
  const classes = labels.length;
  if (head.kind === 'knn') {
    const ex = get('examples_t', [head.dim, null]);
    const n = ex.dims[1];
    const examples = new Float32Array(n * head.dim); // back to [M, D], row-major
    for (let j = 0; j < head.dim; j++) for (let i = 0; i < n; i++) examples[i * head.dim + j] = Number(ex.values[j * n + i]);
    const exampleLabels = Int32Array.from(get('example_classes', [n]).values, Number);
    if (exampleLabels.some((c) => c < 0 || c >= classes)) throw new ModelFormatError(`${where}: an example class is outside 0..${classes - 1}`);
    const k = Number(get('k', [1]).values[0]);
    if (k !== Math.min(head.k, n)) throw new ManifestError(`${where}: field 'head.k' is ${head.k}, the graph votes with ${k} of ${n} examples`);
    return { kind: 'knn', labels, k: head.k, examples: Array.from(examples), exampleLabels: Array.from(exampleLabels), dim: head.dim };
  }
  const layers = [];
  for (let i = 0; g.initializers.has(`W${i}`); i++) {
    const W = get(`W${i}`, [i ? layers[i - 1].cols : head.dim, null]);
    const b = get(`b${i}`, [W.dims[1]]);
    layers.push({ rows: W.dims[0], cols: W.dims[1], W: Array.from(W.values, Number), b: Array.from(b.values, Number) });
  }
  const want = head.kind === 'mlp' ? 2 : 1;
  if (layers.length !== want || layers[layers.length - 1].cols !== classes) {
    throw new ModelFormatError(`${where}: ${layers.length} dense layer(s) ending in ${layers.at(-1)?.cols} classes; a '${head.kind}' head of ${classes} labels has ${want}`);
  }
  if (head.kind === 'mlp' && layers[0].cols !== head.hidden) {
    throw new ManifestError(`${where}: field 'head.hidden' is ${head.hidden}, the graph has ${layers[0].cols} hidden units`);
  }
  return {
    kind: /** @type {'linear' | 'mlp'} */ (head.kind), labels,
    mean: Array.from(get('mean', [head.dim]).values, Number), std: Array.from(get('std', [head.dim]).values, Number), layers,
  };
}
