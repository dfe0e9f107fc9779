// @tensorflow-models/posenet 2.2.2 and TF.js's resizeBilinear in Node (TF.js's plain-JS 'cpu' kernels):
// the reference for the pose option resize 'tfjs-posenet' (src/edgeward/runtime/tfjs_resize.py), used by
// tests/runtime/test_tfjs_resize.py and tests/tasks/test_pose_tfjs_resize.py.
// Usage: node posenet_reference.mjs REQUEST.json      (prints one JSON line; tensors go to raw float32 files)
// REQUEST: {images: [{file, height, width}]  (raw RGB uint8, row-major),
//   resize: [{image, size: [h, w], alignCorners, halfPixelCenters, out}]   tf.image.resizeBilinear(image, ...)
//   pad:    [{image, size: [h, w], out}]   posenet's padAndResizeTo, then its MobileNet input (x / 127.5 - 1)
//   map:    [{height, width, size, padding, flip, points: [[x, y]]}]   posenet's scaleAndFlipPoses
//   poses:  {model, outputs: {offset, heatmap, displacement_fwd, displacement_bwd}, outputStride,
//            inputResolution, multiplier, images: [index], flipHorizontal}   net.estimateSinglePose}
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The packages come from EDGEWARD_TFJS_NODE_MODULES (set by edgeward.bench.posenet_reference: a checkout's
// web/node_modules, or the copy fetched into EDGEWARD_HOME for an installed wheel), else from web/node_modules.
const nodeModules = process.env.EDGEWARD_TFJS_NODE_MODULES || fileURLToPath(new URL('../node_modules/', import.meta.url));
const require = createRequire(path.join(nodeModules, 'resolve-from-here.js'));
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const posenet = require('@tensorflow-models/posenet');
const util = require('@tensorflow-models/posenet/dist/util.js');

// @tensorflow-models/posenet's MobileNet wrapper takes the graph's outputs by position, in this order.
const POSENET_OUTPUT_ORDER = ['offset', 'heatmap', 'displacement_fwd', 'displacement_bwd'];

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
await tf.setBackend('cpu');
await tf.ready();

const images = (req.images ?? []).map(({ file, height, width }) => {
  const bytes = fs.readFileSync(file);
  return tf.tensor3d(Int32Array.from(bytes), [height, width, 3], 'int32'); // as tf.browser.fromPixels gives
});
const write = (tensor, file) => {
  const data = Float32Array.from(tensor.dataSync());
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
};

/** The model.json as posenet.load() needs it: a dynamic [-1, -1, -1, 3] input, outputs in the wrapper's order. */
function graphArtifacts(modelFile, outputs) {
  const json = JSON.parse(fs.readFileSync(modelFile, 'utf8'));
  const dynamic = (dims) => dims.map((d, i) => (i === 1 || i === 2 ? { ...d, size: '-1' } : d));
  for (const node of json.modelTopology.node) {
    const shape = node.op === 'Placeholder' && node.attr?.shape?.shape;
    if (shape?.dim?.length === 4) shape.dim = dynamic(shape.dim);
  }
  const sig = json.signature;
  if (sig) {
    for (const input of Object.values(sig.inputs || {})) {
      if (input.tensorShape?.dim?.length === 4) input.tensorShape.dim = dynamic(input.tensorShape.dim);
    }
    const entries = Object.entries(sig.outputs || {});
    sig.outputs = Object.fromEntries(POSENET_OUTPUT_ORDER.map((role) => {
      const hit = entries.find(([key, v]) => (v.name || key).split(':')[0] === outputs[role]);
      if (!hit) throw new Error(`the model has no output '${outputs[role]}' (${role})`);
      return hit;
    }));
  }
  const specs = [];
  const buffers = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(modelFile), p)));
  }
  const all = Buffer.concat(buffers);
  return tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, format: json.format,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), signature: sig });
}

const reply = { tfjs: tf.version_core, posenet: posenet.version, resize: [], pad: [], map: [], poses: [] };
for (const r of req.resize ?? []) {
  write(tf.image.resizeBilinear(images[r.image], r.size, r.alignCorners, r.halfPixelCenters), r.out);
  reply.resize.push(r.out);
}
for (const p of req.pad ?? []) {
  const { resized, padding } = util.padAndResizeTo(images[p.image], p.size);
  write(tf.sub(tf.div(tf.cast(resized, 'float32'), 127.5), 1.0), p.out); // base_model.js + mobilenet.js
  reply.pad.push({ padding, out: p.out });
}
for (const m of req.map ?? []) {
  const pose = { score: 1, keypoints: m.points.map(([x, y], i) => ({ score: 1, part: String(i), position: { x, y } })) };
  const [back] = util.scaleAndFlipPoses([pose], [m.height, m.width], m.size, m.padding, m.flip);
  reply.map.push(back.keypoints.map((k) => [k.position.x, k.position.y]));
}
if (req.poses) {
  const p = req.poses;
  const net = await posenet.load({ architecture: 'MobileNetV1', outputStride: p.outputStride,
    inputResolution: p.inputResolution, multiplier: p.multiplier, modelUrl: graphArtifacts(p.model, p.outputs) });
  for (const i of p.images) {
    const pose = await net.estimateSinglePose(images[i], { flipHorizontal: Boolean(p.flipHorizontal) });
    reply.poses.push({ score: pose.score,
      keypoints: pose.keypoints.map((k) => ({ name: k.part, x: k.position.x, y: k.position.y, score: k.score })) });
  }
}
console.log(JSON.stringify(reply));
