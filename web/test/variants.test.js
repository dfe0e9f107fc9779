// web/src/variants.js: which model file the worker runs. The cases and their answers come from the Python
// oracle (pick_variant in src/edgeward/package/manifest.py; tests/web/variant_fixtures.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { chooseVariant, pickVariant, plannedBackend, targetedVariant, VARIANTS } from '../src/variants.js';
import { loadFixture } from './helpers.js';

const { cases } = loadFixture('variants');

test('the same variant as Python for every package, backend and wish', () => {
  assert.ok(cases.length >= 60);
  for (const c of cases) {
    const what = `${c.name} on ${c.backend}, wanted ${c.wanted}`;
    const manifest = { files: c.files };
    if (c.error) {
      assert.throws(() => pickVariant(manifest, c.wanted, c.backend), (err) => err.name === 'ManifestError'
        && err.message === c.error, what);
    } else {
      assert.equal(pickVariant(manifest, c.wanted, c.backend), c.variant, what);
    }
  }
});

test('only a variant made for the backend, whose gate passed, is picked unasked', () => {
  const made = (target, passed = true) => ({ path: 'm.onnx', report: { target, gate_passed: passed } });
  assert.equal(targetedVariant({ files: { fp32: {}, 'int8-wasm': made('wasm') } }, 'wasm'), 'int8-wasm');
  assert.equal(targetedVariant({ files: { fp32: {}, 'int8-wasm': made('wasm') } }, 'webgpu'), null);
  assert.equal(targetedVariant({ files: { fp32: {}, 'int8-wasm': made('wasm', false) } }, 'wasm'), null);
  assert.equal(targetedVariant({ files: { fp32: {}, head: made('wasm') } }, 'wasm'), null); // not a model file
  assert.equal(targetedVariant({ files: { fp32: {}, 'int8-kernels': made('kernels') } }, 'kernels'), 'int8-kernels');
  assert.equal(targetedVariant({ files: { fp32: {}, 'int8-kernels': made('kernels') } }, 'wasm'), null);
  assert.deepEqual(VARIANTS, ['fp32', 'fp16', 'int8', 'int8-wasm', 'int8-kernels']);
});

test('the backend is only probed when the package has a variant made for one', async () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator'); // Node 21+ has one
  let probes = 0;
  const navigator = { gpu: { requestAdapter: async () => { probes += 1; return null; } } };
  Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true });
  try {
    const plain = { files: { fp32: {}, int8: { report: { gate_passed: true } } } };
    assert.equal(await chooseVariant(plain, undefined, {}), 'fp32');
    assert.equal(probes, 0);
    const tuned = { files: { fp32: {}, 'int8-wasm': { report: { target: 'wasm', gate_passed: true } } } };
    assert.equal(await chooseVariant(tuned, undefined, { backend: 'wasm' }), 'int8-wasm');
    assert.equal(probes, 0); // WASM asked for: nothing to probe
    assert.equal(await chooseVariant(tuned, undefined, {}), 'int8-wasm'); // no adapter: WASM
    assert.equal(probes, 1);
    assert.equal(await chooseVariant(tuned, 'fp32', {}), 'fp32');
    navigator.gpu.requestAdapter = async () => ({});
    assert.equal(await plannedBackend({}), 'webgpu');
    assert.equal(await chooseVariant(tuned, undefined, {}), 'fp32'); // WebGPU: nothing made for it
  } finally {
    if (saved) Object.defineProperty(globalThis, 'navigator', saved);
    else delete globalThis.navigator;
  }
});
