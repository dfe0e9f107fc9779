// The browser participant of a federated task: the protocol of src/edgeward/federated/client.py, over
// fetch, run in the worker (handlers.js). Per round: check in, pull the round's version through the
// registry and the verified cache (pull.js), train on the user's own examples (local.js, the same
// maths and seed rule as local.py), clip, then send only the delta (raw float32) with its header
// (count, local metrics, payload sha256) — never the examples — and pull the version it produced.
//
// Offline: the update is stored (store.js) before it is sent. If the coordinator cannot be reached
// (or answers 5xx / 'rate') it stays stored and is sent again when the browser says it is 'online'
// and on a backoff timer; a reload finds it and sends it. A resend after a lost reply is answered
// 'duplicate' — our update is there, so it counts as sent; after a possibly delivered attempt, a
// 'stale' / 'closed' / 'full' round means the round is over and the update is dropped ('expired').
// Any other refusal rejects with the UpdateRefusedError subclass of its code, as in Python.
import { CoordinatorUnavailableError, FederatedError } from '../errors.js';
import { sha256Hex } from '../integrity.js';
import { clip, l2norm, roundSeed, toTaskExamples, trainLocal } from './local.js';
import { encodeUpdate, loadProtocolSchema, parseMessage, PREFIX, REFUSALS, refusal, UPDATE_HEADER, updateHeader } from './messages.js';
import { paramCount } from './params.js';
import { pullVersion, withSlash } from './pull.js';

const EXPIRED = new Set(['stale', 'closed', 'full']);
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/**
 * @typedef {import('./store.js').ClientStore} ClientStore
 * @typedef {import('./store.js').ClientRecord} ClientRecord
 * @typedef {{status: 'sent' | 'pending' | 'expired' | 'none', round?: number, receipt?: object, duplicate?: boolean,
 *   refused?: string, detail?: string, reason?: string}} SendResult
 * @typedef {{serverUrl: string, task: string, store: ClientStore, clientName?: string, seed?: number, examples?: any,
 *   schema?: any, fetchImpl?: typeof fetch, pull?: typeof pullVersion, pullOptions?: import('./pull.js').PullOptions,
 *   pollMs?: number, retry?: {baseMs?: number, maxMs?: number}, events?: EventTarget | null, platform?: 'browser' | 'python'}} ParticipantOptions
 */

export class Participant {
  /** @param {ParticipantOptions} options */
  constructor({ serverUrl, task, store, clientName = 'default', seed = 0, examples = null, schema = null,
    fetchImpl = (input, init) => fetch(input, init), pull = pullVersion, pullOptions = {}, pollMs = 250, retry = {},
    events = globalThis, platform = 'browser' }) {
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new RangeError(`seed must be an integer in [0, 2**32), got ${seed}`);
    this.serverUrl = serverUrl.replace(/\/+$/, '');
    this.api = new URL(`${PREFIX.slice(1)}/`, withSlash(this.serverUrl)).href;
    this.task = task;
    this.store = store;
    this.clientName = clientName;
    this.seed = seed;
    /** @type {any} protocol.schema.json (loaded in open() when not given) */ this.schema = schema;
    this.fetchImpl = fetchImpl;
    this.pull = pull;
    this.pullOptions = pullOptions;
    this.pollMs = pollMs;
    this.events = events;
    this.platform = platform;
    this.retry = { baseMs: 500, maxMs: 30_000, ...retry };
    this.key = `${this.serverUrl} ${task} ${clientName}`;
    this.rawExamples = examples;
    /** @type {import('./local.js').Examples | null} */ this.examples = null;
    /** @type {import('./local.js').TaskSpec | null} */ this.spec = null;
    /** @type {ClientRecord | null} */ this.record = null;
    this.resumed = false;
    this.failures = 0; // consecutive failed sends: the backoff's exponent
    this.timer = null;
    /** @type {Error | null} */ this.lastError = null;
    /** @type {((status: object) => void)[]} */ this.waiters = [];
    this.chain = Promise.resolve();
    this.onOnline = () => {
      this.failures = 0;
      if (this.record?.pending) this.retryNow();
    };
  }

  /** Run `fn` after every operation queued before it (one round, send or pull at a time). */
  locked(fn) {
    const run = this.chain.then(() => fn());
    this.chain = run.catch(() => {});
    return run;
  }

  // -- HTTP -------------------------------------------------------------------------------------------
  /**
   * A request to the task's API: the JSON answer, or the refusal's class, CoordinatorUnavailableError
   * (network failure, 5xx: try again later) or FederatedError.
   * @param {string} method @param {string} path  under /tasks/{task}
   * @param {{json?: any, body?: Uint8Array, headers?: Record<string, string>, auth?: boolean}} [init]
   */
  async request(method, path, { json, body, headers = {}, auth = false } = {}) {
    const url = `${this.api}tasks/${this.task}${path}`;
    const h = { ...headers };
    if (auth) h.Authorization = `Bearer ${this.record?.token}`;
    if (json !== undefined) h['Content-Type'] = 'application/json';
    const what = `${method} ${path || '/'} of task '${this.task}'`;
    const fetchImpl = this.fetchImpl;
    let text;
    let status;
    try {
      const r = await fetchImpl(url, { method, headers: h, body: json !== undefined ? JSON.stringify(json) : /** @type {BodyInit | undefined} */ (body), cache: 'no-store' });
      status = r.status;
      text = await r.text();
    } catch (err) {
      throw new CoordinatorUnavailableError(`coordinator ${this.serverUrl} is unreachable: ${what} (${err.message || err})`);
    }
    let data;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = undefined;
    }
    if (status < 400) {
      if (data === undefined) throw new FederatedError(`coordinator ${this.serverUrl}: ${what}: the answer is not JSON`);
      return data;
    }
    if (data && typeof data === 'object' && Object.hasOwn(REFUSALS, data.code)) {
      const r = parseMessage('Refusal', data, this.schema, `coordinator ${this.serverUrl}: ${what}`);
      throw refusal(r.code, r.detail);
    }
    const detail = data && typeof data === 'object' ? JSON.stringify(data.detail ?? data) : String(text).slice(0, 200);
    const message = `coordinator ${this.serverUrl}: ${what}: HTTP ${status}: ${detail}`;
    throw status >= 500 ? new CoordinatorUnavailableError(message) : new FederatedError(message);
  }

  // -- joining -----------------------------------------------------------------------------------------
  /** Read the task, then resume this browser's identity for it or join; a stored update is sent at once. */
  async open() {
    this.schema ??= await loadProtocolSchema();
    const info = await this.request('GET', '');
    this.spec = parseMessage('TaskSpec', info.spec, this.schema, `task '${this.task}'`);
    if (info.param_count !== paramCount(this.spec.head)) {
      throw new FederatedError(`task '${this.task}': the coordinator counts ${info.param_count} parameters; its head has ${paramCount(this.spec.head)}`);
    }
    if (this.rawExamples) this.setExamples(this.rawExamples);
    let record = await this.store.get(this.key);
    this.resumed = Boolean(record);
    if (!record) {
      const request = parseMessage('JoinRequest', { task: this.task, platform: this.platform }, this.schema);
      const joined = parseMessage('JoinResponse', await this.request('POST', '/join', { json: request }), this.schema, `join '${this.task}'`);
      record = { key: this.key, serverUrl: this.serverUrl, task: this.task, clientName: this.clientName, clientId: joined.client_id,
        token: joined.token, lastRound: 0, version: null, package: null, pending: null, sent: null };
      await this.store.put(record);
    }
    this.record = record;
    this.events?.addEventListener?.('online', this.onOnline);
    if (record.pending) {
      await this.locked(() => this.send()).catch((err) => { this.lastError = err; });
    }
    return this.status();
  }

  /** The user's examples (local.js toTaskExamples forms); they never leave this client. */
  setExamples(examples) {
    if (!this.spec) throw new FederatedError('open() the task first');
    this.examples = toTaskExamples(examples, this.spec.head);
    return this.status();
  }

  status() {
    const r = this.record;
    const p = r?.pending;
    return {
      task: this.task, clientId: r?.clientId ?? null, resumed: this.resumed, lastRound: r?.lastRound ?? 0, version: r?.version ?? null,
      package: r?.package ?? null, examples: this.examples?.y.length ?? 0, paramCount: this.spec ? paramCount(this.spec.head) : null,
      pending: p ? { round: p.round, attempts: p.attempts, bytes: p.payload.byteLength } : null, sent: r?.sent ?? null,
      lastError: this.lastError ? { name: this.lastError.name, message: this.lastError.message } : null,
    };
  }

  async save() {
    await this.store.put(/** @type {ClientRecord} */ (this.record));
  }

  // -- rounds ------------------------------------------------------------------------------------------
  /** The current round (RoundInfo). */
  async round() {
    return parseMessage('RoundInfo', await this.request('GET', '/round'), this.schema, `task '${this.task}': round`);
  }

  /** Wait for a round numbered above `after` that takes updates; null once the task has finished. */
  async nextRound(after, timeoutMs = 3_600_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.round();
      if (info.round > after && (info.state === 'open' || info.state === 'collecting')) return info;
      if (info.state === 'published') return null; // the last round (max_rounds) is published
      if (Date.now() > deadline) throw new FederatedError(`task '${this.task}': no new round after round ${after} within ${timeoutMs / 1000} s`);
      await sleep(this.pollMs);
    }
  }

  /** Pull package `ref` (the verified, cached download of pull.js); it becomes the version held. */
  async pullVersion(ref, version) {
    const { params, from } = await this.pull(this.serverUrl, ref, this.spec.head, { fetchImpl: this.fetchImpl, ...this.pullOptions });
    Object.assign(this.record, { version, package: ref });
    await this.save();
    return { params, from };
  }

  /** Pull the newest published version. */
  async pullLatest() {
    const current = await this.request('GET', '/version');
    const { from } = await this.pullVersion(current.package, current.version);
    return { version: current.version, package: current.package, from };
  }

  /**
   * Train on the round `info` (an Assignment's round) from its version and store the clipped delta
   * as the pending update (not yet sent). Returns the stored update.
   * @param {any} info
   */
  async prepare(info) {
    if (!this.examples) throw new FederatedError('this client has no examples to train on: give examples');
    if (!info.package) throw new FederatedError(`round ${info.round} names no package to train from`);
    const spec = /** @type {import('./local.js').TaskSpec} */ (this.spec);
    const { params } = await this.pullVersion(info.package, info.base_version);
    const local = trainLocal(params, spec, this.examples, roundSeed(this.seed, info.round));
    const delta = spec.clip_norm !== null && spec.clip_norm !== undefined ? clip(local.delta, spec.clip_norm) : local.delta;
    const payload = encodeUpdate(delta);
    const header = parseMessage('UpdateHeader', updateHeader({
      task: this.task, round: info.round, clientId: this.record.clientId, baseVersion: info.base_version, count: delta.length,
      metrics: local.metrics, payloadSha256: await sha256Hex(payload),
    }), this.schema, 'the update header');
    this.record.pending = { round: info.round, baseVersion: info.base_version, header, payload, norm: l2norm(delta),
      metrics: local.metrics, attempts: 0, createdAt: new Date().toISOString() };
    this.record.lastRound = info.round;
    await this.save();
    return this.record.pending;
  }

  /**
   * Send the stored update (see the top of this file for what each answer does).
   * @returns {Promise<SendResult>}
   */
  async send() {
    const p = this.record?.pending;
    if (!p) return { status: 'none' };
    p.attempts += 1;
    await this.save(); // from now on this update may be at the coordinator, whatever happens to us
    try {
      const answer = await this.request('POST', '/updates', { body: p.payload, auth: true, headers: {
        'Content-Type': 'application/octet-stream', [UPDATE_HEADER]: JSON.stringify(p.header) } });
      const receipt = parseMessage('UpdateReceipt', answer, this.schema, 'the update receipt');
      await this.settle(p.round, false);
      return { status: 'sent', round: p.round, receipt, duplicate: false };
    } catch (err) {
      if (err instanceof CoordinatorUnavailableError || err.code === 'rate') {
        this.lastError = err;
        this.scheduleRetry();
        return { status: 'pending', round: p.round, reason: err.message };
      }
      if (err.code === 'duplicate') { // an earlier attempt got there; its reply did not get back
        await this.settle(p.round, true);
        return { status: 'sent', round: p.round, duplicate: true };
      }
      await this.settle(p.round, null);
      if (p.attempts > 1 && EXPIRED.has(err.code)) return { status: 'expired', round: p.round, refused: err.code, detail: err.message };
      throw err;
    }
  }

  /** The pending update is done with: sent (duplicate true / false) or dropped (null). */
  async settle(round, duplicate) {
    this.record.pending = null;
    if (duplicate !== null) this.record.sent = { round, at: new Date().toISOString(), duplicate };
    this.failures = 0;
    this.lastError = null;
    clearTimeout(this.timer);
    this.timer = null;
    await this.save();
    for (const resolve of this.waiters.splice(0)) resolve(this.status());
  }

  scheduleRetry() {
    if (this.timer) return;
    const delay = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** this.failures);
    this.failures += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.retryNow();
    }, delay);
  }

  retryNow() {
    clearTimeout(this.timer);
    this.timer = null;
    this.locked(() => this.send()).catch((err) => { this.lastError = err; });
  }

  /** Resolves the status once no update is pending (at once if none is); rejects after `timeoutMs`. */
  flushed(timeoutMs = 60_000) {
    if (!this.record?.pending) return Promise.resolve(this.status());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new FederatedError(`the pending update of round ${this.record.pending?.round} `
        + `was not sent within ${timeoutMs / 1000} s (${this.lastError?.message ?? 'no answer yet'})`)), timeoutMs);
      this.waiters.push((status) => { clearTimeout(timer); resolve(status); });
    });
  }

  /** Check in: the round, and whether this client takes part (Assignment). */
  async checkin() {
    return parseMessage('Assignment', await this.request('POST', '/checkin', { auth: true }), this.schema, 'check-in');
  }

  /**
   * Wait for a new round, check in and, when selected, train and store the update (prepare):
   * {info, update}, or {status: 'finished' | 'not_sampled'}.
   */
  async assignment(timeoutMs = 600_000) {
    const next = await this.nextRound(this.record.lastRound, timeoutMs);
    if (!next) return { status: 'finished', version: this.record.version, package: this.record.package };
    const { round: info, selected } = await this.checkin();
    if (!selected || !['open', 'collecting'].includes(info.state)) {
      this.record.lastRound = info.round;
      await this.save();
      return { status: 'not_sampled', round: info.round };
    }
    return { info, update: await this.prepare(info) };
  }

  /**
   * One round: send any stored update first, wait for a new round, check in, train, send; then (with
   * `waitForNext`) wait until the round is published and pull the version it made.
   * @param {{timeoutMs?: number, waitForNext?: boolean}} [options]
   */
  runRound({ timeoutMs = 600_000, waitForNext = true } = {}) {
    return this.locked(async () => {
      if (this.record.pending) {
        const earlier = await this.send();
        if (earlier.status === 'pending') return earlier;
      }
      const assignment = await this.assignment(timeoutMs);
      if (assignment.status) return assignment;
      const { info, update } = assignment;
      const sent = await this.send();
      const report = { ...sent, baseVersion: info.base_version, package: info.package, metrics: update.metrics, norm: update.norm,
        bytes: update.payload.byteLength };
      if (sent.status !== 'sent' || !waitForNext) return report;
      await this.waitPublished(info.round, timeoutMs);
      return { ...report, next: await this.pullLatest() };
    });
  }

  /** Wait until round `round` is over (a later round is open, or it was the last and is published). */
  async waitPublished(round, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.round();
      if (info.round > round || info.state === 'published') return info;
      if (Date.now() > deadline) throw new FederatedError(`task '${this.task}': round ${round} was not published within ${timeoutMs / 1000} s`);
      await sleep(this.pollMs);
    }
  }

  close() {
    this.events?.removeEventListener?.('online', this.onOnline);
    clearTimeout(this.timer);
    this.timer = null;
  }
}
