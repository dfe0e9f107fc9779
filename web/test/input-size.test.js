// web/src/input-size.js (the inputSize / roiInputSize options against the sizes a package carries) and
// web/src/sized-inputs.js (the worker's one session + Preprocessor + input tensor per size, made on first
// use), with fake model loading: which file each size loads, once, and the errors that name the sizes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  carriesSeveralSizes, normalizeInputSize, resolveInputSize, resolveRoiInputSize, smallestInputSize,
} from '../src/input-size.js';
import { makeInput, SizedInputs } from '../src/sized-inputs.js';
import { normalizePoseOptions } from '../src/tasks/pose.js';

const file = (path) => ({ path, sha256: 'a'.repeat(64), bytes: 10 });
const MANIFEST = Object.freeze({
  name: 'posenet', version: '1.0.0', task: 'pose',
  inputs: [{ name: 'image', dtype: 'float32', shape: [1, 385, 385, 3] }],
  preprocess: { size: [385, 385], scale: 1 / 127.5, offset: -1, pad_value: 0 },
  files: {
    fp32: file('model.fp32.onnx'), int8: file('model.int8.onnx'),
    'fp32@257x257': file('model.fp32.257x257.onnx'), 'int8@257x257': file('model.int8.257x257.onnx'),
    'fp32@321x321': file('model.fp32.321x321.onnx'),
  },
});
const ONE_SIZE = Object.freeze({ ...MANIFEST, files: { fp32: MANIFEST.files.fp32 } });

test('normalizeInputSize: [H, W], a number for a square, null; anything else names the field', () => {
  assert.equal(normalizeInputSize(null), null);
  assert.equal(normalizeInputSize(undefined), null);
  assert.deepEqual(normalizeInputSize(257), [257, 257]);
  assert.deepEqual(normalizeInputSize([257, 193]), [257, 193]);
  for (const bad of [0, -3, 2.5, 8, 5000, '257', [257], [257, 0], [257, 257, 3], [257, '257'], {}, true]) {
    assert.throws(() => normalizeInputSize(bad, 'roiInputSize'), (e) => e instanceof RangeError && /^roiInputSize must be/.test(e.message));
  }
});

test('resolveInputSize: the own size for null, a carried size as asked, else an error naming what is carried', () => {
  assert.deepEqual(resolveInputSize(MANIFEST, null), [385, 385]);
  assert.deepEqual(resolveInputSize(MANIFEST, 385), [385, 385]);
  assert.deepEqual(resolveInputSize(MANIFEST, [257, 257]), [257, 257]);
  assert.deepEqual(resolveInputSize(MANIFEST, 321), [321, 321]);
  assert.throws(() => resolveInputSize(MANIFEST, 200), (e) => e instanceof RangeError
    && e.message === 'inputSize: posenet has no 200x200 input size (it carries 385x385, 321x321, 257x257)');
  assert.throws(() => resolveInputSize(ONE_SIZE, [257, 257]), /it carries 385x385\)/);
});

test('roiInputSize: null, the smallest carried, or a carried size; the package own size when it carries one', () => {
  assert.deepEqual(smallestInputSize(MANIFEST), [257, 257]);
  assert.deepEqual(smallestInputSize(ONE_SIZE), [385, 385]);
  assert.equal(resolveRoiInputSize(MANIFEST, null), null);
  assert.deepEqual(resolveRoiInputSize(MANIFEST, 'smallest'), [257, 257]);
  assert.deepEqual(resolveRoiInputSize(ONE_SIZE, 'smallest'), [385, 385]);
  assert.deepEqual(resolveRoiInputSize(MANIFEST, [321, 321]), [321, 321]);
  assert.throws(() => resolveRoiInputSize(MANIFEST, 'largest'), /roiInputSize must be 'smallest', \[height, width\] or null/);
  assert.throws(() => resolveRoiInputSize(MANIFEST, 100), /^RangeError: roiInputSize: posenet has no 100x100 input size/);
  assert.equal(carriesSeveralSizes(MANIFEST), true);
  assert.equal(carriesSeveralSizes(ONE_SIZE), false);
});

test('pose options: inputSize defaults to null and is checked and normalised to [H, W]', () => {
  assert.equal(normalizePoseOptions().inputSize, null);
  assert.deepEqual(normalizePoseOptions({ inputSize: 257 }).inputSize, [257, 257]);
  assert.throws(() => normalizePoseOptions({ inputSize: [257] }), /^RangeError: inputSize must be an integer or \[height, width\]/);
});

class FakeTensor {
  constructor(type, data, dims) { Object.assign(this, { type, data, dims }); }
}
const ort = { Tensor: FakeTensor };

/** SizedInputs over fake loading: records each file loaded and each session made and released. */
function sized(variant = 'fp32', { failFirst = false } = {}) {
  const log = { loaded: [], released: [] };
  let fail = failFirst;
  const main = { session: { name: 'main', release: async () => log.released.push('main') }, ...makeInput(ort, MANIFEST.inputs[0], MANIFEST.preprocess, [385, 385]) };
  const inputs = new SizedInputs({
    manifest: MANIFEST, packageUrl: '/models/posenet/1.0.0/', variant, options: { numThreads: 2 }, runtime: Promise.resolve('rt'),
    input: MANIFEST.inputs[0], main,
    use: {
      loadModelFile: async (url, entry) => {
        log.loaded.push(entry.path);
        if (fail) { fail = false; throw new Error('network down'); }
        return { buffer: new ArrayBuffer(4) };
      },
      createSession: async (bytes, options, runtime) => {
        assert.equal(options.numThreads, 2); // the main session's options and runtime
        assert.equal(await runtime, 'rt');
        const session = { inputNames: ['image'], release: async () => log.released.push(session.path) };
        session.path = log.loaded.at(-1);
        return { ort, session };
      },
    },
  });
  return { inputs, log, main };
}

test('SizedInputs: the main input for null and the own size; another size made once, on first use', async () => {
  const { inputs, log, main } = sized();
  assert.equal((await inputs.get(null)).session, main.session);
  assert.equal((await inputs.get([385, 385])).session, main.session);
  assert.deepEqual(log.loaded, []);
  const [a, b] = await Promise.all([inputs.get(257), inputs.get([257, 257])]); // concurrent: one load
  assert.equal(a, b);
  assert.deepEqual(log.loaded, ['model.fp32.257x257.onnx']);
  assert.deepEqual(a.size, [257, 257]);
  assert.equal(a.key, 'fp32@257x257');
  assert.deepEqual(a.inputTensor.dims, [1, 257, 257, 3]);
  assert.equal(a.pre.outH, 257);
  assert.equal(a.pre.output.length, 257 * 257 * 3);
  assert.equal(a.intInput, null);
  await assert.rejects(inputs.get(200), /^RangeError: inputSize: posenet has no 200x200 input size \(it carries 385x385, 321x321, 257x257\)$/);
  await inputs.release();
  assert.deepEqual(log.released, ['model.fp32.257x257.onnx']); // the main session is the worker's to release
});

test('SizedInputs: the variant file at that size, else fp32 at that size', async () => {
  const { inputs, log } = sized('int8');
  assert.equal((await inputs.get(257)).key, 'int8@257x257');
  assert.equal((await inputs.get(321)).key, 'fp32@321x321');
  assert.deepEqual(log.loaded, ['model.int8.257x257.onnx', 'model.fp32.321x321.onnx']);
});

test('SizedInputs: a failed load is tried again by the next frame', async () => {
  const { inputs, log } = sized('fp32', { failFirst: true });
  await assert.rejects(inputs.get(257), /network down/);
  assert.deepEqual((await inputs.get(257)).size, [257, 257]);
  assert.equal(log.loaded.length, 2);
});

test('makeInput: int32 inputs (MoveNet) get their own buffer behind the tensor', () => {
  const made = makeInput(ort, { name: 'input', dtype: 'int32' }, { size: [192, 192], scale: 1, offset: 0 }, [160, 160]);
  assert.ok(made.intInput instanceof Int32Array);
  assert.equal(made.inputTensor.data, made.intInput);
  assert.deepEqual(made.inputTensor.dims, [1, 160, 160, 3]);
});
