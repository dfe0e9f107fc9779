// The 'kernels' backend: a package's int8-kernels variant on Edgeward's own WASM kernels (net.js). Unasked
// (no backend option) the runtime takes it where it can — the package has such a variant whose gate passed,
// no variant was asked for, the browser has no WebGPU adapter and has relaxed SIMD — and onnxruntime-web
// otherwise. Asked for with {backend: 'kernels'}, where it cannot run the worker falls back to the default
// chain (WebGPU → WASM) and says why in backend.reason.

import { probeWebGPU } from '../backends.js';
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

/** Whether the backend option leaves the choice to the runtime. */
export const isAuto = (backend) => backend === undefined || backend === null || backend === 'auto';

/**
 * Whether the kernels run this package under these options: {variant, module} when they do, else {reason,
 * quiet}. `quiet`: unasked (options.backend unset), nothing the user needs told — the package has no kernels
 * file, takes raw tensors, another variant was asked for, or WebGPU is there; a package with the file on a
 * browser that cannot run it is said.
 */
export async function kernelsFor(manifest, options) {
  const quiet = isAuto(options.backend);
  const variant = targetedVariant(manifest, KERNELS);
  if (!manifest.preprocess) return { reason: `task '${manifest.task}' takes raw tensors; the kernels run image models`, quiet };
  if (!variant) return { reason: "the package has no int8-kernels variant that passed its gate (edgeward quantize --target kernels)", quiet };
  if (options.variant && options.variant !== variant) return { reason: `variant '${options.variant}' was asked for`, quiet };
  if (quiet && (await probeWebGPU()).adapter) return { reason: 'a WebGPU adapter is there', quiet };
  try {
    return { variant, module: await kernelsModule() };
  } catch (err) {
    return { reason: err.message || String(err), quiet: false };
  }
}

/** The net for `bytes` (the variant's file), as the worker's {ort, session, backend}. */
export async function createKernelSession(module, bytes, where) {
  const session = await KernelNet.create(module, bytes, where);
  return { ort: KERNEL_TENSORS, session, backend: { name: KERNELS, threads: 1, reason: null } };
}
