// The 'kernels' backend: a package's int8-kernels variant on Edgeward's own WASM kernels (net.js), asked for
// with {backend: 'kernels'}. Where it cannot run (the package has no such variant, its gate failed, the
// browser has no relaxed SIMD), the worker falls back to the default chain (WebGPU → WASM) and says why.

import { targetedVariant } from '../variants.js';
import { kernelsModule, KernelNet } from './net.js';

export const KERNELS = 'kernels';

/** What inputOver and the worker take from onnxruntime-web: a Tensor is {type, data, dims} here. */
export const KERNEL_TENSORS = {
  Tensor: class {
    constructor(type, data, dims) {
      this.type = type;
      this.data = data;
      this.dims = dims;
    }
  },
};

/**
 * Whether the kernels can run this package under these options: {variant, module} when they can, else
 * {reason}. Only asked when options.backend is 'kernels'.
 */
export async function kernelsFor(manifest, options) {
  const variant = targetedVariant(manifest, KERNELS);
  if (!manifest.preprocess) return { reason: `task '${manifest.task}' takes raw tensors; the kernels run image models` };
  if (!variant) return { reason: "the package has no int8-kernels variant that passed its gate (edgeward quantize --target kernels)" };
  if (options.variant && options.variant !== variant) return { reason: `variant '${options.variant}' was asked for` };
  try {
    return { variant, module: await kernelsModule() };
  } catch (err) {
    return { reason: err.message || String(err) };
  }
}

/** The net for `bytes` (the variant's file), as the worker's {ort, session, backend}. */
export async function createKernelSession(module, bytes, where) {
  const session = await KernelNet.create(module, bytes, where);
  return { ort: KERNEL_TENSORS, session, backend: { name: KERNELS, threads: 1, reason: null } };
}
