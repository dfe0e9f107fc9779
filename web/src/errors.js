// One error hierarchy, named as Python's (src/edgeward/errors.py; tests/web/test_errors.py keeps the
// two in step). Errors cross the worker boundary as {name, message, stack} (protocol.js) and the page
// rebuilds the same class, so `err instanceof IntegrityError` holds for an error thrown in the worker.
// Bad arguments are the built-in TypeError / RangeError, as in onnxruntime-web (Python: OptionError).

/** Base class of every Edgeward error. `cause` carries the worker-side error for rebuilt ones. */
export class EdgewardError extends Error {
  /** @param {string} message @param {{cause?: unknown}} [options] */
  constructor(message, options) {
    super(message, options);
  }
}

/** A source model could not be converted (unsupported op, malformed graph). */
export class ConversionError extends EdgewardError {}
/** A model file (model.json, weight shard, ONNX) is missing, corrupt or truncated. */
export class ModelFormatError extends ConversionError {}
/** A converted model disagrees with its source beyond tolerance. */
export class VerificationError extends ConversionError {}
/** A package manifest is missing, malformed, or has a field the runtime does not understand. */
export class ManifestError extends EdgewardError {}
/** A file does not match the sha256 or byte size its manifest promises. */
export class IntegrityError extends EdgewardError {}
/** No package of that name (and version) is where it was asked for. */
export class PackageNotFoundError extends EdgewardError {}
/** The package's task does not offer what was asked (a classifier opened as a pose detector). */
export class TaskError extends EdgewardError {}
/** The data cannot be trained on (a single class, a class with no examples, a NaN, ragged rows). */
export class TrainingError extends EdgewardError {}
/** An input image is missing or cannot be decoded. */
export class ImageError extends EdgewardError {}
/** An external tool the command needs is not installed (Python side: node, npm, chromium). */
export class ToolMissingError extends EdgewardError {}
/** The browser run failed (Python side: the headless Chromium harness). */
export class BrowserError extends EdgewardError {}
/** A federated task, round or message is not usable (a bad task spec, a round that cannot close). */
export class FederatedError extends EdgewardError {}
/** Too few updates for the aggregator and the assumed number of attackers, or malformed update arrays. */
export class AggregationError extends FederatedError {}
/** The federated coordinator could not be reached (a client keeps its update and tries again). */
export class CoordinatorUnavailableError extends FederatedError {}
/**
 * A federated update refused before it counts (the coordinator answers a 4xx with a stable `code`:
 * 'shape', 'nan', 'stale', … as Python's validate.REFUSALS). `code` crosses the worker boundary too.
 */
export class UpdateRefusedError extends FederatedError {
  /** @param {string} message @param {{cause?: unknown, code?: string}} [options] */
  constructor(message, options = {}) {
    super(message, options);
    /** @type {string | null} */ this.code = options.code ?? null;
  }
}
/** The update's header or payload is wrong: dtype, shape, byte length, NaN/Inf, norm (HTTP 422). */
export class InvalidUpdateError extends UpdateRefusedError {}
/** The update's payload is larger than the coordinator's byte cap (HTTP 413). */
export class UpdateTooLargeError extends UpdateRefusedError {}
/** The update is for a round or version that is not the open one, or repeats one (HTTP 409). */
export class UpdateConflictError extends UpdateRefusedError {}
/** Unknown client id, or a token that is not the one issued at join (HTTP 401). */
export class ClientTokenError extends UpdateRefusedError {}
/** The client was not sampled for this round (HTTP 403). */
export class NotSampledError extends UpdateRefusedError {}
/** The client sent more requests than the task's rate limit allows (HTTP 429). */
export class RateLimitedError extends UpdateRefusedError {}
/** Browser only: no usable response for a package file (network failure, HTTP error, an HTML page, a body cut short). */
export class DownloadError extends EdgewardError {}
/** Browser only: the inference worker failed to start or crashed. */
export class WorkerError extends EdgewardError {}

/** Every class by name: what the page rebuilds from a worker's {name}. */
export const ERROR_CLASSES = Object.freeze({
  EdgewardError, ConversionError, ModelFormatError, VerificationError, ManifestError, IntegrityError,
  PackageNotFoundError, TaskError, TrainingError, ImageError, ToolMissingError, BrowserError, DownloadError, WorkerError,
  FederatedError, AggregationError, CoordinatorUnavailableError, UpdateRefusedError, InvalidUpdateError,
  UpdateTooLargeError, UpdateConflictError, ClientTokenError, NotSampledError, RateLimitedError,
});

// Names are set from the table's string keys, not from class names, which a minifier may rename.
for (const [name, Class] of Object.entries(ERROR_CLASSES)) {
  Object.defineProperty(Class.prototype, 'name', { value: name, writable: true, configurable: true });
}

const BUILT_IN = Object.freeze({ Error, TypeError, RangeError, SyntaxError, ReferenceError });

/**
 * An error (or anything thrown) → plain data that survives structured clone.
 * @param {unknown} err
 * @returns {{name: string, message: string, stack: string, code?: string}}  code: an UpdateRefusedError's
 */
export function serializeError(err) {
  if (err && typeof err === 'object') {
    const e = /** @type {{name?: unknown, message?: unknown, stack?: unknown, code?: unknown}} */ (err);
    const out = { name: String(e.name || 'Error'), message: String(e.message ?? err), stack: String(e.stack || '') };
    return typeof e.code === 'string' ? { ...out, code: e.code } : out;
  }
  return { name: 'Error', message: String(err), stack: '' };
}

/**
 * {name, message, stack} → an error of the same class (Edgeward's, a built-in, or a DOMException
 * such as AbortError), with the original as `cause` (its `stack` is the worker's stack).
 * @param {{name?: string, message?: string, stack?: string, code?: string} | null | undefined} data
 * @returns {Error}
 */
export function deserializeError(data) {
  const name = (data && data.name) || 'Error';
  const message = (data && data.message) || 'unknown worker error';
  const cause = Object.assign(new Error(message), { name, stack: (data && data.stack) || '' });
  const Known = ERROR_CLASSES[name] || BUILT_IN[name];
  if (Known) return new Known(message, { cause, ...(data?.code ? { code: data.code } : {}) });
  if (typeof DOMException !== 'undefined' && ['AbortError', 'QuotaExceededError', 'NotSupportedError'].includes(name)) {
    return Object.assign(new DOMException(message, name), { cause });
  }
  return Object.assign(new Error(message, { cause }), { name });
}
