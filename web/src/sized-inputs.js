// The worker's model inputs, one per input size a package carries (sizes.js, input-size.js): the
// package's own, made by handleInit (its session, Preprocessor and input tensor), and each other size
// made on the first frame that asks for it. That size's file (files['<variant>@HxW'], else fp32's) is
// fetched and verified through the model cache like the main one, and its session created on the same
// onnxruntime-web runtime with the same options (backend, threads). A frame's estimate then pre-processes
// into that size's input and decodes with that size (output dims follow the input).

import { createSession } from './backends.js';
import { loadModelFile } from './cache.js';
import { ManifestError } from './errors.js';
import { resolveInputSize } from './input-size.js';
import { Preprocessor, toInt32Input } from './preprocess.js';
import { fileForSize } from './sizes.js';

/**
 * @typedef {object} SizedInput
 * @property {[number, number]} size  [H, W] of the model input
 * @property {string} key  the manifest files key ('fp32', 'fp32@257x257', …)
 * @property {any} session  the onnxruntime-web InferenceSession
 * @property {Preprocessor} pre
 * @property {any} inputTensor  the reused input tensor, filled from pre.output per frame
 * @property {Int32Array | null} intInput  the int32 buffer behind inputTensor (MoveNet), else null
 */

/**
 * The reused input tensor of `input` (a manifest input) over `pre`'s buffer at `size`: int32 inputs
 * (MoveNet) get their own buffer, refilled from the float letterbox per frame.
 */
export function inputOver(ort, input, pre, size) {
  pre.output.fill(Math.fround(pre.padValue));
  const intInput = input.dtype === 'int32' ? toInt32Input(pre.output) : null;
  const inputTensor = new ort.Tensor(input.dtype, intInput ?? pre.output, [1, size[0], size[1], 3]);
  return { pre, inputTensor, intInput };
}

/** A Preprocessor and the reused input tensor over its buffer, for `input` at `size`. */
export function makeInput(ort, input, preprocess, size) {
  return inputOver(ort, input, new Preprocessor({ ...preprocess, size }), size);
}

export class SizedInputs {
  /**
   * @param {object} init
   * @param {any} init.manifest @param {string} init.packageUrl @param {string} init.variant  the main file's key
   * @param {any} init.options  the load options (backend, numThreads, …) @param {Promise<any>} init.runtime  prepareRuntime's
   * @param {any} init.input  manifest.inputs[0]
   * @param {{session: any, pre: Preprocessor, inputTensor: any, intInput: Int32Array | null}} init.main
   * @param {{loadModelFile?: Function, createSession?: Function}} [init.use]  (tests pass their own)
   * @param {{ort: any} | null} [init.anySize]  the main session runs at any input size (Edgeward's kernels):
   *   every size the package carries uses it, with its own input made with this `ort`'s Tensor
   */
  constructor({ manifest, packageUrl, variant, options, runtime, input, main, use = {}, anySize = null }) {
    this.anySize = anySize;
    this.manifest = manifest;
    this.packageUrl = packageUrl;
    this.variant = variant;
    this.options = options;
    this.runtime = runtime;
    this.input = input;
    this.use = { loadModelFile, createSession, ...use };
    /** @type {[number, number]} */
    const size = [manifest.preprocess.size[0], manifest.preprocess.size[1]];
    /** @type {SizedInput} */
    this.main = { size, key: variant, ...main };
    /** @type {Map<string, Promise<SizedInput>>} by 'HxW' */
    this.made = new Map([[size.join('x'), Promise.resolve(this.main)]]);
  }

  /**
   * The input for the `inputSize` option (null: the package's own), made on first use; a RangeError
   * naming the sizes carried for one the package does not carry.
   * @returns {Promise<SizedInput>}
   */
  async get(inputSize) { // (no await before the map is consulted: concurrent calls share one load)
    if (inputSize === null || inputSize === undefined) return this.main;
    const size = resolveInputSize(this.manifest, inputSize);
    const id = size.join('x');
    let made = this.made.get(id);
    if (!made) {
      made = this.make(size);
      this.made.set(id, made);
      made.catch(() => this.made.delete(id)); // a failed download can be tried again by the next frame
    }
    return made;
  }

  /** @returns {Promise<SizedInput>} */
  async make(size) {
    if (this.anySize) {
      const made = makeInput(this.anySize.ort, this.input, this.manifest.preprocess, size);
      return { size, key: this.variant, session: this.main.session, ...made };
    }
    const { key, entry } = fileForSize(this.manifest, this.variant, size);
    const file = await this.use.loadModelFile(this.packageUrl, entry);
    const { ort, session } = await this.use.createSession(new Uint8Array(file.buffer), this.options, this.runtime);
    const name = this.input.name;
    if (session.inputNames && !session.inputNames.includes(name)) {
      await session.release?.();
      throw new ManifestError(`file '${key}' (${entry.path}): the model has no input '${name}' (has ${session.inputNames.join(', ')})`);
    }
    return { size, key, session, ...makeInput(ort, this.input, this.manifest.preprocess, size) };
  }

  /** Release every session made here (the main one is the caller's). */
  async release() {
    const made = [...this.made.values()];
    this.made.clear();
    for (const p of made) {
      const sized = await p.catch(() => null);
      if (sized && sized !== this.main && sized.session !== this.main.session) await sized.session.release?.();
    }
  }
}
