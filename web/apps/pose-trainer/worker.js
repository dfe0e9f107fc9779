// The pose trainer's worker, started from this folder so that it is a client of this app's service worker
// (a dedicated worker is matched to a service worker by its own URL): its imports, the onnxruntime-web
// files and the pose package's manifest then come from the offline cache when the network is off.
// Everything else is the runtime's worker.
import '/runtime/worker.js';
