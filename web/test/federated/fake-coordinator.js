// A coordinator in memory for the client's tests: the routes of src/edgeward/federated/api.py that a
// participant uses, with its refusal rules (token, stale, duplicate, shape) and one round per
// `clientsPerRound` updates. Every version resolves to the package the Python coordinator published
// in the fixture (its manifest's version renamed), so pulls read a real head file.
import { decodeUpdate } from '../../src/federated/messages.js';

export class FakeCoordinator {
  constructor(published, { clientsPerRound = 1, maxRounds = 5 } = {}) {
    this.published = published;
    this.spec = { ...published.spec, clients_per_round: clientsPerRound, min_updates: 1, max_rounds: maxRounds };
    this.task = this.spec.name;
    this.name = published.resolved.name;
    this.round = { number: 1, state: 'open', updates: new Map() };
    this.clients = new Map(); // id → token
    this.requests = []; // {method, url, headers, body}
    this.offline = false; // every request fails as a network error
    this.dropReplies = 0; // this many next POST /updates are taken, but their reply is lost
    this.roundExtra = null; // a field to add to the round answer
    this.fetch = this.fetch.bind(this);
  }

  get version() { return this.round.number - (this.round.state === 'published' ? 0 : 1); }
  ref(version) { return `${this.name}@1.${version}.0`; }

  roundInfo() {
    const r = this.round;
    return { task: this.task, round: r.number, state: r.state, base_version: r.number - 1, deadline: 1e10,
      updates: r.updates.size, clients_per_round: this.spec.clients_per_round, min_updates: 1, package: this.ref(r.number - 1),
      ...(this.roundExtra ?? {}) };
  }

  close() {
    if (this.round.number >= this.spec.max_rounds) this.round.state = 'published';
    else this.round = { number: this.round.number + 1, state: 'open', updates: new Map() };
  }

  /** @returns {Promise<Response>} */
  async fetch(input, init = {}) {
    const url = new URL(String(input));
    const method = init.method ?? 'GET';
    const headers = Object.fromEntries(Object.entries(init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.requests.push({ method, url: url.href, headers, body: init.body ?? null });
    if (this.offline) throw new TypeError('Failed to fetch');
    const json = (status, data) => new Response(JSON.stringify(data), { status, headers: { 'content-type': 'application/json' } });
    const refuse = (code, status, detail) => json(status, { code, status, detail });
    const path = url.pathname;
    const files = this.published.resolved.base_url;
    if (path.startsWith('/api/v1/packages/') && path.endsWith('/resolve')) {
      const version = url.searchParams.get('range');
      const manifest = { ...this.published.resolved.manifest, version };
      return json(200, { ...this.published.resolved, version, manifest });
    }
    if (path.startsWith(files)) {
      return new Response(Buffer.from(this.published.files[path.split('/').pop()], 'base64'), { status: 200 });
    }
    const base = `/api/v1/federated/tasks/${this.task}`;
    const token = headers.authorization?.replace(/^Bearer /, '');
    const clientId = [...this.clients].find(([, t]) => t === token)?.[0];
    if (path === base) return json(200, { spec: this.spec, param_count: this.published.params.length });
    if (path === `${base}/round`) return json(200, this.roundInfo());
    if (path === `${base}/version`) return json(200, { version: this.version, package: this.ref(this.version) });
    if (path === `${base}/join`) {
      const id = `client-${this.clients.size + 1}`;
      this.clients.set(id, `token-${id}`);
      return json(201, { task: this.task, client_id: id, token: `token-${id}` });
    }
    if (!clientId) return refuse('token', 401, 'unknown client or wrong token');
    if (path === `${base}/checkin`) return json(200, { round: this.roundInfo(), selected: true });
    if (path === `${base}/updates`) {
      const header = JSON.parse(headers['x-edgeward-update']);
      const r = this.round;
      if (header.round !== r.number || r.state !== 'open') return refuse('stale', 409, `update for round ${header.round}`);
      if (r.updates.has(clientId)) return refuse('duplicate', 409, `client ${clientId} already sent its update`);
      if (header.shape[0] !== this.published.params.length) return refuse('shape', 422, `shape [${header.shape}]`);
      r.updates.set(clientId, { header, delta: decodeUpdate(new Uint8Array(init.body)) });
      const receipt = { task: this.task, round: r.number, client_id: clientId, payload_sha256: header.payload_sha256, norm: 1, updates: r.updates.size };
      if (r.updates.size >= this.spec.clients_per_round) this.close();
      if (this.dropReplies > 0) {
        this.dropReplies -= 1;
        throw new TypeError('network error: the connection closed before the reply');
      }
      return json(201, receipt);
    }
    return json(404, { detail: `no route ${method} ${path}` });
  }
}
