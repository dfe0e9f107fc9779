// web/src/federated/{messages,params,pull}.js against the Python protocol: the update header and payload
// client.py sends for the same delta, control messages checked as pydantic checks them, refusal codes
// as validate.REFUSALS' classes (across the worker boundary too), and a version the coordinator
// published read into the same parameter vector as read_params.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { clearCachedModels } from '../../src/cache.js';
import * as errors from '../../src/errors.js';
import { decodeUpdate, encodeUpdate, parseMessage, REFUSALS, refusal, updateHeader } from '../../src/federated/messages.js';
import { paramsFromPackage } from '../../src/federated/params.js';
import { pullVersion } from '../../src/federated/pull.js';
import { sha256Hex } from '../../src/integrity.js';
import { validateManifest } from '../../src/manifest.js';
import { loadFixture } from '../helpers.js';

const fx = loadFixture('federated');
const read = (file) => JSON.parse(fs.readFileSync(new URL(file, import.meta.url), 'utf8'));
const schema = read('../../src/federated/protocol.schema.json');
const manifestSchema = read('../../src/manifest.schema.json');

test('the update payload and header are client.py\'s for the same delta', async () => {
  const h = fx.header;
  const train = fx.train[h.train];
  const payload = encodeUpdate(Float32Array.from(train.sent));
  assert.deepEqual(payload, new Uint8Array(Buffer.from(h.payloadB64, 'base64')));
  assert.equal(await sha256Hex(payload), h.payloadSha256);
  assert.deepEqual(decodeUpdate(payload), Float32Array.from(train.sent));
  const header = parseMessage('UpdateHeader', updateHeader({ task: 'fixture', round: train.round, clientId: h.clientId,
    baseVersion: train.round - 1, count: train.sent.length, metrics: train.metrics, payloadSha256: h.payloadSha256 }), schema);
  const python = JSON.parse(h.json);
  assert.deepEqual(Object.keys(header), Object.keys(python)); // the same fields in the same order
  assert.deepEqual(header, python);
  assert.ok(JSON.stringify(header).length < 400);
});

test('control messages pydantic accepts are accepted, with its defaults filled in', () => {
  for (const [model, data] of Object.entries(fx.messages.valid)) {
    assert.deepEqual(parseMessage(model, data, schema), fx.messages.parsed[model], model);
  }
});

for (const bad of fx.messages.invalid) {
  test(`an invalid ${bad.model} (field '${bad.field}') is a FederatedError naming the field, as pydantic refuses it`, () => {
    assert.throws(() => parseMessage(bad.model, bad.data, schema, 'coordinator'),
      (e) => e instanceof errors.FederatedError && e.message.startsWith(`coordinator: invalid ${bad.model}:`)
        && e.message.includes(`'${bad.field}'`));
  });
}

test('every refusal code is validate.REFUSALS\' class, and keeps its code across the worker boundary', () => {
  assert.deepEqual(Object.fromEntries(Object.entries(REFUSALS).map(([code, C]) => [code, C.name])), fx.refusals);
  for (const code of Object.keys(fx.refusals)) {
    const err = refusal(code, `refused: ${code}`);
    const back = errors.deserializeError(JSON.parse(JSON.stringify(errors.serializeError(err))));
    assert.ok(back instanceof errors.UpdateRefusedError && back instanceof errors[fx.refusals[code]], code);
    assert.deepEqual([back.code, back.message], [code, `refused: ${code}`]);
  }
  assert.throws(() => refusal('nope', 'x'), RangeError);
});

test('a published version\'s head file gives read_params\' vector; another task\'s head is refused', () => {
  const { resolved, files, params, spec } = fx.published;
  const manifest = validateManifest(resolved.manifest, manifestSchema, 'manifest.json');
  const bytes = new Uint8Array(Buffer.from(files[manifest.files.fp32.path], 'base64'));
  assert.deepEqual(paramsFromPackage(manifest, bytes, spec.head, 'v'), Float32Array.from(params));
  const other = { ...spec.head, labels: [...spec.head.labels].reverse() };
  assert.throws(() => paramsFromPackage(manifest, bytes, other, 'v'), (e) => e instanceof errors.FederatedError && /is not the task's/.test(e.message));
});

test('pullVersion resolves through the registry, verifies the file, and refuses a tampered one', async () => {
  const { resolved, files, params, spec } = fx.published;
  const ref = `${resolved.name}@${resolved.version}`;
  const seen = [];
  const serve = (tamper) => async (url) => {
    seen.push(String(url));
    const u = new URL(String(url));
    if (u.pathname.endsWith('/resolve')) return new Response(JSON.stringify(resolved), { status: 200 });
    const bytes = Buffer.from(files[u.pathname.split('/').pop()], 'base64');
    if (tamper) bytes[bytes.length - 1] ^= 1;
    return new Response(bytes, { status: 200 });
  };
  const out = await pullVersion('http://c.test', ref, spec.head, { fetchImpl: serve(false), storage: null, manifestSchema });
  assert.deepEqual(out.params, Float32Array.from(params));
  assert.equal(seen[0], `http://c.test/api/v1/packages/${resolved.name}/resolve?range=${resolved.version}`);
  assert.ok(seen[1].startsWith(`http://c.test${resolved.base_url}`));
  const memoryCopy = await pullVersion('http://c.test', ref, spec.head, { fetchImpl: serve(true), storage: null, manifestSchema });
  assert.equal(memoryCopy.from, 'memory'); // verified before: not downloaded again
  await clearCachedModels(null, { storage: null });
  await assert.rejects(pullVersion('http://c.test', ref, spec.head, { fetchImpl: serve(true), storage: null, manifestSchema }),
    (e) => e instanceof errors.IntegrityError && /sha256/.test(e.message));
  await assert.rejects(pullVersion('http://c.test', ref.replace(/@.*/, '@9.9.9'), spec.head,
    { fetchImpl: async () => new Response('{}', { status: 404 }), storage: null, manifestSchema }), errors.PackageNotFoundError);
});
