// web/src/protocol.js: every reply carries its request's id; errors travel as {name, message, stack}.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ImageError } from '../src/errors.js';
import * as protocol from '../src/protocol.js';

test('message builders carry type and id', () => {
  const { MSG } = protocol;
  assert.deepEqual(protocol.init(1, '/models/x/', { numThreads: 2 }), { type: MSG.INIT, id: 1, packageUrl: '/models/x/', options: { numThreads: 2 } });
  assert.equal(protocol.estimate(2, null).type, MSG.ESTIMATE);
  assert.deepEqual(protocol.result(3, { poses: [] }, { inferenceMs: 1 }), { type: MSG.RESULT, id: 3, poses: [], timings: { inferenceMs: 1 } });
  assert.deepEqual(protocol.progress(4, { file: 'm.onnx', loaded: 1, total: 2 }), { type: MSG.PROGRESS, id: 4, file: 'm.onnx', loaded: 1, total: 2, cached: false });
  assert.equal(new Set(Object.values(MSG)).size, Object.keys(MSG).length, 'message types are distinct');
});

test('an error reply rebuilds the thrown class', () => {
  const reply = structuredClone(protocol.error(7, new ImageError('photo.heic is not a readable image')));
  assert.equal(reply.type, protocol.MSG.ERROR);
  assert.equal(reply.id, 7);
  const err = protocol.deserializeError(reply.error);
  assert.ok(err instanceof ImageError);
  assert.match(err.cause.stack, /ImageError/);
});
