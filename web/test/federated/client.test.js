// web/src/federated/client.js (the participant) against a coordinator in memory: a round sends the
// clipped delta of local training and nothing else; an update made offline is kept and sent on
// 'online'; a resend after a lost reply counts as sent ('duplicate'); a new participant on the same
// store resumes (no second join) and sends what was kept; refusals reject as their Python classes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

import { FederatedError, InvalidUpdateError, UpdateConflictError } from '../../src/errors.js';
import { Participant } from '../../src/federated/client.js';
import { clip, roundSeed, trainLocal } from '../../src/federated/local.js';
import { encodeUpdate } from '../../src/federated/messages.js';
import { memoryStore } from '../../src/federated/store.js';
import { loadFixture } from '../helpers.js';
import { FakeCoordinator } from './fake-coordinator.js';

const fx = loadFixture('federated');
const read = (file) => JSON.parse(fs.readFileSync(new URL(file, import.meta.url), 'utf8'));
const schema = read('../../src/federated/protocol.schema.json');
const manifestSchema = read('../../src/manifest.schema.json');
const c = fx.train[1]; // digits shard 2/3 on the published package's MLP head
const examples = { x: { rows: c.rows, cols: c.cols, data: c.x }, y: c.y };
const SERVER = 'http://coordinator.test';

/** A storage for the verified cache (cache.js) in memory. */
function cacheStorage() {
  const entries = new Map();
  return { open: async () => ({ match: async (k) => entries.get(k)?.clone(), put: async (k, r) => { entries.set(k, r); }, delete: async (k) => entries.delete(k) }) };
}

function participant(coordinator, store = memoryStore(), events = new EventTarget(), seed = 4) {
  return new Participant({ serverUrl: SERVER, task: coordinator.task, store, seed, examples, schema, events, fetchImpl: coordinator.fetch,
    pullOptions: { storage: cacheStorage(), manifestSchema }, pollMs: 1, retry: { baseMs: 5, maxMs: 20 } });
}

test('a round sends the clipped delta of local training from the round\'s version, and pulls the next version', async () => {
  const server = new FakeCoordinator(fx.published);
  const p = participant(server);
  const status = await p.open();
  assert.equal(status.clientId, 'client-1');
  assert.equal(status.examples, c.rows);
  const report = await p.runRound();
  p.close();
  assert.equal(report.status, 'sent');
  assert.equal(report.receipt.round, 1);
  assert.deepEqual(report.next, { version: 1, package: `${server.name}@1.1.0`, from: 'cache' }); // same file: cached
  const post = server.requests.find((r) => r.method === 'POST' && r.url.endsWith('/updates'));
  const sent = JSON.parse(post.headers['x-edgeward-update']);
  const spec = { ...fx.published.spec, ...server.spec };
  const local = trainLocal(Float32Array.from(fx.published.params), spec, { x: { rows: c.rows, cols: c.cols, data: Float64Array.from(c.x) }, y: Int32Array.from(c.y) }, roundSeed(4, 1));
  const expected = encodeUpdate(spec.clip_norm === null ? local.delta : clip(local.delta, spec.clip_norm));
  assert.deepEqual(new Uint8Array(post.body), expected);
  assert.equal(post.body.byteLength, 4 * fx.published.params.length);
  assert.deepEqual(Object.keys(sent), ['task', 'round', 'client_id', 'base_version', 'dtype', 'shape', 'num_examples', 'metrics', 'payload_sha256']);
  assert.deepEqual([sent.round, sent.base_version, sent.client_id, sent.num_examples, sent.shape[0]], [1, 0, 'client-1', c.rows, fx.published.params.length]);
  assert.deepEqual(sent.metrics, local.metrics);
});

test('an update made offline is kept and sent when the network comes back (\'online\')', async () => {
  const server = new FakeCoordinator(fx.published);
  const store = memoryStore();
  const events = new EventTarget();
  const p = participant(server, store, events);
  p.retry = { baseMs: 60_000, maxMs: 60_000 }; // only the 'online' event can send it in time
  await p.open();
  const a = await p.locked(() => p.assignment());
  assert.equal(a.update.round, 1);
  server.offline = true;
  const first = await p.locked(() => p.send());
  assert.equal(first.status, 'pending');
  assert.equal((await store.get(p.key)).pending.round, 1); // kept in the store, not only in memory
  assert.equal(server.round.updates.size, 0);
  server.offline = false;
  const flushed = p.flushed(5000);
  events.dispatchEvent(new Event('online'));
  const status = await flushed;
  p.close();
  assert.equal(status.pending, null);
  assert.deepEqual([status.sent.round, status.sent.duplicate], [1, false]);
  assert.equal(server.round.number, 2); // the update closed round 1
});

test('without an \'online\' event, the backoff timer sends a kept update once the coordinator answers', async () => {
  const server = new FakeCoordinator(fx.published);
  const p = participant(server, memoryStore(), null); // no event source: only the timer
  await p.open();
  await p.locked(() => p.assignment());
  server.offline = true;
  assert.equal((await p.locked(() => p.send())).status, 'pending');
  await new Promise((resolve) => { setTimeout(resolve, 60); }); // a few resends fail meanwhile (5, 10, 20 ms…)
  const tries = server.requests.filter((r) => r.url.endsWith('/updates')).length;
  assert.ok(tries >= 3, `${tries} attempts`);
  server.offline = false;
  const status = await p.flushed(2000);
  p.close();
  assert.equal(status.sent.round, 1);
  assert.equal(server.round.number, 2);
});

test('a resend after a lost reply is refused as a duplicate and counts as sent, once', async () => {
  const server = new FakeCoordinator(fx.published, { clientsPerRound: 2 });
  const p = participant(server);
  p.retry = { baseMs: 60_000, maxMs: 60_000 }; // the resend below is ours, not the timer's
  await p.open();
  await p.locked(() => p.assignment());
  server.dropReplies = 1;
  assert.equal((await p.locked(() => p.send())).status, 'pending'); // taken by the server, reply lost
  const again = await p.locked(() => p.send());
  p.close();
  assert.deepEqual([again.status, again.duplicate], ['sent', true]);
  assert.equal(server.round.updates.size, 1);
  assert.equal(p.status().pending, null);
});

test('a reload resumes: the same client id, no second join, and the kept update is sent on open', async () => {
  const server = new FakeCoordinator(fx.published);
  const store = memoryStore();
  const first = participant(server, store);
  await first.open();
  await first.locked(() => first.assignment());
  first.close(); // the tab closes before the update goes out
  const second = participant(server, store);
  const status = await second.open();
  second.close();
  assert.equal(status.resumed, true);
  assert.equal(status.clientId, 'client-1');
  assert.equal(server.clients.size, 1);
  assert.equal(status.pending, null);
  assert.equal(status.sent.round, 1);
  assert.equal(server.requests.filter((r) => r.url.endsWith('/join')).length, 1);
  assert.equal(server.round.number, 2);
});

test('an update kept while its round closed expires instead of failing the next round', async () => {
  const server = new FakeCoordinator(fx.published);
  const p = participant(server, memoryStore(), new EventTarget(), 9);
  p.retry = { baseMs: 60_000, maxMs: 60_000 };
  await p.open();
  await p.locked(() => p.assignment());
  server.offline = true;
  await p.locked(() => p.send());
  server.offline = false;
  server.close(); // the round closed without us
  const out = await p.locked(() => p.send());
  p.close();
  assert.deepEqual([out.status, out.refused], ['expired', 'stale']);
  assert.equal(p.status().pending, null);
});

test('a refusal rejects with the class of its code, and the refused update is dropped', async () => {
  const server = new FakeCoordinator(fx.published);
  server.published = { ...fx.published, params: fx.published.params.slice(1) }; // the server now wants P - 1
  const p = participant(server);
  await assert.rejects(p.open(), (e) => e instanceof FederatedError && /counts 1209 parameters/.test(e.message));
  server.published = fx.published;
  await p.open();
  server.published = { ...fx.published, params: fx.published.params.slice(1) };
  const err = await p.runRound().catch((e) => e);
  p.close();
  assert.ok(err instanceof InvalidUpdateError && err.code === 'shape', String(err));
  assert.equal(p.status().pending, null);
  const stale = new UpdateConflictError('x', { code: 'stale' });
  assert.equal(stale.code, 'stale');
});

test('a control message with an unknown field is a FederatedError naming it', async () => {
  const server = new FakeCoordinator(fx.published);
  const p = participant(server);
  await p.open();
  server.roundExtra = { leaked: 1 };
  await assert.rejects(p.runRound(), (e) => e instanceof FederatedError && /invalid RoundInfo: unknown field 'leaked'/.test(e.message));
  p.close();
});
