// Every message that crosses between the page (edgeward.js) and the inference worker (worker.js).
// Requests carry an `id`; the worker answers each with exactly one reply carrying the same id:
// either the matching success message or ERROR. Errors cross as {name, message} and reject the
// caller's promise with an Error of that name.

export const MSG = Object.freeze({
  INIT: 'init',         // page → worker {id, packageUrl, options}
  READY: 'ready',       // worker → page {id, manifest, backend, timings}
  ESTIMATE: 'estimate', // page → worker {id, bitmap (transferred), options}
  RESULT: 'result',     // worker → page {id, poses, timings}
  DISPOSE: 'dispose',   // page → worker {id}
  DISPOSED: 'disposed', // worker → page {id}
  ERROR: 'error',       // worker → page {id, error: {name, message}}
});

export const init = (id, packageUrl, options = {}) => ({ type: MSG.INIT, id, packageUrl, options });
export const ready = (id, manifest, backend, timings) => ({ type: MSG.READY, id, manifest, backend, timings });
export const estimate = (id, bitmap, options = {}) => ({ type: MSG.ESTIMATE, id, bitmap, options });
export const result = (id, poses, timings) => ({ type: MSG.RESULT, id, poses, timings });
export const dispose = (id) => ({ type: MSG.DISPOSE, id });
export const disposed = (id) => ({ type: MSG.DISPOSED, id });
export const error = (id, err) => ({ type: MSG.ERROR, id, error: serializeError(err) });

/** An Error (or anything thrown) → plain {name, message} that survives structured clone. */
export function serializeError(err) {
  if (err && typeof err === 'object') {
    return { name: String(err.name || 'Error'), message: String(err.message || err) };
  }
  return { name: 'Error', message: String(err) };
}

/** {name, message} → an Error with that name, for rejecting the caller's promise. */
export function deserializeError(data) {
  const err = new Error(data && data.message ? data.message : 'unknown worker error');
  err.name = (data && data.name) || 'Error';
  return err;
}
