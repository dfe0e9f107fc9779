// The page's side of the worker: the worker's URL and load options (`env`), turning any image source
// into a frame the worker can own, and the request/reply channel. Shared by the task handles
// (edgeward.js) and the trainer (training.js).

import { ortSource } from './backends.js';
import { requestPersistentStorage } from './cache.js';
import { ImageError, WorkerError } from './errors.js';
import { checkImageBlob } from './image-size.js';
import * as protocol from './protocol.js';
import { resolvePackage } from './registry.js';

const { MSG } = protocol;
const EVENTS = new Set([MSG.PROGRESS, MSG.EPOCH]);

/**
 * Options of createPoseDetector, createDetector, createClassifier and loadModel (defaults: `env`).
 * @typedef {object} LoadOptions
 * @property {'webgpu' | 'wasm' | 'kernels'} [backend]  default: WebGPU → Edgeward's kernels (int8-kernels) → WASM threads → WASM
 * @property {number} [numThreads]  WASM threads
 * @property {'fp32' | 'fp16' | 'int8' | 'int8-wasm' | 'int8-kernels'} [variant]  default: the one made for the backend in use
 *   (its report's target), else the first the package has (web/src/variants.js)
 * @property {string | URL} [wasmPaths]  where onnxruntime-web's files are: a folder URL (absolute or relative
 *   to the page), or 'bundled' (import the onnxruntime-web peer dependency through the app's bundler);
 *   default '/vendor/onnxruntime-web/' on the page's origin, what `edgeward serve` serves
 * @property {string | URL} [registry]  an Edgeward registry: the package is then a spec 'NAME@RANGE' it resolves
 * @property {string | URL} [workerUrl]  default: the runtime's worker.js
 * @property {(progress: {file: string, loaded: number, total: number, cached?: boolean}) => void} [onProgress]
 * @property {boolean} [persistStorage]
 */

/**
 * What the runtime takes as an image: a <video>, <img>, <canvas>, ImageBitmap, VideoFrame, Blob / File...
 * @typedef {ImageBitmapSource | VideoFrame} ImageSource
 */

/** Documented defaults for createPoseDetector options. */
export const env = Object.freeze({
  backend: undefined, // 'webgpu' | 'wasm' | 'kernels'; undefined = WebGPU → kernels → WASM threads → WASM
  numThreads: undefined, // undefined = min(4, hardwareConcurrency) when crossOriginIsolated, else 1
  variant: undefined, // 'fp32' | 'fp16' | 'int8' | 'int8-wasm' | 'int8-kernels'; undefined = made for the backend, else the first
  wasmPaths: undefined, // undefined = '/vendor/onnxruntime-web/' on the page's origin; 'bundled'; a folder URL
  registry: undefined, // a registry URL: packageUrl is then 'NAME@RANGE' (resolvePackage)
  workerUrl: undefined, // undefined = the runtime's worker.js (startWorker)
  onProgress: undefined, // ({file, loaded, total, cached}) => void, while model files download
  persistStorage: true, // ask navigator.storage.persist() so cached models survive storage pressure
});

/**
 * Any supported source → a frame the worker can own (it is transferred): a VideoFrame for a playing
 * <video> where the browser has VideoFrame (no copy on this thread: the worker converts it straight
 * into its reused pixel buffer), else an ImageBitmap.
 * @param {ImageSource} source
 * @returns {Promise<VideoFrame | ImageBitmap>}
 */
export async function toFrame(source) {
  if (typeof VideoFrame !== 'undefined') {
    if (source instanceof VideoFrame) return source;
    if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement && source.readyState >= 2) {
      try {
        return new VideoFrame(source, { timestamp: Math.round(source.currentTime * 1e6) });
      } catch {
        // e.g. a frame the browser cannot wrap (some codecs): the ImageBitmap path below copies it
      }
    }
  }
  return toImageBitmap(source);
}

/**
 * Any supported source → an ImageBitmap the worker can own (it is transferred).
 * @param {ImageSource} source
 * @returns {Promise<ImageBitmap>}
 */
export async function toImageBitmap(source) {
  if (typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap) return source;
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    await checkImageBlob(source); // a decompression bomb is refused on its header, before decoding
    try {
      return await createImageBitmap(source, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    } catch (err) {
      const name = source instanceof File ? `'${source.name}'` : 'the file';
      throw new ImageError(`${name} is not a readable image (${source.type || 'unknown type'}): ${err.message}`, { cause: err });
    }
  }
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement && source.readyState < 2) {
    throw new ImageError('the video has no frame yet (readyState < HAVE_CURRENT_DATA)');
  }
  return createImageBitmap(source);
}

/**
 * The inference worker: the one at `url` (an app's own, e.g. apps/playground/worker.js, which imports
 * the runtime's), else the runtime's worker.js next to this module. The second `new Worker` is written
 * exactly as bundlers look for it (a literal `new URL('./worker.js', import.meta.url)` and static
 * options), so Vite, webpack 5 and Parcel bundle worker.js as a worker entry of the app.
 * @param {string | URL} [url]
 */
export function startWorker(url) {
  if (url) return new Worker(url, { type: 'module', name: 'edgeward' });
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'edgeward' });
}

/** One request → one reply over a module worker, matched by id; events in between go to the caller. */
export class RpcWorker {
  /** @param {string | URL} [url]  the worker's script (default: the runtime's, see startWorker) */
  constructor(url) {
    this.worker = startWorker(url);
    this.nextId = 1;
    this.pending = new Map();
    this.worker.onmessage = (event) => this._receive(event.data);
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      this._failAll(new WorkerError(event.message || 'the inference worker failed to start'));
    };
    this.worker.onmessageerror = () => this._failAll(new WorkerError('a worker message could not be read'));
  }

  /**
   * Send the request `make(id)` and wait for its one reply. `onEvent(msg)` gets the request's events
   * before that (download PROGRESS, training EPOCH): they are not replies.
   */
  call(make, transfer = [], onEvent = null) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage(make(id), transfer);
    });
  }

  /** Post a message that gets no reply (e.g. CANCEL of a running request). */
  send(message) {
    this.worker.postMessage(message);
  }

  /** The id the next call() will use (so a caller can name it in a later CANCEL). */
  peekId() {
    return this.nextId;
  }

  _receive(msg) {
    if (msg.type === MSG.ERROR && msg.id === null) { // the worker as a whole cannot go on
      this._failAll(protocol.deserializeError(msg.error));
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (EVENTS.has(msg.type)) { // not a reply: the request is still in flight
      try {
        p.onEvent?.(msg);
      } catch (err) {
        console.warn(`[edgeward] a ${msg.type} callback threw:`, err);
      }
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === MSG.ERROR) p.reject(protocol.deserializeError(msg.error));
    else p.resolve(msg);
  }

  _failAll(error) {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  terminate() {
    this._failAll(new DOMException('the model was disposed', 'AbortError'));
    this.worker.terminate();
  }
}

/**
 * Start a worker on a package and wait for its READY: {rpc, ready}. Shared by the task APIs.
 * The worker is terminated if loading fails.
 */
export async function openWorker(packageUrl, options = {}) {
  const opts = { ...env, ...options };
  const { workerUrl, onProgress, persistStorage, registry, ...workerOptions } = opts;
  // resolved here, against the page's URL (the worker's own would differ), and sent as strings
  workerOptions.wasmPaths = ortSource(opts.wasmPaths, globalThis.location?.href);
  const found = registry ? (await resolvePackage(String(packageUrl), registry)).url : packageUrl;
  const base = new URL(found, globalThis.location?.href).href;
  const url = base.endsWith('/') ? base : `${base}/`;
  const rpc = new RpcWorker(workerUrl);
  try {
    const persisting = persistStorage ? requestPersistentStorage() : Promise.resolve(null); // in parallel
    const onEvent = onProgress && ((m) => onProgress({ file: m.file, loaded: m.loaded, total: m.total, cached: m.cached }));
    const ready = await rpc.call((id) => protocol.init(id, url, workerOptions), [], onEvent);
    const persisted = await persisting;
    if (ready.cache && persisted !== null) ready.cache.persisted = persisted;
    return { rpc, ready };
  } catch (err) {
    rpc.terminate();
    throw err;
  }
}

