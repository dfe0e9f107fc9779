// Runs a TF.js graph model in Node — the reference our ONNX conversion is verified against. The default
// backend is TF.js's plain-JS 'cpu' kernels: exact float32 sums (its XNNPACK wasm backend drifts ~2e-3
// on PoseNet's offsets, values up to 240). EDGEWARD_TFJS_BACKEND=wasm picks the fast one.
// Usage: node tfjs_reference.mjs REQUEST.json
// REQUEST: {model: "model.json", outDir: "...", inputs: {name: {shape: [...], file: "x.bin", dtype}}}
// Writes one raw little-endian file per output plus outputs.json {name: {shape, file, dtype}}.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// TF.js comes from EDGEWARD_TFJS_NODE_MODULES (set by edgeward.convert.verify: a checkout's web/node_modules,
// or the copy fetched into EDGEWARD_HOME for an installed wheel), else from web/node_modules beside this file.
const nodeModules = process.env.EDGEWARD_TFJS_NODE_MODULES || fileURLToPath(new URL('../node_modules/', import.meta.url));
const require = createRequire(path.join(nodeModules, 'resolve-from-here.js'));
const tf = require('@tensorflow/tfjs');
const { setWasmPaths } = require('@tensorflow/tfjs-backend-wasm');

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
setWasmPaths(path.join(nodeModules, '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep);
await tf.setBackend(process.env.EDGEWARD_TFJS_BACKEND || 'cpu');
await tf.ready();

const modelJson = JSON.parse(fs.readFileSync(req.model, 'utf8'));
const dir = path.dirname(req.model);
// Let the reference accept the requested input shapes (e.g. an even-sized copy of a fixed graph).
for (const node of modelJson.modelTopology.node) {
  const want = req.inputs[node.name];
  if (node.op === 'Placeholder' && want) {
    node.attr.shape = { shape: { dim: want.shape.map((s) => ({ size: String(s) })) } };
  }
}
for (const entry of Object.values(modelJson.signature?.inputs ?? {})) {
  const want = req.inputs[entry.name.split(':')[0]];
  if (want) entry.tensorShape = { dim: want.shape.map((s) => ({ size: String(s) })) };
}
const specs = [];
const buffers = [];
for (const group of modelJson.weightsManifest) {
  specs.push(...group.weights);
  for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
}
const all = Buffer.concat(buffers);
const model = await tf.loadGraphModel(tf.io.fromMemory({
  modelTopology: modelJson.modelTopology, weightSpecs: specs, format: modelJson.format,
  weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), signature: modelJson.signature,
}));
const feeds = {};
for (const [name, spec] of Object.entries(req.inputs)) {
  const raw = fs.readFileSync(spec.file);
  const Typed = spec.dtype === 'int32' ? Int32Array : Float32Array;
  const data = new Typed(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  feeds[name] = tf.tensor(data, spec.shape, spec.dtype ?? 'float32');
}
const names = model.outputs.map((o) => o.name);
let outs = await model.executeAsync(feeds, names);
if (!Array.isArray(outs)) outs = [outs];
const index = {};
names.forEach((name, i) => {
  const file = path.join(req.outDir, `out${i}.bin`);
  // Copy into the declared dtype: dataSync() may be a view into a larger buffer, and a Cast's
  // result can still be held in the source's array type.
  const dtype = outs[i].dtype === 'int32' || outs[i].dtype === 'bool' ? 'int32' : 'float32';
  const data = (dtype === 'int32' ? Int32Array : Float32Array).from(outs[i].dataSync());
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  index[name] = { shape: outs[i].shape, file, dtype };
});
fs.writeFileSync(path.join(req.outDir, 'outputs.json'), JSON.stringify(index));
