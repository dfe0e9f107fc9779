// web/src/tasks/index.js: the task table the worker, the API and the bench page dispatch on.
// (tests/tasks/test_table.py checks it against Python's TASKS.)
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Letterbox } from '../../src/preprocess.js';
import { TASKS } from '../../src/tasks/index.js';
import { loadFixture } from '../helpers.js';

test('every task names a factory, a method, a result and frozen defaults', () => {
  assert.deepEqual(Object.keys(TASKS), ['pose', 'detect', 'classify', 'tensor', 'features']);
  for (const [name, task] of Object.entries(TASKS)) {
    assert.equal(task.name, name);
    assert.ok(Object.isFrozen(task.defaults), name);
    assert.deepEqual(task.normalize({}), { ...task.defaults }, `${name}: normalize({}) gives the defaults`);
    assert.equal(typeof task.factory, 'string');
    assert.equal(Boolean(task.decode), Boolean(task.decodeFrame), `${name}: a decoder and its frame adapter go together`);
  }
  assert.equal(TASKS.tensor.decode, null);
  assert.ok(TASKS.pose.roi && !TASKS.detect.roi && !TASKS.classify.roi);
});

test("decodeFrame gives the worker's reply payload", () => {
  const run = loadFixture('decoders').pose.find((r) => r.postprocess.kind === 'posenet' && !r.crop);
  const outputs = Object.fromEntries(Object.entries(run.outputs).map(([k, t]) => [k, { dims: t.dims, data: Float32Array.from(t.data) }]));
  const b = run.box;
  const c = run.cases[0];
  const payload = TASKS.pose.decodeFrame({
    manifest: { postprocess: run.postprocess, preprocess: { size: run.inputSize } }, outputs,
    box: new Letterbox(b.scale, b.padX, b.padY, b.imageW, b.imageH), options: TASKS.pose.normalize(c.options),
    frame: run.frame, scratch: {},
  });
  assert.deepEqual(Object.keys(payload), ['poses']);
  assert.equal(payload.poses.length, c.poses.length);
});
