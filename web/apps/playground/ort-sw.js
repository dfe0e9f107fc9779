// A second, even narrower service worker: scope /vendor/onnxruntime-web/ (allowed by the server's
// Service-Worker-Allowed header on this script). It exists because onnxruntime-web starts its
// pthread workers from its own URL (/vendor/onnxruntime-web/ort-wasm-simd-threaded.mjs), and a
// dedicated worker is matched to a service worker by its own URL: outside the playground's scope,
// so without this one the threads cannot start with the network off.
// It stores nothing: it answers from the copies the playground's sw.js keeps (validated there),
// network first, cache when the network fails.

const CACHE = 'edgeward-playground-v1'; // written by sw.js

self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || request.headers.has('range')) return;
  event.respondWith(fetch(request).catch(async (err) => {
    const url = new URL(request.url);
    url.search = '';
    url.hash = '';
    const cached = await (await caches.open(CACHE)).match(url.href);
    if (cached) return cached;
    throw err;
  }));
});
