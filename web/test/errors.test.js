// web/src/errors.js: Python's error names, classes that survive the worker boundary. (tests/test_errors.py
// checks the names and parents against src/edgeward/errors.py.)
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  ConversionError, deserializeError, EdgewardError, ERROR_CLASSES, IntegrityError, ManifestError, ModelFormatError,
  serializeError,
} from '../src/errors.js';

test('every class carries its own name and extends EdgewardError', () => {
  for (const [name, Class] of Object.entries(ERROR_CLASSES)) {
    const err = new Class('x');
    assert.equal(err.name, name);
    assert.ok(err instanceof EdgewardError && err instanceof Error, name);
    assert.equal(String(err), `${name}: x`);
  }
  assert.ok(new ModelFormatError('x') instanceof ConversionError);
});

test('an error crosses structured clone and comes back as the same class, its stack as cause', () => {
  const thrown = new IntegrityError('model.fp32.onnx: sha256 does not match');
  const data = structuredClone(serializeError(thrown));
  assert.deepEqual(Object.keys(data).sort(), ['message', 'name', 'stack']);
  const back = deserializeError(data);
  assert.ok(back instanceof IntegrityError);
  assert.equal(back.message, thrown.message);
  assert.equal(back.cause.stack, thrown.stack);
  assert.notEqual(back.stack, thrown.stack);
});

test('built-ins, DOMExceptions and unknown names are rebuilt too', () => {
  assert.ok(deserializeError(serializeError(new RangeError('maxPoses'))) instanceof RangeError);
  assert.ok(deserializeError(serializeError(new TypeError('feeds'))) instanceof TypeError);
  const abort = deserializeError({ name: 'AbortError', message: 'disposed' });
  assert.ok(abort instanceof DOMException && abort.name === 'AbortError');
  const odd = deserializeError({ name: 'Weird', message: 'm' });
  assert.ok(odd instanceof Error && odd.name === 'Weird' && !(odd instanceof EdgewardError));
  assert.equal(deserializeError(null).message, 'unknown worker error');
  assert.deepEqual(serializeError('plain string'), { name: 'Error', message: 'plain string', stack: '' });
  assert.ok(deserializeError(serializeError(new ManifestError('m'))) instanceof ManifestError);
});
