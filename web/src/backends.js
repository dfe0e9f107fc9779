// onnxruntime-web's backend choice: WebGPU when an adapter is available → WASM with threads when the page is
// cross-origin isolated → WASM with one thread. Always reports the backend actually used, and why
// it is not the preferred one; never a silent fallback. (Before these, unasked, the worker runs a package's
// int8-kernels variant on Edgeward's own kernels where it can: kernels/backend.js.)
//
// Options: {backend: 'webgpu' | 'wasm' (default: auto), numThreads: n (default: auto),
// wasmPaths: where onnxruntime-web's files are (default: VENDOR_PATH on this origin; see ortSource)}.
// Reported: {name: 'webgpu' | 'wasm', threads, reason (null, or why we fell back)}.

import { ToolMissingError } from './errors.js';

export const VENDOR_PATH = '/vendor/onnxruntime-web/'; // what `edgeward serve` serves
export const BUNDLED = 'bundled'; // wasmPaths: onnxruntime-web through the app's bundler (the peer dependency)
export const ORT_WASM_MODULE = 'ort.wasm.min.mjs'; // CPU only: smaller, loads ort-wasm-simd-threaded.*
export const ORT_ALL_MODULE = 'ort.all.min.mjs';   // adds the WebGPU execution provider
export const MAX_AUTO_THREADS = 4;

const scope = () => globalThis;

export function vendorUrl(origin = scope().location.origin) {
  return new URL(VENDOR_PATH, origin).href; // onnxruntime-web wants an absolute URL ending in '/'
}

/**
 * Where onnxruntime-web comes from under the `wasmPaths` option: 'bundled', or the absolute URL
 * (ending in '/') of a folder holding its dist files (ort.*.min.mjs, ort-wasm-simd-threaded.*) —
 * `wasmPaths` resolved against `base` (the page: the page side resolves it before the worker sees it).
 * @param {string | URL | undefined} wasmPaths  default: VENDOR_PATH on `base`'s origin
 * @param {string} [base]
 */
export function ortSource(wasmPaths, base = scope().location?.href) {
  if (wasmPaths === BUNDLED) return BUNDLED;
  if (wasmPaths !== undefined && wasmPaths !== null && typeof wasmPaths !== 'string' && !(wasmPaths instanceof URL)) {
    throw new TypeError(`wasmPaths must be a URL (string) or '${BUNDLED}', got ${typeof wasmPaths}`);
  }
  let url;
  try {
    url = new URL(wasmPaths || VENDOR_PATH, base).href;
  } catch {
    throw new TypeError(`wasmPaths '${wasmPaths}' is not a URL (and there is no page URL to resolve it against)`);
  }
  return url.endsWith('/') ? url : `${url}/`;
}

/** Threads for the WASM backend under these options, and why it is fewer than asked, if so. */
export function wasmThreads(options = {}) {
  const isolated = Boolean(scope().crossOriginIsolated);
  const cores = scope().navigator?.hardwareConcurrency || 1;
  const auto = cores >= 2 ? Math.max(2, Math.min(MAX_AUTO_THREADS, cores)) : 1;
  const asked = options.numThreads ?? auto;
  if (!Number.isInteger(asked) || asked < 1) throw new RangeError(`numThreads must be an integer >= 1, got ${asked}`);
  if (asked > 1 && !isolated) {
    return { threads: 1, reason: `wasm threads need crossOriginIsolated (COOP/COEP headers); asked for ${asked}` };
  }
  return { threads: asked, reason: null };
}

/** A WebGPU adapter, or null and the reason there is none. */
export async function probeWebGPU() {
  const gpu = /** @type {any} */ (scope().navigator)?.gpu; // WebGPU types are not in TypeScript's lib
  if (!gpu) return { adapter: null, reason: 'navigator.gpu is not available' };
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? { adapter, reason: null } : { adapter: null, reason: 'navigator.gpu.requestAdapter() gave no adapter' };
  } catch (err) {
    return { adapter: null, reason: `navigator.gpu.requestAdapter() failed: ${err.message || err}` };
  }
}

/** onnxruntime-web's module: the CPU-only build, or the one with WebGPU (`gpu`), from `source` (ortSource). */
async function importOrt(source, gpu) {
  if (source !== BUNDLED) {
    const url = new URL(gpu ? ORT_ALL_MODULE : ORT_WASM_MODULE, source).href;
    try { // a URL at run time: bundlers must leave this import alone
      return await import(/* webpackIgnore: true */ /* @vite-ignore */ url);
    } catch (err) {
      throw new ToolMissingError(`onnxruntime-web could not be loaded from ${url} (${err.message || err}): serve its dist `
        + `files there (edgeward serve does) or set the wasmPaths option`, { cause: err });
    }
  }
  try { // bare specifiers: the app's bundler resolves the peer dependency and emits its .wasm with the app
    return gpu ? await import('onnxruntime-web/all') : await import('onnxruntime-web/wasm');
  } catch (err) {
    throw new ToolMissingError(`wasmPaths '${BUNDLED}': onnxruntime-web could not be imported (${err.message || err}); `
      + 'this needs a bundler (e.g. Vite) and onnxruntime-web installed next to @edgeward/runtime', { cause: err });
  }
}

// A 65-byte ONNX model (Identity on float[1]). A session on it makes onnxruntime-web fetch, compile and
// instantiate its WASM and start its threads: done while the model downloads, not after.
const PRIMER_MODEL = 'CAg6NwoQCgF4EgF5IghJZGVudGl0eRIBZ1oPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEA0=';

/**
 * Start onnxruntime-web for these options, independent of any model: choose the backend, import the
 * module, initialise its WASM runtime. The worker starts this before it fetches the model.
 * Returns {ort, want, threads, reason, gpuProbe}.
 */
export async function prepareRuntime(options = {}) {
  const want = options.backend ?? 'auto';
  if (!['auto', 'webgpu', 'wasm'].includes(want)) throw new RangeError(`backend must be 'webgpu' or 'wasm', got '${want}'`);
  const wasm = wasmThreads(options);
  let gpuProbe = { adapter: null, reason: 'backend forced to wasm' };
  if (want !== 'wasm') gpuProbe = await probeWebGPU();
  const source = ortSource(options.wasmPaths, vendorUrl());
  const ort = await importOrt(source, Boolean(gpuProbe.adapter));
  if (source !== BUNDLED) ort.env.wasm.wasmPaths = source; // bundled: the bundle knows its .wasm URL
  ort.env.wasm.numThreads = wasm.threads; // set explicitly: ort defaults to 1 thread on 2 cores
  ort.env.wasm.proxy = false; // we already are in a worker
  ort.env.logLevel = options.logLevel ?? 'warning';
  const primer = await ort.InferenceSession.create(Uint8Array.from(atob(PRIMER_MODEL), (c) => c.charCodeAt(0)),
    { executionProviders: ['wasm'] });
  await primer.release();
  return { ort, want, threads: wasm.threads, reason: wasm.reason, gpuProbe };
}

/**
 * Create an onnxruntime-web InferenceSession for `modelBytes` (Uint8Array) on the best backend the
 * options allow, on a runtime from prepareRuntime (started here when not given). Returns {ort, session, backend}.
 */
export async function createSession(modelBytes, options = {}, prepared = prepareRuntime(options)) {
  const { ort, want, threads, reason: threadsReason } = await prepared;
  let { gpuProbe } = await prepared;
  if (gpuProbe.adapter) {
    try {
      ort.env.webgpu.adapter = gpuProbe.adapter;
      const session = await ort.InferenceSession.create(modelBytes, { executionProviders: ['webgpu'] });
      return { ort, session, backend: { name: 'webgpu', threads, reason: null } };
    } catch (err) {
      gpuProbe = { adapter: null, reason: `WebGPU session creation failed: ${err.message || err}` };
    }
  }
  const reason = want !== 'wasm' ? [gpuProbe.reason, threadsReason].filter(Boolean).join('; ') : threadsReason;
  const session = await ort.InferenceSession.create(modelBytes, {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all',
  });
  return { ort, session, backend: { name: 'wasm', threads, reason: reason || null } };
}
