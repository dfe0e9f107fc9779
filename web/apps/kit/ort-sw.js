// A second, narrower service worker: scope /vendor/onnxruntime-web/ (allowed by the server's
// Service-Worker-Allowed header on this script), one for every app (each registers this same file).
// onnxruntime-web starts
// its pthread workers from its own URL (/vendor/onnxruntime-web/ort-wasm-simd-threaded.mjs), and a
// dedicated worker is matched to a service worker by its own URL — outside this app's scope — so
// without this one the threads cannot start with the network off.
// It stores nothing: network first, then the copy an Edgeward app's sw.js keeps (validated there).
// Only one service worker controls that scope per origin, whichever app registered it last, so it
// looks in every app's cache ('edgeward-…'), not only this app's: no app loses the others' copies.

const APP_CACHES = /^edgeward-(?!models-)/; // the apps' caches, not the runtime's model cache

self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function cachedCopy(url) {
  for (const name of await caches.keys()) {
    if (!APP_CACHES.test(name)) continue;
    const hit = await (await caches.open(name)).match(url);
    if (hit) return hit;
  }
  return undefined;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || request.headers.has('range')) return;
  event.respondWith(fetch(request).catch(async (err) => {
    const url = new URL(request.url);
    url.search = '';
    url.hash = '';
    const cached = await cachedCopy(url.href);
    if (cached) return cached;
    throw err;
  }));
});
