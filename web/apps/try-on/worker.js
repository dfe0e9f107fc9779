// The inference worker, started from this folder so that it is a client of the try-on's service
// worker (a dedicated worker is matched to a service worker by its own URL): its imports, the
// onnxruntime-web files and the package manifest then come from the offline cache when the network
// is off. Everything else is the runtime's worker.
import '/runtime/worker.js';
