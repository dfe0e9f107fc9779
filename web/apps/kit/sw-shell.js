// The service worker every offline demo app shares (playground, classifier trainer, …): after one
// visit the app works with the network off. An app's sw.js sets `self.EDGEWARD_APP = {name,
// defaultModelManifest}` and imports this file (importScripts: same origin, kept with the
// registration, so it is there offline too).
//
// Scope: the app's folder. It only ever stores, in its own cache (`edgeward-NAME-v1`):
//   - the app's files (its folder),
//   - the modules its app and worker import: the demo kit (/apps/kit/…, with its stylesheet) and
//     the runtime (/runtime/…), found by following the import statements,
//   - the onnxruntime-web files the CPU backend loads (/vendor/onnxruntime-web/…),
//   - package manifests (/models/NAME/VERSION/manifest.json) and the model index the model
//     pickers read (/models/index.json).
// kit/ort-sw.js (scope /vendor/onnxruntime-web/, shared by the apps) answers onnxruntime-web's pthread worker
// scripts from this cache: those workers are matched by their own URL, outside this scope.
// Model files are NOT stored here: the runtime keeps them in its own verified cache (cache.js),
// keyed by sha256 and re-verified on every read; trained models live in IndexedDB.
//
// Strategy: network first (a rebuilt runtime or package is picked up at once when online), the
// cached copy when the network fails. Only a complete 200 same-origin response of the expected
// type is ever stored: an HTML error page never replaces a script, wasm binary or manifest.

const { name: APP, defaultModelManifest: DEFAULT_MODEL_MANIFEST } = self.EDGEWARD_APP;
const PREFIX = `edgeward-${APP}-`;
const VERSION = `${PREFIX}v1`; // kit/ort-sw.js reads the apps' caches by this prefix
const ORIGIN = self.location.origin;
const SCOPE = new URL('./', self.location.href).href;
const VENDOR = `${ORIGIN}/vendor/onnxruntime-web/`;
const RUNTIME = `${ORIGIN}/runtime/`;
const KIT = `${ORIGIN}/apps/kit/`; // what the demo pages share (the controller, sources, stats)
const MANIFEST_PATH = /^\/models\/[a-z0-9][a-z0-9._-]*\/[^/]+\/manifest\.json$/;
const MODEL_INDEX = '/models/index.json'; // the model picker's list

const SHELL = ['./', 'style.css', '/apps/kit/kit.css', 'manifest.webmanifest', '/apps/kit/ort-sw.js', 'icon.svg', 'icon-192.png',
  'icon-512.png', '/apps/favicon.svg'];
// stored with every kit and runtime module they import (the page's app, the inference worker's script)
const MODULE_ENTRIES = ['app.js', 'worker.js'];
const RUNTIME_FILES = ['/runtime/manifest.schema.json', // fetched by manifest.js
  '/vendor/onnxruntime-web/ort.wasm.min.mjs', // imported by backends.js (CPU backend)
  '/vendor/onnxruntime-web/ort-wasm-simd-threaded.mjs', // imported by ort, and the pthread workers' script
  '/vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm'];

const EXPECTED_TYPES = {
  js: ['text/javascript', 'application/javascript'], mjs: ['text/javascript', 'application/javascript'],
  wasm: ['application/wasm'], json: ['application/json'], webmanifest: ['application/manifest+json', 'application/json'],
  css: ['text/css'], html: ['text/html'], png: ['image/png'], svg: ['image/svg+xml'],
};

/** Whether this service worker may store `url` at all (its narrow allow-list). */
function storable(url) {
  const u = new URL(url, SCOPE);
  if (u.origin !== ORIGIN) return false;
  const href = u.href.split(/[?#]/)[0];
  return href.startsWith(SCOPE) || href.startsWith(RUNTIME) || href.startsWith(KIT) || href.startsWith(VENDOR)
    || MANIFEST_PATH.test(u.pathname) || u.pathname === MODEL_INDEX;
}

function cacheKey(url) {
  const u = new URL(url, SCOPE);
  u.search = ''; // ?model=…&backend=… select options, not a different file
  u.hash = '';
  return u.href;
}

/** Why `response` must not be stored for `url`, or null when it is a complete, expected file. */
function rejectReason(url, response) {
  if (!response) return 'no response';
  if (response.type !== 'basic' && response.type !== 'default') return `a ${response.type} response`;
  if (response.status !== 200) return `HTTP ${response.status}`;
  if (response.redirected) return 'a redirect';
  const path = new URL(url).pathname;
  const ext = path.endsWith('/') ? 'html' : (path.split('.').pop() || '').toLowerCase();
  const type = (response.headers.get('content-type') || '').split(';')[0].trim().toLowerCase();
  const expected = EXPECTED_TYPES[ext];
  if (expected && !expected.includes(type)) return `content-type ${type || 'missing'}, expected ${expected.join(' or ')}`;
  if (!expected && type === 'text/html') return 'an HTML page';
  return null;
}

async function store(cache, url, response) {
  const reason = rejectReason(url, response);
  if (reason) throw new Error(`${url}: not cached (${reason})`);
  // Cache.put reads the whole body first: a body cut short rejects here and stores nothing.
  await cache.put(cacheKey(url), response);
}

/** Fetch `url` from the network and store it (validated); returns the response text for JS. */
async function fetchAndStore(cache, url, wantText = false) {
  const response = await fetch(url, { cache: 'no-cache', credentials: 'same-origin' });
  const reason = rejectReason(url, response);
  if (reason) throw new Error(`${url}: not cached (${reason})`);
  const text = wantText ? await response.clone().text() : null;
  await store(cache, url, response);
  return text;
}

const IMPORT_RE = /^\s*(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?['"]([^'"]+)['"]/gm; // static, at line start
// import('./x.js') with a literal path: the worker loads training and federated modules on first use, and
// they must be there offline too (bare specifiers such as 'onnxruntime-web/wasm' are a bundler's business)
const DYNAMIC_IMPORT_RE = /\bimport\(\s*['"]((?:\.{1,2})?\/[^'"]+)['"]\s*\)/g;

/** Every module of this folder, the kit or the runtime reachable from `entries` through imports with literal paths. */
async function cacheModuleGraph(cache, entries) {
  const seen = new Set();
  const queue = entries.map((e) => new URL(e, SCOPE).href);
  while (queue.length) {
    const url = queue.shift();
    if (seen.has(url)) continue;
    seen.add(url);
    const source = await fetchAndStore(cache, url, true);
    for (const m of [...source.matchAll(IMPORT_RE), ...source.matchAll(DYNAMIC_IMPORT_RE)]) {
      const dep = new URL(m[1], url).href;
      const ours = dep.startsWith(SCOPE) || dep.startsWith(KIT) || dep.startsWith(RUNTIME);
      if (ours && !seen.has(dep)) queue.push(dep);
    }
  }
  return [...seen];
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    await Promise.all([
      ...SHELL.map((u) => fetchAndStore(cache, new URL(u, SCOPE).href)),
      ...RUNTIME_FILES.map((u) => fetchAndStore(cache, new URL(u, ORIGIN).href)),
      cacheModuleGraph(cache, MODULE_ENTRIES),
    ]);
    await fetchAndStore(cache, new URL(DEFAULT_MODEL_MANIFEST, ORIGIN).href).catch(() => {});
    await fetchAndStore(cache, new URL(MODEL_INDEX, ORIGIN).href).catch(() => {});
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== VERSION) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function networkFirst(request) {
  const cache = await caches.open(VERSION);
  const key = cacheKey(request.url);
  try {
    const response = await fetch(request);
    if (!rejectReason(request.url, response)) {
      const cached = await cache.match(key);
      const etag = response.headers.get('etag');
      // Only rewrite the stored copy when it changed (the wasm binary is 14 MB).
      if (!cached || !etag || cached.headers.get('etag') !== etag) {
        await store(cache, request.url, response.clone()).catch((err) => console.warn('[sw]', err.message));
      }
    }
    return response; // an error response is passed on as is, and never stored
  } catch (err) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !storable(request.url)) return; // model files, other apps: network
  if (request.headers.has('range')) return;
  event.respondWith(networkFirst(request));
});

// The page asks for extra files it needs offline (the manifest of the base model it loaded):
// {type: 'cache-urls', urls: [...]} → reply on the transferred port {cached: [...], failed: [...]}.
self.addEventListener('message', (event) => {
  const msg = event.data || {};
  if (msg.type !== 'cache-urls') return;
  const port = event.ports[0];
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    const cached = [];
    const failed = [];
    for (const url of msg.urls || []) {
      if (!storable(url)) { failed.push({ url, reason: 'outside what this service worker may store' }); continue; }
      try {
        await fetchAndStore(cache, new URL(url, ORIGIN).href);
        cached.push(url);
      } catch (err) {
        if (await cache.match(cacheKey(url))) cached.push(url); // offline: the stored copy stays
        else failed.push({ url, reason: err.message });
      }
    }
    port?.postMessage({ cached, failed });
  })());
});
