// Every message that crosses between the page (edgeward.js) and the inference worker (worker.js).
// Requests carry an `id`; the worker answers each with exactly one reply carrying the same id:
// either the matching success message or ERROR. Errors cross as {name, message, stack} and reject
// the caller's promise with an error of the same class (errors.js), the worker's stack as its `cause`.

import { serializeError } from './errors.js';

export { deserializeError, serializeError } from './errors.js';

export const MSG = Object.freeze({
  INIT: 'init',         // page → worker {id, packageUrl, options}
  READY: 'ready',       // worker → page {id, manifest, backend, timings}
  ESTIMATE: 'estimate', // page → worker {id, frame: ImageBitmap | VideoFrame (transferred), options}
  RESULT: 'result',     // worker → page {id, poses | detections | classes (+ embedding), frame: {width, height, roi, inputSize}, timings}
  DISPOSE: 'dispose',   // page → worker {id}
  DISPOSED: 'disposed', // worker → page {id}
  ERROR: 'error',       // worker → page {id, error: {name, message, stack}}; id null: the whole worker
                        // failed (every pending request rejects with it)
  PROGRESS: 'progress', // worker → page {id, file, loaded, total}: download progress of a request
                        // still in flight (not a reply: the request's own reply follows)
  RUN: 'run',           // page → worker {id, feeds: {name: {data, dims}}}: raw tensors (task 'tensor')
  OUTPUTS: 'outputs',   // worker → page {id, outputs: {name: {data, dims, type}}, timings}
  TRAIN: 'train',       // page → worker {id, op, ...}: a trainer operation (train/handlers.js lists them)
  TRAINED: 'trained',   // worker → page {id, result}: its reply
  EPOCH: 'epoch',       // worker → page {id, record}: an epoch of a running 'fit' ended (an event, not a reply)
  CANCEL: 'cancel',     // page → worker {id}: stop the running request `id` (no reply of its own; that
                        // request rejects with an AbortError); handled at once, not after the queue
  FEDERATE: 'federate', // page → worker {id, op, ...}: a federated client operation (federated/handlers.js);
                        // handled at once, not after the queue (a round waits on other clients)
  FEDERATED: 'federated', // worker → page {id, result}: its reply
});

export const init = (id, packageUrl, options = {}) => ({ type: MSG.INIT, id, packageUrl, options });
export const ready = (id, manifest, backend, timings, cache = null) => ({
  type: MSG.READY, id, manifest, backend, timings, cache, // cache: {from, stored, persisted, warning}
});
export const estimate = (id, frame, options = {}) => ({ type: MSG.ESTIMATE, id, frame, options });
// payload: {poses} for pose packages, {detections} for detectors, {classes, embedding?} for classifiers.
export const result = (id, payload, timings) => ({ type: MSG.RESULT, id, ...payload, timings });
export const dispose = (id) => ({ type: MSG.DISPOSE, id });
export const disposed = (id) => ({ type: MSG.DISPOSED, id });
export const error = (id, err) => ({ type: MSG.ERROR, id, error: serializeError(err) });
export const run = (id, feeds) => ({ type: MSG.RUN, id, feeds });
export const outputs = (id, tensors, timings) => ({ type: MSG.OUTPUTS, id, outputs: tensors, timings });
export const train = (id, op, args = {}) => ({ type: MSG.TRAIN, id, op, ...args });
export const trained = (id, result) => ({ type: MSG.TRAINED, id, result });
export const epoch = (id, record) => ({ type: MSG.EPOCH, id, record });
export const cancel = (id) => ({ type: MSG.CANCEL, id });
export const progress = (id, { file, loaded, total, cached = false }) => ({ type: MSG.PROGRESS, id, file, loaded, total, cached });
export const federate = (id, op, args = {}) => ({ type: MSG.FEDERATE, id, op, ...args });
export const federated = (id, result) => ({ type: MSG.FEDERATED, id, result });
