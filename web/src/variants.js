// Which model file of a package the worker runs: the one asked for, else the one made for the backend
// the runtime will use (its report's `target`, e.g. 'int8-wasm' from `edgeward quantize --target wasm`),
// else the first of VARIANTS the package has. pick_variant in src/edgeward/package/manifest.py is the
// oracle; web/test/variants.test.js checks this against its answers.

import { probeWebGPU } from './backends.js';
import { ManifestError } from './errors.js';

/** The files that are the whole model, in the order a runtime falls back on (manifest.py: MODEL_VARIANTS). */
export const VARIANTS = ['fp32', 'fp16', 'int8', 'int8-wasm', 'int8-kernels'];

const has = (files, name) => Object.prototype.hasOwnProperty.call(files, name);

/** The variant made for `backend` ('wasm' | 'webgpu'): its report names it as target, its gate passed. */
export function targetedVariant(manifest, backend) {
  return VARIANTS.find((name) => {
    const report = has(manifest.files, name) ? manifest.files[name].report : null;
    return Boolean(report && report.target === backend && report.gate_passed);
  }) ?? null;
}

/**
 * The variant to run on `backend`: `wanted` when given (an error naming the field if the package has
 * none), else the one made for `backend`, else the first of VARIANTS the package has.
 * @param {import('./manifest.js').Manifest} manifest @param {string | undefined | null} wanted
 * @param {string} backend  'wasm' | 'webgpu'
 */
export function pickVariant(manifest, wanted, backend) {
  if (wanted) {
    if (wanted.includes('@')) { // a size key such as 'fp32@257x257' (or a malformed one): never a variant
      throw new ManifestError(`field 'files': '${wanted}' is a file for another input size, not a variant `
        + `(ask for '${wanted.slice(0, wanted.indexOf('@'))}' and that input size)`);
    }
    if (!has(manifest.files, wanted)) {
      throw new ManifestError(`field 'files' has no '${wanted}' variant (has ${Object.keys(manifest.files).join(', ')})`);
    }
    return wanted;
  }
  const made = targetedVariant(manifest, backend);
  if (made) return made;
  const v = VARIANTS.find((name) => has(manifest.files, name));
  if (!v) throw new ManifestError(`field 'files' lists no model file (${VARIANTS.join(', ')})`);
  return v;
}

/**
 * The backend createSession (backends.js) will pick under these options, told before the model is
 * fetched: 'wasm' when asked for, else 'webgpu' when there is an adapter. (Should WebGPU session
 * creation fail afterwards, the model chosen for WebGPU runs on WASM; the worker reports both.)
 */
export async function plannedBackend(options = {}) {
  if (options.backend === 'wasm') return 'wasm';
  return (await probeWebGPU()).adapter ? 'webgpu' : 'wasm';
}

/**
 * pickVariant for the backend the runtime will use; the backend is only probed when it matters
 * (no variant asked for, and the package has one made for some backend).
 */
export async function chooseVariant(manifest, wanted, options = {}) {
  const targeted = ['wasm', 'webgpu'].some((b) => targetedVariant(manifest, b));
  return pickVariant(manifest, wanted, wanted || !targeted ? 'wasm' : await plannedBackend(options));
}
