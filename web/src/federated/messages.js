// The federated protocol on the browser side (src/edgeward/federated/protocol.py and validate.py):
// control messages are JSON checked against protocol.schema.json (exported from the pydantic models,
// next to this file) — an unknown or bad field is a FederatedError naming it, as Python's parse() —
// and an update is its raw little-endian float32 delta plus an UpdateHeader in X-Edgeward-Update.
// A refusal (a 4xx with a Refusal body) becomes the UpdateRefusedError subclass of its `code`.
import {
  ClientTokenError, FederatedError, InvalidUpdateError, NotSampledError, RateLimitedError, UpdateConflictError,
  UpdateTooLargeError,
} from '../errors.js';
import { schemaErrors } from '../manifest.js';

export const PREFIX = '/api/v1/federated';
export const UPDATE_HEADER = 'X-Edgeward-Update';

/** code → class, as validate.REFUSALS (codes are stable: clients match on them). */
export const REFUSALS = Object.freeze({
  header: InvalidUpdateError, task: InvalidUpdateError, dtype: InvalidUpdateError, shape: InvalidUpdateError,
  length: InvalidUpdateError, digest: InvalidUpdateError, nan: InvalidUpdateError, norm: InvalidUpdateError,
  too_large: UpdateTooLargeError,
  stale: UpdateConflictError, closed: UpdateConflictError, full: UpdateConflictError, duplicate: UpdateConflictError,
  token: ClientTokenError, not_sampled: NotSampledError, rate: RateLimitedError,
});

/**
 * The error for refusal `code` (a key of REFUSALS), carrying `code`.
 * @param {string} code @param {string} message
 */
export function refusal(code, message) {
  const Refused = REFUSALS[code];
  if (!Refused) throw new RangeError(`unknown refusal code '${code}' (known: ${Object.keys(REFUSALS).join(', ')})`);
  return new Refused(message, { code });
}

/** @type {Promise<any> | null} */
let schemaPromise = null;

/** protocol.schema.json, fetched once from next to this module. @returns {Promise<any>} */
export function loadProtocolSchema() {
  if (!schemaPromise) {
    const url = new URL('./protocol.schema.json', import.meta.url);
    schemaPromise = fetch(url).then((r) => {
      if (!r.ok) throw new FederatedError(`${url}: HTTP ${r.status} loading the federated protocol schema`);
      return r.json();
    });
    schemaPromise.catch(() => { schemaPromise = null; });
  }
  return schemaPromise;
}

/**
 * `data` as the protocol message `model` (a name under the schema's $defs: 'RoundInfo', 'UpdateHeader', …),
 * defaults filled in; a FederatedError naming every bad field otherwise.
 * @param {string} model @param {unknown} data @param {any} schema  protocol.schema.json @param {string} [source]
 */
export function parseMessage(model, data, schema, source = model) {
  if (!schema?.$defs?.[model]) throw new RangeError(`'${model}' is not a message of the federated protocol`);
  const { value, errors } = schemaErrors(data, { $ref: `#/$defs/${model}` }, schema);
  if (errors.length) throw new FederatedError(`${source}: invalid ${model}: ${errors.join('; ')}`);
  return value;
}

/**
 * A delta as the wire wants it: raw little-endian float32 (validate.encode).
 * @param {ArrayLike<number>} delta @returns {Uint8Array}
 */
export function encodeUpdate(delta) {
  const bytes = new Uint8Array(delta.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < delta.length; i++) view.setFloat32(i * 4, delta[i], true);
  return bytes;
}

/** Raw little-endian float32 bytes → a Float32Array (validate.decode). @param {Uint8Array} bytes */
export function decodeUpdate(bytes) {
  if (bytes.byteLength % 4) throw new FederatedError(`an update payload of ${bytes.byteLength} bytes is not whole float32s`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/**
 * The UpdateHeader of an update, its fields in the pydantic model's order (what client.py sends).
 * @param {{task: string, round: number, clientId: string, baseVersion: number, count: number,
 *   metrics: import('./local.js').LocalMetrics, payloadSha256: string}} fields
 */
export function updateHeader({ task, round, clientId, baseVersion, count, metrics, payloadSha256 }) {
  return {
    task, round, client_id: clientId, base_version: baseVersion, dtype: 'float32', shape: [count],
    num_examples: metrics.examples, metrics: { loss: metrics.loss, accuracy: metrics.accuracy, examples: metrics.examples },
    payload_sha256: payloadSha256,
  };
}
