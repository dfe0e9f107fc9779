// Federated learning from a page: the participant runs in a worker of its own (federated/client.js
// there); the page only asks and gets answers, and the user's examples go to that worker, never to the
// network.
//
//   const client = await joinFederatedTask('https://coordinator.example', 'digits-fl',
//     {examples: await trainer.exportDataset()});        // or {x: [[…], …], y: ['3', …]}
//   const report = await client.runRound();   // check in, pull, train, clip, send the delta, pull the next version
//   report.status   // 'sent' | 'pending' (kept, sent when back online) | 'not_sampled' | 'finished' | 'expired'
//   await client.flushed();                   // until a kept update has gone
//   client.status() // {clientId, version, package, pending, lastRound, …}
//
// A refusal rejects with the UpdateRefusedError subclass of its `code` (err.code: 'stale', 'shape', …),
// as Python's client raises. A reload resumes: the client id, token and any unsent update are kept in
// IndexedDB per (coordinator, task, clientName).
import * as protocol from '../protocol.js';
import { env, RpcWorker } from '../worker-client.js';

/**
 * @typedef {object} JoinOptions
 * @property {any} [examples]  the user's examples: an exported dataset (trainer.exportDataset()) or {x, y}
 * @property {number} [seed]  this client's seed (round r trains with (seed × 7919 + r) mod 2**32), default 0
 * @property {string} [clientName]  several clients of one task in one browser profile need different names
 * @property {number} [pollMs]  how often to ask for the round while waiting (default 250)
 * @property {{baseMs?: number, maxMs?: number}} [retry]  backoff of a kept update's resends (default 500 ms … 30 s)
 * @property {string} [workerUrl]
 */

/** The page's handle on a participant running in its worker (joinFederatedTask makes one). */
export class FederatedClient {
  /** @param {RpcWorker} rpc @param {any} status */
  constructor(rpc, status) {
    this.rpc = rpc;
    /** What the last operation reported: {task, clientId, version, package, pending, lastRound, resumed, …}. */
    this.lastStatus = status;
    // The worker listens for 'online' too, but emulated network changes (DevTools, Playwright) reach only
    // the page: pass it on, so a kept update goes out at once, not at the next backoff step.
    this.onOnline = () => { this.call('online').catch(() => {}); };
    globalThis.addEventListener?.('online', this.onOnline);
  }

  get clientId() { return this.lastStatus.clientId; }

  /** @param {string} op @param {object} [args] */
  async call(op, args = {}) {
    return (await this.rpc.call((id) => protocol.federate(id, op, args))).result;
  }

  /** Replace the examples local training uses. */
  async setExamples(examples) {
    this.lastStatus = await this.call('examples', { examples });
    return this.lastStatus;
  }

  /**
   * One round (see the top of this file); resolves its report {status, round, receipt, metrics, norm, bytes,
   * next: {version, package}}.
   * @param {{timeoutMs?: number, waitForNext?: boolean}} [options]
   */
  async runRound(options = {}) {
    try {
      return await this.call('runRound', { options });
    } finally {
      await this.status().catch(() => {});
    }
  }

  /** Rounds until `rounds` were taken or the task finished; resolves their reports. */
  async run(rounds = Infinity, options = {}) {
    const reports = [];
    while (reports.length < rounds) {
      const report = await this.runRound(options);
      if (report.status === 'finished') break;
      if (report.status === 'pending') await this.flushed();
      if (report.status !== 'not_sampled') reports.push(report); // as Python's run(): rounds taken part in
    }
    return reports;
  }

  /** Wait for a round, check in, train and keep the update without sending it (then send() or runRound()). */
  prepare(options = {}) { return this.call('prepare', options); }
  /** Send a kept update now: {status: 'sent' | 'pending' | 'expired' | 'none', …}. */
  send() { return this.call('send'); }
  /** Resolves once no update is kept (sent on reconnect or by the backoff timer). */
  flushed(timeoutMs = 60_000) { return this.call('flushed', { timeoutMs }); }
  /** Pull the newest published version (verified, cached). */
  pullLatest() { return this.call('pullLatest'); }

  async status() {
    this.lastStatus = await this.call('status');
    return this.lastStatus;
  }

  dispose() {
    globalThis.removeEventListener?.('online', this.onOnline);
    this.rpc.terminate();
  }
}

/**
 * Join federated task `task` of the coordinator at `serverUrl` (or resume this browser's membership).
 * @param {string | URL} serverUrl @param {string} task @param {JoinOptions} [options]
 * @returns {Promise<FederatedClient>}
 */
export async function joinFederatedTask(serverUrl, task, options = {}) {
  const { workerUrl = env.workerUrl, examples = null, seed = 0, clientName = 'default', pollMs = 250, retry = {} } = options;
  const url = new URL(serverUrl, globalThis.location?.href).href;
  const rpc = new RpcWorker(workerUrl);
  try {
    const status = (await rpc.call((id) => protocol.federate(id, 'join',
      { serverUrl: url, task, examples, seed, clientName, pollMs, retry }))).result;
    return new FederatedClient(rpc, status);
  } catch (err) {
    rpc.terminate();
    throw err;
  }
}
