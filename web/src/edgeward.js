// Edgeward browser runtime: public API.
//
//   const detector = await createPoseDetector('/models/posenet/1.0.0/', {backend, numThreads, variant});
//   const poses = await detector.estimatePoses(source, {maxPoses, scoreThreshold, nmsRadius, flipHorizontal});
//   detector.backend   // {name: 'wasm' | 'webgpu', threads, reason, variant}
//   detector.manifest  // the validated manifest
//   detector.dispose();
//
// Poses: [{score, keypoints: [{name, x, y, score}]}] in the source's pixel coordinates, identical
// to the Python runtime's `edgeward.tasks.pose.estimate_poses`.

import * as protocol from './protocol.js';
import { normalizePoseOptions } from './tasks/pose.js';

export { drawPoses } from './draw.js';
export { DEFAULT_POSE_OPTIONS } from './tasks/pose.js';

const { MSG } = protocol;

/** Documented defaults for createPoseDetector options. */
export const env = Object.freeze({
  backend: undefined, // 'webgpu' | 'wasm'; undefined = WebGPU → WASM threads → WASM
  numThreads: undefined, // undefined = min(4, hardwareConcurrency) when crossOriginIsolated, else 1
  variant: undefined, // 'fp32' | 'fp16' | 'int8'; undefined = first of those the package has
  workerUrl: new URL('./worker.js', import.meta.url).href,
});

/** Any supported source → an ImageBitmap the worker can own (it is transferred). */
export async function toImageBitmap(source) {
  if (typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap) return source;
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    try {
      return await createImageBitmap(source, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    } catch (err) {
      const name = source.name ? `'${source.name}'` : 'the file';
      const e = new Error(`${name} is not a readable image (${source.type || 'unknown type'}): ${err.message}`);
      e.name = 'ImageError';
      throw e;
    }
  }
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement && source.readyState < 2) {
    const e = new Error('the video has no frame yet (readyState < HAVE_CURRENT_DATA)');
    e.name = 'ImageError';
    throw e;
  }
  return createImageBitmap(source);
}

class RpcWorker {
  constructor(url) {
    this.worker = new Worker(url, { type: 'module', name: 'edgeward' });
    this.nextId = 1;
    this.pending = new Map();
    this.worker.onmessage = (event) => this._receive(event.data);
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      this._failAll({ name: 'WorkerError', message: event.message || 'the inference worker failed to start' });
    };
    this.worker.onmessageerror = () => this._failAll({ name: 'WorkerError', message: 'a worker message could not be read' });
  }

  call(make, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(make(id), transfer);
    });
  }

  _receive(msg) {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === MSG.ERROR) p.reject(protocol.deserializeError(msg.error));
    else p.resolve(msg);
  }

  _failAll(error) {
    for (const p of this.pending.values()) p.reject(protocol.deserializeError(error));
    this.pending.clear();
  }

  terminate() {
    this._failAll({ name: 'AbortError', message: 'the detector was disposed' });
    this.worker.terminate();
  }
}

export async function createPoseDetector(packageUrl, options = {}) {
  const opts = { ...env, ...options };
  const base = new URL(packageUrl, globalThis.location?.href).href;
  const url = base.endsWith('/') ? base : `${base}/`;
  const rpc = new RpcWorker(opts.workerUrl);
  let ready;
  try {
    const { workerUrl, ...workerOptions } = opts; // eslint-disable-line no-unused-vars
    ready = await rpc.call((id) => protocol.init(id, url, workerOptions));
  } catch (err) {
    rpc.terminate();
    throw err;
  }
  let disposed = false;
  return {
    manifest: ready.manifest,
    backend: ready.backend,
    loadTimings: ready.timings,
    lastTimings: null,
    async estimatePoses(source, poseOptions = {}) {
      if (disposed) throw Object.assign(new Error('the detector was disposed'), { name: 'AbortError' });
      const o = normalizePoseOptions(poseOptions);
      const bitmap = await toImageBitmap(source);
      const reply = await rpc.call((id) => protocol.estimate(id, bitmap, o), [bitmap]);
      this.lastTimings = reply.timings;
      return reply.poses;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      try {
        await rpc.call((id) => protocol.dispose(id));
      } finally {
        rpc.terminate();
      }
    },
  };
}
