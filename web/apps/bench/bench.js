// The browser side of `edgeward bench` (src/edgeward/bench/harness.py drives it through Playwright).
// Every function returns plain numbers (ms, from performance.now()) and never throws: failures come
// back as {status: 'error', reason}. Nothing here is part of the runtime's public API.
import * as edgeward from '/runtime/edgeward.js';

function errorResult(err) {
  return { status: 'error', reason: `${err && err.name ? `${err.name}: ` : ''}${(err && err.message) || err}` };
}

/** Whether the page has a WebGPU adapter: {available, reason, adapter: {vendor, architecture, fallback}}. */
async function webgpu() {
  if (!navigator.gpu) return { available: false, reason: 'navigator.gpu is not available', adapter: null };
  try {
    const a = await navigator.gpu.requestAdapter();
    if (!a) return { available: false, reason: 'requestAdapter() gave no adapter', adapter: null };
    const info = a.info || {};
    const adapter = { vendor: info.vendor || '', architecture: info.architecture || '',
      fallback: Boolean(info.isFallbackAdapter || a.isFallbackAdapter) };
    return { available: true, reason: null, adapter };
  } catch (err) {
    return { available: false, reason: `requestAdapter() failed: ${err.message || err}`, adapter: null };
  }
}

/**
 * The Edgeward runtime on one still image: load (worker + WASM + model + session + warm-up), the
 * first frame, then `warmup` untimed and `runs` timed frames. A frame is image bytes → bitmap →
 * pixels → pre-processing → inference (worker) → decoding; inference is the worker's own timing.
 */
async function runtime(packageUrl, task, bytes, runs, warmup, options) {
  try {
    const { factory, method } = edgeward.TASKS[task]; // the runtime's own task table
    const create = edgeward[factory];
    const data = new Uint8Array(bytes);
    const t0 = performance.now();
    const handle = await create(packageUrl, options);
    const loadMs = performance.now() - t0;
    const frame = async () => {
      const s = performance.now();
      await handle[method](new Blob([data]), {});
      return [performance.now() - s, handle.lastTimings.inferenceMs];
    };
    const [firstFrameMs, firstInferenceMs] = await frame();
    for (let i = 0; i < warmup; i += 1) await frame();
    const e2e = [];
    const inference = [];
    for (let i = 0; i < runs; i += 1) {
      const [total, inf] = await frame();
      e2e.push(total);
      inference.push(inf);
    }
    const backend = handle.backend;
    const cache = handle.cache ? handle.cache.from : null;
    await handle.dispose();
    return { status: 'ok', backend: backend.name, threads: backend.threads, reason: backend.reason, cache,
      variant: backend.variant, loadMs, firstInferenceMs, firstFrameMs, inferenceMs: inference, e2eMs: e2e };
  } catch (err) {
    return errorResult(err);
  }
}

/**
 * Several Edgeward runtimes on one still image, taking turns frame by frame (the order reversed every
 * other round), so that background load on a shared machine hits all alike: one handle per entry of
 * `optionsList` (e.g. the same backend with different variants), `warmup` untimed frames each, then
 * `runs` rounds. Returns per handle the worker's inference ms of each round, and what it ran.
 */
async function interleaved(packageUrl, task, bytes, runs, warmup, optionsList) {
  const handles = [];
  try {
    const { factory, method } = edgeward.TASKS[task];
    const data = new Uint8Array(bytes);
    for (const options of optionsList) handles.push(await edgeward[factory](packageUrl, options));
    const frame = async (h) => {
      await h[method](new Blob([data]), {});
      return h.lastTimings.inferenceMs;
    };
    for (const h of handles) for (let i = 0; i < warmup + 1; i += 1) await frame(h);
    const inference = handles.map(() => []);
    for (let i = 0; i < runs; i += 1) {
      const order = handles.map((_, j) => (i % 2 === 0 ? j : handles.length - 1 - j));
      for (const j of order) inference[j].push(await frame(handles[j]));
    }
    return { status: 'ok', configs: handles.map((h, j) => ({ backend: h.backend.name, threads: h.backend.threads,
      variant: h.backend.variant, reason: h.backend.reason, inferenceMs: inference[j] })) };
  } catch (err) {
    return errorResult(err);
  } finally {
    for (const h of handles) await h.dispose();
  }
}

/**
 * TF.js (tfjs + tfjs-backend-wasm) running the original TF.js graph model: raw inference on a
 * random input of `shape` (-1/null dims must be given), outputs read back each run. One call per
 * page: the WASM backend's thread count is fixed when it initialises. Configured as a TF.js user does:
 * setThreadsCount(threads); TF.js picks its threaded build under cross-origin isolation (the bench page's
 * CSP allows the blob: workers it starts) and caps the count (reported: `threads`, `threadsAsked`).
 */
async function tfjs(modelUrl, shape, runs, warmup, threads) {
  try {
    const { tf } = globalThis;
    const base = new URL('/vendor/tfjs-backend-wasm/', location.href).href;
    tf.wasm.setWasmPaths(base);
    tf.wasm.setThreadsCount(threads);
    const t0 = performance.now();
    await tf.setBackend('wasm');
    await tf.ready();
    const backendMs = performance.now() - t0;
    const model = await tf.loadGraphModel(new URL(modelUrl, location.href).href);
    const loadMs = performance.now() - t0;
    // Integer-input graphs (MoveNet takes int32 pixels) get random pixels 0..255 of that dtype.
    const dtype = model.inputs[0]?.dtype === 'int32' ? 'int32' : 'float32';
    const x = dtype === 'int32' ? tf.randomUniform(shape, 0, 256, 'int32', 7) : tf.randomUniform(shape, -1, 1, 'float32', 7);
    const infer = async () => {
      const s = performance.now();
      let out = model.execute(x);
      out = Array.isArray(out) ? out : [out];
      await Promise.all(out.map((t) => t.data()));
      const ms = performance.now() - s;
      tf.dispose(out);
      return ms;
    };
    const firstInferenceMs = await infer();
    for (let i = 0; i < warmup; i += 1) await infer();
    const inference = [];
    for (let i = 0; i < runs; i += 1) inference.push(await infer());
    x.dispose();
    model.dispose();
    return { status: 'ok', backend: tf.getBackend(), threads: tf.wasm.getThreadsCount(), threadsAsked: threads,
      multithreadBuild: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')), version: tf.version.tfjs, backendMs, loadMs, firstInferenceMs, inferenceMs: inference };
  } catch (err) {
    return errorResult(err);
  }
}

window.edgewardBench = { runtime, interleaved, tfjs, webgpu,
  info: () => ({ userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated }) };
document.body.dataset.status = 'ready';
