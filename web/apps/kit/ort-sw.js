// A second, narrower service worker: scope /vendor/onnxruntime-web/ (allowed by the server's
// Service-Worker-Allowed header on this script), one for every app (each registers this same file).
// onnxruntime-web starts
// its pthread workers from its own URL (/vendor/onnxruntime-web/ort-wasm-simd-threaded.mjs), and a
// dedicated worker is matched to a service worker by its own URL — outside this app's scope — so
// without this one the threads cannot start with the network off.
// It stores nothing: network first, then the copy an Edgeward app's sw.js keeps (validated there).
// Only one service worker controls that scope per origin, whichever app registered it last, so it
// looks in every app's cache ('edgeward-…'), not only this app's: no app loses the others' copies.
// Only in live ones (sw-shell.js): never in a cache an app's new version is still filling, whose
// thread script could be of another onnxruntime-web than the page's.

const APP_CACHES = /^edgeward-(?!models-)/; // the apps' caches, not the runtime's model cache
const STATE_KEY = new URL('/apps/kit/.edgeward-cache-state', self.location.origin).href; // as in sw-shell.js
const LEGACY = /-v1$/; // an app's one cache from before installs had their own (live for its old worker)

async function isLive(name) {
  const entry = await caches.match(STATE_KEY, { cacheName: name });
  return entry ? (await entry.json()).state === 'live' : LEGACY.test(name);
}

self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function cachedCopy(url) {
  for (const name of (await caches.keys()).reverse()) { // the newest first
    if (!APP_CACHES.test(name) || !(await isLive(name))) continue;
    const hit = await caches.match(url, { cacheName: name });
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
