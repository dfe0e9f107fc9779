// The inference worker: loads and verifies a model package, creates the onnxruntime-web session, then
// pre-processes, runs and decodes every frame. The page only draws.

import { createSession, prepareRuntime } from './backends.js';
import { createKernelSession, isAuto, KERNELS, kernelsFor } from './kernels/backend.js';
import { useModelFile } from './cache.js';
import { EdgewardError, ImageError, ManifestError, TaskError, WorkerError } from './errors.js';
import { fetchManifest } from './manifest.js';
import { toInt32Input, warmPreprocessor } from './preprocess.js';
import * as protocol from './protocol.js';
import { inputOver, SizedInputs } from './sized-inputs.js';
import { TASKS } from './tasks/index.js';
import { checkRoi } from './tasks/roi.js';
import { chooseVariant } from './variants.js';

const { MSG } = protocol;

let state = null; // {manifest, ort, session, backend, input, sizes (each size's session, pre, inputTensor), canvas, ctx, scratch, frameBuffer, copyToRgba}
let queue = Promise.resolve(); // messages are handled one at a time: the input buffer is reused

function checkInput(manifest) {
  for (const field of ['preprocess', 'postprocess']) {
    if (!manifest[field]) throw new ManifestError(`task '${manifest.task}' needs manifest field '${field}'`);
  }
  const input = manifest.inputs[0];
  const [h, w] = manifest.preprocess.size;
  const shape = input.shape;
  if (input.layout && input.layout !== 'NHWC') throw new ManifestError(`input '${input.name}': layout ${input.layout} is not supported`);
  if (input.dtype !== 'float32' && input.dtype !== 'int32') {
    throw new ManifestError(`input '${input.name}': dtype ${input.dtype} is not supported`);
  }
  if (shape.length !== 4 || shape[1] !== h || shape[2] !== w || shape[3] !== 3) {
    throw new ManifestError(`input '${input.name}': shape [${shape}] does not match preprocess.size [${h}, ${w}]`);
  }
  return input;
}

async function handleInit(msg) {
  const t0 = performance.now();
  // when each step of the load ended, in ms after it began (they overlap); bench/first_pose.py reports them
  const at = {};
  const mark = (step) => { at[step] = Math.round((performance.now() - t0) * 10) / 10; };
  let options = msg.options;
  const startRuntime = () => { // onnxruntime-web starts while the manifest and model download
    const started = prepareRuntime(options);
    started.then(() => mark('runtime'), () => {}); // its error is thrown where it is awaited (createSession)
    return started;
  };
  // Edgeward's own kernels where the package has them (unasked or {backend: 'kernels'}; kernels/backend.js),
  // onnxruntime-web otherwise: started at once when it is asked for, else once the manifest says it is needed
  let runtime = options.backend === KERNELS || isAuto(options.backend) ? null : startRuntime();
  const manifest = await fetchManifest(msg.packageUrl);
  mark('manifest');
  const task = TASKS[manifest.task];
  if (!task) throw new ManifestError(`field 'task': '${manifest.task}' is not a task this runtime knows (${Object.keys(TASKS).join(', ')})`);
  // No pre-processing ('tensor', and 'features': a trained head on feature vectors): raw tensors, see handleRun.
  const input = task.decode && manifest.task !== 'features' ? checkInput(manifest) : null;
  let kernels = null;
  let fallback = null; // why the kernels, asked for, do not run
  if (!runtime) {
    kernels = await kernelsFor(manifest, options);
    if (kernels.module) {
      mark('runtime'); // the kernels' WASM compiled (onnxruntime-web is not loaded)
    } else {
      if (!kernels.quiet) fallback = `${options.backend === KERNELS ? "backend 'kernels'" : "Edgeward's kernels"}: ${kernels.reason}`;
      kernels = null;
      options = { ...options, backend: undefined };
      runtime = startRuntime();
    }
  }
  const variant = kernels ? kernels.variant : await chooseVariant(manifest, options.variant, options); // made for this backend, if any
  // The session is created while a cached file's sha256 is computed, or a downloaded one is cached; nothing
  // is returned before the digest matched (a bad entry: session released, entry evicted, file downloaded).
  const loading = useModelFile(msg.packageUrl, manifest.files[variant],
    async (buffer) => {
      mark('model');
      const made = kernels ? await createKernelSession(kernels.module, buffer, manifest.files[variant].path)
        : await createSession(new Uint8Array(buffer), options, runtime);
      mark('session');
      if (fallback) made.backend = { ...made.backend, reason: [fallback, made.backend.reason].filter(Boolean).join('; ') };
      return made;
    }, {
      onProgress: (p) => self.postMessage(protocol.progress(msg.id, p)),
      discard: (made) => made.session.release?.(),
    });
  // awaited below in this same task (no .catch here: an await as its only reaction keeps the worker's frames
  // in the async stack of a download or integrity error)
  // meanwhile (the model and onnxruntime-web load off this thread) the pre-processing code runs once
  const pre = input ? warmPreprocessor(manifest.preprocess) : null;
  const { value: { ort, session, backend }, ...file } = await loading;
  const cache = {
    from: file.from, stored: file.stored, warning: file.warning,
    persisted: (await self.navigator.storage?.persisted?.().catch(() => null)) ?? null,
  };
  if (!input) { // tensors in, tensors out; no pre-processing
    state = { manifest, task, ort, session, backend, raw: true };
    return protocol.ready(msg.id, manifest, { ...backend, variant }, { loadMs: performance.now() - t0, warmupMs: 0, at }, cache);
  }
  const [, h, w] = input.shape;
  const main = inputOver(ort, input, pre, [h, w]);
  // No warm-up run: the first run is slow (lazy WASM compilation, allocation) whenever it comes, and one on a
  // blank input before READY delayed the first real result by more than it saved (bench/first_pose.py).
  const t1 = performance.now();
  const canvas = new OffscreenCanvas(1, 1);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  // the other input sizes the package carries, each made on the first frame that asks for it (inputSize)
  const sizes = new SizedInputs({ manifest, packageUrl: msg.packageUrl, variant, options, runtime, input,
    main: { session, ...main }, anySize: kernels ? { ort } : null });
  state = { manifest, task, ort, session, backend, input, canvas, ctx, scratch: {}, sizes };
  return protocol.ready(msg.id, manifest, { ...backend, variant }, { loadMs: t1 - t0, warmupMs: 0, at }, cache);
}

/** An ImageBitmap's pixels (or those of its `roi` crop) as RGBA, copied once through a reused canvas. */
function bitmapPixels(bitmap, roi) {
  const { canvas, ctx } = state;
  const [x0, y0, x1, y1] = roi ?? [0, 0, bitmap.width, bitmap.height];
  const w = x1 - x0;
  const h = y1 - y0;
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  ctx.globalCompositeOperation = 'copy';
  ctx.drawImage(bitmap, x0, y0, w, h, 0, 0, w, h); // same size, integer offsets: an exact copy
  return ctx.getImageData(0, 0, w, h);
}

/**
 * A VideoFrame's pixels (or its `roi` crop) as RGBA, converted by the browser straight into a buffer
 * reused across frames: one copy per frame, nothing allocated. null when this browser cannot convert
 * (VideoFrame.copyTo without RGBA output), and the caller falls back to an ImageBitmap.
 */
async function videoFramePixels(frame, roi) {
  if (state.copyToRgba === false) return null;
  const visible = frame.visibleRect;
  if (!visible || frame.displayWidth !== visible.width || frame.displayHeight !== visible.height
      || frame.rotation || frame.flip) {
    return null; // scaled or rotated display: the bitmap path renders what the page shows
  }
  const [x0, y0, x1, y1] = roi ?? [0, 0, visible.width, visible.height];
  const width = x1 - x0;
  const height = y1 - y0;
  const rect = { x: visible.x + x0, y: visible.y + y0, width, height };
  const bytes = width * height * 4;
  if (!state.frameBuffer || state.frameBuffer.length !== bytes) state.frameBuffer = new Uint8ClampedArray(bytes);
  try {
    await frame.copyTo(state.frameBuffer, { rect, format: 'RGBA', colorSpace: 'srgb' });
    state.copyToRgba = true;
  } catch (err) {
    if (state.copyToRgba) throw err; // it worked before: a real failure
    if (roi) return null; // maybe this crop only (e.g. an odd-sized edge of a 4:2:0 frame): this frame via a bitmap
    state.copyToRgba = false;
    console.warn('[edgeward] VideoFrame.copyTo(RGBA) is unavailable here; video frames go through ImageBitmap:', err.message || err);
    return null;
  }
  return { width, height, data: state.frameBuffer };
}

/** The frame's RGBA pixels (of the `roi` crop if given) and the whole frame's size. */
async function readPixels(frame, roi) {
  const isVideoFrame = typeof VideoFrame !== 'undefined' && frame instanceof VideoFrame;
  const width = isVideoFrame ? frame.displayWidth : frame?.width;
  const height = isVideoFrame ? frame.displayHeight : frame?.height;
  if (!width || !height) throw new ImageError('the image has no pixels (width or height is 0)');
  checkRoi(roi, width, height);
  let image = isVideoFrame ? await videoFramePixels(frame, roi) : null;
  if (!image) {
    const bitmap = isVideoFrame ? await createImageBitmap(frame) : frame;
    try {
      image = bitmapPixels(bitmap, roi);
    } finally {
      if (bitmap !== frame) bitmap.close();
    }
  }
  return { image, width, height };
}

/** Pre-process, run and decode one frame (it is closed): {payload, size, timings}. */
async function estimateFrame(frame, options) {
  if (!state) throw new EdgewardError('the model is not initialised (or was disposed)');
  if (state.raw) throw new TaskError(`a task '${state.manifest.task}' package takes raw tensors: use loadModel(url).run(feeds)`);
  const sized = await state.sizes.get(options?.inputSize); // the package's own size, or another it carries
  const t0 = performance.now();
  const roi = options?.roi ?? null;
  if (roi && !state.task.roi) throw new RangeError(`the roi option is for pose packages, not task '${state.manifest.task}'`);
  const resize = options?.resize ?? null; // 'tfjs-posenet': @tensorflow-models/posenet's pre-processing
  if (resize && state.manifest.task !== 'pose') throw new RangeError(`the resize option is for pose packages, not task '${state.manifest.task}'`);
  let pixels;
  try {
    pixels = await readPixels(frame, roi);
  } finally {
    frame?.close?.();
  }
  const { box } = sized.pre.run(pixels.image, resize);
  if (sized.intInput) toInt32Input(sized.pre.output, sized.intInput);
  const t1 = performance.now();
  const out = await sized.session.run({ [state.input.name]: sized.inputTensor });
  const t2 = performance.now();
  const outputs = {};
  for (const [name, t] of Object.entries(out)) outputs[name] = { data: t.data, dims: t.dims };
  const at = { x0: roi ? roi[0] : 0, y0: roi ? roi[1] : 0, width: pixels.width };
  const payload = state.task.decodeFrame({
    manifest: state.manifest, outputs, box, options: state.task.normalize(options), frame: at, scratch: state.scratch,
    inputSize: sized.size,
  });
  for (const t of Object.values(out)) t.dispose?.();
  const t3 = performance.now();
  return { payload, size: { width: pixels.width, height: pixels.height, roi, inputSize: sized.size },
    timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, decodeMs: t3 - t2 } };
}

async function handleEstimate(msg) {
  const { payload, size, timings } = await estimateFrame(msg.frame, msg.options);
  return protocol.result(msg.id, { ...payload, frame: size }, timings);
}

async function handleDispose(msg) {
  if (state) {
    const s = state;
    state = null;
    await s.sizes?.release();
    await s.session.release?.();
  }
  return protocol.disposed(msg.id);
}

// Typed arrays onnxruntime-web takes for each manifest dtype (float16: raw IEEE half bits).
const TYPED = {
  float32: Float32Array, float16: Uint16Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, bool: Uint8Array,
};

function toTensor(ort, spec, feed) {
  const where = `input '${spec.name}'`;
  if (!feed || typeof feed !== 'object' || !('data' in feed)) throw new TypeError(`${where}: expected {data, dims}`);
  const dims = Array.from(feed.dims ?? spec.shape, Number);
  if (dims.length !== spec.shape.length || dims.some((d, i) => spec.shape[i] !== null && spec.shape[i] !== d)) {
    throw new RangeError(`${where}: dims [${dims}] do not fit the model's shape [${spec.shape.map((d) => d ?? '?')}]`);
  }
  const Typed = TYPED[spec.dtype];
  let { data } = feed;
  if (!(data instanceof Typed) && !(spec.dtype === 'float16' && globalThis.Float16Array && data instanceof Float16Array)) {
    data = Typed === BigInt64Array ? BigInt64Array.from(data, (v) => BigInt(v)) : Typed.from(data, Number);
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (data.length !== size) throw new RangeError(`${where}: ${data.length} values for dims [${dims}] (needs ${size})`);
  return new ort.Tensor(spec.dtype, data, dims);
}

async function handleRun(msg) {
  if (!state) throw new EdgewardError('the model is not initialised (or was disposed)');
  if (!state.raw) throw new TaskError(`run() is for packages of task 'tensor' or 'features'; this package's task is '${state.manifest.task}'`);
  const t0 = performance.now();
  const specs = state.manifest.inputs;
  const unknown = Object.keys(msg.feeds || {}).filter((k) => !specs.some((s) => s.name === k));
  if (unknown.length) throw new RangeError(`unknown input(s) ${unknown.map((k) => `'${k}'`).join(', ')}; the model takes ${specs.map((s) => `'${s.name}'`).join(', ')}`);
  const feeds = {};
  for (const spec of specs) {
    if (!msg.feeds?.[spec.name]) throw new TypeError(`input '${spec.name}' is missing`);
    feeds[spec.name] = toTensor(state.ort, spec, msg.feeds[spec.name]);
  }
  const t1 = performance.now();
  const out = await state.session.run(feeds);
  const t2 = performance.now();
  const tensors = {};
  for (const [name, t] of Object.entries(out)) {
    tensors[name] = { data: t.data, dims: Array.from(t.dims), type: t.type };
  }
  return protocol.outputs(msg.id, tensors, { prepareMs: t1 - t0, inferenceMs: t2 - t1 });
}

// Training and federated rounds are imported on first use: most pages only run a model, and each module
// the worker imports up front delays its first result.
//
// Training on the base model's features (train/handlers.js): a frame becomes the embedding of the
// classifier this worker runs, or the pose features of a pose base's best pose (a mirror picture is
// estimated with flipHorizontal and its sides swapped, as Python's train/poses.py does); feature
// vectors pass straight through.
let training = null; // the training handlers, once loaded
let trainingLoad = null;
function loadTraining() {
  trainingLoad ??= Promise.all([import('./train/handlers.js'), import('./train/pose-features.js')]).then(
    ([{ trainingHandlers }, { bestPoseFeatures, POSE_ESTIMATE }]) => {
      training = trainingHandlers({
        base: () => state?.manifest ?? null,
        embed: async (frame, { mirrored }) => {
          if (state?.manifest.task !== 'pose') return (await estimateFrame(frame, { topK: 1, embedding: true })).payload.embedding;
          const { poses } = (await estimateFrame(frame, { ...POSE_ESTIMATE, flipHorizontal: mirrored })).payload;
          return bestPoseFeatures(poses, { flipHorizontal: mirrored, mirrored });
        },
        // op 'predictPose' (pose bases): the poses of a frame as estimated for training, with the estimate's timings
        estimatePoses: async (frame, { mirrored }) => {
          const { payload, timings } = await estimateFrame(frame, { ...POSE_ESTIMATE, flipHorizontal: mirrored });
          return { poses: payload.poses, timings };
        },
        post: (message) => self.postMessage(message),
      });
      return training;
    });
  return trainingLoad;
}

let federatedLoad = null;
const loadFederated = () => (federatedLoad ??= import('./federated/handlers.js').then((m) => m.federatedHandlers()));

const handlers = {
  [MSG.INIT]: handleInit, [MSG.ESTIMATE]: handleEstimate, [MSG.DISPOSE]: handleDispose, [MSG.RUN]: handleRun,
  [MSG.TRAIN]: async (msg) => (await loadTraining()).handleTrain(msg),
};

const onMessage = (event) => {
  const msg = event.data;
  if (msg?.type === MSG.CANCEL) { // at once: the request it names may be the one running
    training?.cancel(msg.id); // a fit can only be running once training is loaded
    return;
  }
  if (msg?.type === MSG.FEDERATE) { // at once, not queued: a round waits on other clients
    loadFederated().then((federated) => federated.handle(msg)).then((reply) => self.postMessage(reply), (err) => self.postMessage(protocol.error(msg.id, err)));
    return;
  }
  queue = queue.then(async () => {
    try {
      const handler = handlers[msg?.type];
      if (!handler) throw new TypeError(`unknown message type '${msg?.type}'`);
      self.postMessage(await handler(msg));
    } catch (err) {
      if (msg?.type === MSG.ESTIMATE || msg?.type === MSG.TRAIN) msg.frame?.close?.();
      self.postMessage(protocol.error(msg?.id, err));
    }
  });
};

// onnxruntime-web's threads ('em-pthread' workers) may load this module too: a bundler can put a helper
// that its chunk shares into this entry chunk. They have their own message handler; only ours listens here.
// When a thread's script is this very file, onnxruntime-web was bundled into it (Vite's default worker
// format, 'iife'): the thread can never start. It tells the worker that started it (over a channel named by
// this script: a throw would reach the page only as onnxruntime-web's opaque "[object ErrorEvent]"), and
// the worker fails every pending request with a WorkerError that says what to do.
const BUNDLED_THREAD = `edgeward:bundled-thread:${self.location?.href}`;
const BUNDLED_MESSAGE = 'onnxruntime-web was bundled into the runtime\'s worker, so its threads cannot start: '
  + 'bundle workers as ES modules (Vite: worker: {format: \'es\'}), or load onnxruntime-web by URL (wasmPaths)';
if (!self.name?.startsWith('em-pthread')) {
  self.onmessage = onMessage;
  if (typeof BroadcastChannel === 'function') {
    new BroadcastChannel(BUNDLED_THREAD).onmessage = () => {
      self.postMessage(protocol.error(null, new WorkerError(BUNDLED_MESSAGE))); // id null: the whole worker
    };
  }
} else if (import.meta.url === self.location.href) {
  console.error(`[edgeward] ${BUNDLED_MESSAGE}`);
  if (typeof BroadcastChannel === 'function') new BroadcastChannel(BUNDLED_THREAD).postMessage('bundled');
  else throw new WorkerError(BUNDLED_MESSAGE);
}
