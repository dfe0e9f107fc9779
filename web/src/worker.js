// The inference worker: loads and verifies a model package, creates the onnxruntime-web session,
// warms it up, then pre-processes, runs and decodes every frame. The page only draws.

import { createSession } from './backends.js';
import { fetchVerified } from './integrity.js';
import { fetchManifest } from './manifest.js';
import { Preprocessor } from './preprocess.js';
import * as protocol from './protocol.js';
import { decodePoses } from './tasks/pose.js';

const { MSG } = protocol;
const VARIANTS = ['fp32', 'fp16', 'int8'];
const WARMUP_RUNS = 2; // the second run is still slower than steady state; the third is not

let state = null; // {manifest, ort, session, backend, pre, inputTensor, canvas, ctx, scratch}
let queue = Promise.resolve(); // messages are handled one at a time: the input buffer is reused

function pickVariant(manifest, wanted) {
  if (wanted) {
    if (!manifest.files[wanted]) throw new Error(`package has no '${wanted}' variant (has ${Object.keys(manifest.files).join(', ')})`);
    return wanted;
  }
  const v = VARIANTS.find((name) => manifest.files[name]);
  if (!v) throw new Error('manifest lists no model file');
  return v;
}

function checkInput(manifest) {
  const input = manifest.inputs[0];
  const [h, w] = manifest.preprocess.size;
  const shape = input.shape;
  if (input.layout && input.layout !== 'NHWC') throw new Error(`input '${input.name}': layout ${input.layout} is not supported`);
  if (input.dtype !== 'float32') throw new Error(`input '${input.name}': dtype ${input.dtype} is not supported`);
  if (shape.length !== 4 || shape[1] !== h || shape[2] !== w || shape[3] !== 3) {
    throw new Error(`input '${input.name}': shape [${shape}] does not match preprocess.size [${h}, ${w}]`);
  }
  return input;
}

async function handleInit(msg) {
  const t0 = performance.now();
  const manifest = await fetchManifest(msg.packageUrl);
  const input = checkInput(manifest);
  const variant = pickVariant(manifest, msg.options.variant);
  const bytes = await fetchVerified(msg.packageUrl, manifest.files[variant]);
  const { ort, session, backend } = await createSession(new Uint8Array(bytes), msg.options);
  const pre = new Preprocessor(manifest.preprocess);
  const [, h, w] = input.shape;
  pre.output.fill(Math.fround(pre.padValue));
  const inputTensor = new ort.Tensor('float32', pre.output, [1, h, w, 3]);
  const t1 = performance.now();
  for (let i = 0; i < WARMUP_RUNS; i++) { // so the first real frame is not slow
    const warm = await session.run({ [input.name]: inputTensor });
    for (const t of Object.values(warm)) t.dispose?.();
  }
  const t2 = performance.now();
  const canvas = new OffscreenCanvas(1, 1);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  state = { manifest, ort, session, backend, pre, input, inputTensor, canvas, ctx, scratch: {} };
  return protocol.ready(msg.id, manifest, { ...backend, variant }, { loadMs: t1 - t0, warmupMs: t2 - t1 });
}

function readPixels(bitmap) {
  const { canvas, ctx } = state;
  const w = bitmap.width;
  const h = bitmap.height;
  if (!w || !h) throw new Error('the image has no pixels (width or height is 0)');
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  ctx.globalCompositeOperation = 'copy';
  ctx.drawImage(bitmap, 0, 0);
  return ctx.getImageData(0, 0, w, h);
}

async function handleEstimate(msg) {
  if (!state) throw new Error('detector is not initialised (or was disposed)');
  const t0 = performance.now();
  let image;
  try {
    image = readPixels(msg.bitmap);
  } finally {
    msg.bitmap?.close?.();
  }
  const { box } = state.pre.run(image);
  const t1 = performance.now();
  const out = await state.session.run({ [state.input.name]: state.inputTensor });
  const t2 = performance.now();
  const outputs = {};
  for (const [name, t] of Object.entries(out)) outputs[name] = { data: t.data, dims: t.dims };
  const poses = decodePoses(state.manifest.postprocess, outputs, box, msg.options, state.scratch);
  for (const t of Object.values(out)) t.dispose?.();
  const t3 = performance.now();
  return protocol.result(msg.id, poses, { preprocessMs: t1 - t0, inferenceMs: t2 - t1, decodeMs: t3 - t2 });
}

async function handleDispose(msg) {
  if (state) {
    const s = state;
    state = null;
    await s.session.release?.();
  }
  return protocol.disposed(msg.id);
}

const handlers = { [MSG.INIT]: handleInit, [MSG.ESTIMATE]: handleEstimate, [MSG.DISPOSE]: handleDispose };

self.onmessage = (event) => {
  const msg = event.data;
  queue = queue.then(async () => {
    try {
      const handler = handlers[msg?.type];
      if (!handler) throw new Error(`unknown message type '${msg?.type}'`);
      self.postMessage(await handler(msg));
    } catch (err) {
      if (msg?.type === MSG.ESTIMATE) msg.bitmap?.close?.();
      self.postMessage(protocol.error(msg?.id, err));
    }
  });
};
