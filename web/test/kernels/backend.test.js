// The 'kernels' backend says why it cannot run a package (the worker then falls back to the default chain
// with that reason in backend.reason), and its tensors are what the worker's input code makes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KERNEL_TENSORS, kernelsFor } from '../../src/kernels/backend.js';

const made = (target, passed = true) => ({ path: 'm', sha256: 'x', bytes: 1, report: { target, gate_passed: passed } });
const pose = (files) => ({ task: 'pose', preprocess: { size: [385, 385] }, files });

test('the kernels say why they cannot run a package; unasked, quietly', async () => {
  const cases = [
    [pose({ fp32: made(null) }), {}, /the package has no int8-kernels variant that passed its gate/],
    [pose({ fp32: made(null), 'int8-kernels': made('kernels', false) }), {}, /no int8-kernels variant that passed/],
    [pose({ fp32: made(null), 'int8-kernels': made('kernels') }), { variant: 'fp32' }, /variant 'fp32' was asked for/],
    [{ task: 'tensor', files: { fp32: made(null), 'int8-kernels': made('kernels') } }, {}, /task 'tensor' takes raw tensors/],
  ];
  for (const [manifest, options, reason] of cases) {
    for (const backend of [undefined, 'kernels']) {
      const got = await kernelsFor(manifest, { ...options, backend });
      assert.equal(got.module, undefined);
      assert.match(got.reason, reason);
      assert.equal(got.quiet, backend === undefined); // unasked: onnxruntime-web runs, nothing to explain
    }
  }
});

test('a kernels tensor is {type, data, dims}', () => {
  const data = new Float32Array(12);
  const t = new KERNEL_TENSORS.Tensor('float32', data, [1, 2, 2, 3]);
  assert.deepEqual([t.type, t.data, t.dims], ['float32', data, [1, 2, 2, 3]]);
});
