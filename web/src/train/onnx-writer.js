// A trained head (the worker's plain-number form, handlers.js headData) → an ONNX file: the graphs
// src/edgeward/train/onnx_graphs.py writes, node for node and byte for byte (same op set, opset 17,
// IR 8, input 'features' [N, dim], output 'probabilities' [N, classes], the same initializer names;
// a test compares the bytes with Python's).
//
//   linear / MLP: features → Sub mean → Div std → (MatMul W_i, Add b_i, Relu)… → Softmax
//   KNN: features / its L2 norm (a zero row is divided by 1) → MatMul with the unit examples [D, M]
//        → TopK k → Gather their classes → OneHot → ReduceSum / k
//
// Only the protobuf messages these graphs need (onnx.proto field numbers): ModelProto, GraphProto,
// NodeProto (int attributes), TensorProto (raw_data, little-endian), ValueInfoProto, OperatorSetIdProto.
import { TrainingError } from '../errors.js';
import { ProtoWriter } from './protobuf.js';

export const INPUT = 'features';
export const OUTPUT = 'probabilities';
export const OPSET = 17; // as onnx_graphs.OPSET
export const IR_VERSION = 8;
export const PRODUCER = 'edgeward';

/** TensorProto.DataType of the dtypes these graphs hold. */
export const ELEM_TYPE = Object.freeze({ float32: 1, int64: 7 });

// Field numbers (onnx.proto).
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 };
const OPSET_ID = { domain: 1, version: 2 };
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 };
const NODE = { input: 1, output: 2, opType: 4, attribute: 5 };
const ATTRIBUTE = { name: 1, i: 3, type: 20, INT: 2 };
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 };
const VALUE_INFO = { name: 1, type: 2 };
const TYPE = { tensorType: 1 };
const TENSOR_TYPE = { elemType: 1, shape: 2 };
const SHAPE = { dim: 1 };
const DIM = { value: 1, param: 2 };

/**
 * @typedef {{name: string, dtype: 'float32' | 'int64', dims: number[], values: ArrayLike<number>}} Constant
 * @typedef {{op: string, inputs: string[], outputs: string[], attrs?: Record<string, number>}} Node
 * @typedef {{kind: 'linear' | 'mlp', labels: string[], mean: ArrayLike<number>, std: ArrayLike<number>,
 *   layers: {rows: number, cols: number, W: ArrayLike<number>, b: ArrayLike<number>}[]}} DenseHeadData
 * @typedef {{kind: 'knn', labels: string[], k: number, examples: ArrayLike<number>,
 *   exampleLabels: ArrayLike<number>, dim: number}} KnnHeadData
 */

/** @param {Constant} c @returns {Uint8Array} the values as little-endian bytes */
function rawData(c) {
  const size = c.dtype === 'int64' ? 8 : 4;
  const view = new DataView(new ArrayBuffer(c.values.length * size));
  for (let i = 0; i < c.values.length; i++) {
    if (c.dtype === 'int64') view.setBigInt64(i * 8, BigInt(c.values[i]), true);
    else view.setFloat32(i * 4, c.values[i], true); // rounds to nearest even, as numpy's astype(float32)
  }
  return new Uint8Array(view.buffer);
}

/** @param {ProtoWriter} w @param {Constant} c */
function writeTensor(w, c) {
  const count = c.dims.reduce((a, b) => a * b, 1);
  if (count !== c.values.length) throw new TrainingError(`initializer '${c.name}': ${c.values.length} values for dims [${c.dims}]`);
  for (const d of c.dims) w.int(TENSOR.dims, d);
  w.int(TENSOR.dataType, ELEM_TYPE[c.dtype]).string(TENSOR.name, c.name).bytes(TENSOR.rawData, rawData(c));
}

/** @param {ProtoWriter} w @param {Node} n — attributes sorted by name, as onnx.helper.make_node does */
function writeNode(w, n) {
  for (const i of n.inputs) w.string(NODE.input, i);
  for (const o of n.outputs) w.string(NODE.output, o);
  w.string(NODE.opType, n.op);
  for (const key of Object.keys(n.attrs ?? {}).sort()) {
    w.message(NODE.attribute, (a) => a.string(ATTRIBUTE.name, key).int(ATTRIBUTE.i, n.attrs[key]).int(ATTRIBUTE.type, ATTRIBUTE.INT));
  }
}

/** A float32 tensor [N, size] value info ('N' symbolic). @param {ProtoWriter} w @param {string} name @param {number} size */
function writeValueInfo(w, name, size) {
  w.string(VALUE_INFO.name, name).message(VALUE_INFO.type, (t) => t.message(TYPE.tensorType, (tt) => {
    tt.int(TENSOR_TYPE.elemType, ELEM_TYPE.float32).message(TENSOR_TYPE.shape, (s) => {
      s.message(SHAPE.dim, (d) => d.string(DIM.param, 'N'));
      s.message(SHAPE.dim, (d) => d.int(DIM.value, size));
    });
  }));
}

/**
 * A ModelProto's bytes: one graph `name` from `features` [N, dim] to `probabilities` [N, classes].
 * @param {Node[]} nodes @param {Constant[]} inits @param {number} dim @param {number} classes @param {string} name
 * @returns {Uint8Array}
 */
export function modelBytes(nodes, inits, dim, classes, name) {
  const w = new ProtoWriter();
  w.int(MODEL.irVersion, IR_VERSION).string(MODEL.producerName, PRODUCER);
  w.message(MODEL.graph, (g) => {
    for (const n of nodes) g.message(GRAPH.node, (nw) => writeNode(nw, n));
    g.string(GRAPH.name, name);
    for (const c of inits) g.message(GRAPH.initializer, (t) => writeTensor(t, c));
    g.message(GRAPH.input, (v) => writeValueInfo(v, INPUT, dim));
    g.message(GRAPH.output, (v) => writeValueInfo(v, OUTPUT, classes));
  });
  w.message(MODEL.opsetImport, (o) => o.string(OPSET_ID.domain, '').int(OPSET_ID.version, OPSET));
  return w.finish();
}

/**
 * A linear or MLP head: standardise, the dense layers (ReLU between), softmax (onnx_graphs.head_graph).
 * @param {DenseHeadData} head
 */
export function denseHeadGraph(head) {
  /** @type {Constant[]} */
  const inits = [{ name: 'mean', dtype: 'float32', dims: [head.mean.length], values: head.mean },
    { name: 'std', dtype: 'float32', dims: [head.std.length], values: head.std }];
  /** @type {Node[]} */
  const nodes = [{ op: 'Sub', inputs: [INPUT, 'mean'], outputs: ['centred'] }, { op: 'Div', inputs: ['centred', 'std'], outputs: ['a0'] }];
  let a = 'a0';
  head.layers.forEach((layer, i) => {
    inits.push({ name: `W${i}`, dtype: 'float32', dims: [layer.rows, layer.cols], values: layer.W },
      { name: `b${i}`, dtype: 'float32', dims: [layer.cols], values: layer.b });
    nodes.push({ op: 'MatMul', inputs: [a, `W${i}`], outputs: [`m${i}`] }, { op: 'Add', inputs: [`m${i}`, `b${i}`], outputs: [`z${i}`] });
    a = `z${i}`;
    if (i < head.layers.length - 1) {
      nodes.push({ op: 'Relu', inputs: [a], outputs: [`h${i}`] });
      a = `h${i}`;
    }
  });
  nodes.push({ op: 'Softmax', inputs: [a], outputs: [OUTPUT], attrs: { axis: -1 } });
  return modelBytes(nodes, inits, head.mean.length, head.labels.length, `${head.kind}_head`);
}

/**
 * Cosine KNN with the unit examples as a constant; probabilities are votes / k (onnx_graphs.knn_graph).
 * @param {KnnHeadData} knn
 */
export function knnGraph(knn) {
  const n = knn.exampleLabels.length;
  const d = knn.dim;
  if (knn.examples.length !== n * d) throw new TrainingError(`KNN: ${knn.examples.length} example values are not ${n} rows of ${d}`);
  const k = Math.min(knn.k, n); // as KnnModel.predict: at most every example votes
  const transposed = new Float32Array(n * d); // examples_t [D, M]
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) transposed[j * n + i] = knn.examples[i * d + j];
  // Scalars are [1], as onnx_graphs writes them (np.ascontiguousarray makes a 0-d array 1-d).
  /** @type {Constant[]} */
  const inits = [
    { name: 'examples_t', dtype: 'float32', dims: [d, n], values: transposed },
    { name: 'example_classes', dtype: 'int64', dims: [n], values: knn.exampleLabels },
    { name: 'axis1', dtype: 'int64', dims: [1], values: [1] },
    { name: 'zero', dtype: 'float32', dims: [1], values: [0] },
    { name: 'one', dtype: 'float32', dims: [1], values: [1] },
    { name: 'k', dtype: 'int64', dims: [1], values: [k] },
    { name: 'depth', dtype: 'int64', dims: [1], values: [knn.labels.length] },
    { name: 'onehot_values', dtype: 'float32', dims: [2], values: [0, 1] },
    { name: 'k_float', dtype: 'float32', dims: [1], values: [k] },
  ];
  /** @type {[string, string[], string[], Record<string, number>?][]} */
  const spec = [
    ['Mul', [INPUT, INPUT], ['squares']],
    ['ReduceSum', ['squares', 'axis1'], ['norm2'], { keepdims: 1 }],
    ['Sqrt', ['norm2'], ['norm']],
    ['Greater', ['norm', 'zero'], ['nonzero']],
    ['Where', ['nonzero', 'norm', 'one'], ['divisor']],
    ['Div', [INPUT, 'divisor'], ['unit']],
    ['MatMul', ['unit', 'examples_t'], ['similarities']],
    ['TopK', ['similarities', 'k'], ['top_values', 'top_indices'], { axis: -1, largest: 1, sorted: 1 }],
    ['Gather', ['example_classes', 'top_indices'], ['top_classes'], { axis: 0 }],
    ['OneHot', ['top_classes', 'depth', 'onehot_values'], ['votes_each'], { axis: -1 }],
    ['ReduceSum', ['votes_each', 'axis1'], ['votes'], { keepdims: 0 }],
    ['Div', ['votes', 'k_float'], [OUTPUT]],
  ];
  const nodes = spec.map(([op, inputs, outputs, attrs]) => ({ op, inputs, outputs, attrs: attrs ?? undefined }));
  return modelBytes(nodes, inits, d, knn.labels.length, 'knn_head');
}

/**
 * The ONNX bytes of any trained head (handlers.js headData form).
 * @param {DenseHeadData | KnnHeadData} head
 */
export function headGraph(head) {
  if (!head) throw new TrainingError('nothing trained yet: train() first');
  return head.kind === 'knn' ? knnGraph(/** @type {KnnHeadData} */ (head)) : denseHeadGraph(/** @type {DenseHeadData} */ (head));
}
