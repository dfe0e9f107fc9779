// The service worker every offline demo app shares (playground, classifier trainer, …): after one
// visit the app works with the network off. An app's sw.js sets `self.EDGEWARD_APP = {name,
// defaultModelManifest}` and imports this file (importScripts: same origin, kept with the
// registration, so it is there offline too).
//
// Scope: the app's folder. It only ever stores, in its own cache (`edgeward-NAME-<id>`, below):
//   - the app's files (its folder),
//   - the modules its app and worker import: the demo kit (/apps/kit/…, with its stylesheet) and
//     the runtime (/runtime/…), found by following the import statements (where the server has an
//     up-to-date build, web/tools/build.mjs, app.js and worker.js are bundles: their chunks, then),
//   - the onnxruntime-web files the CPU backend loads (/vendor/onnxruntime-web/…), and Edgeward's own
//     kernels (/runtime/kernels/kernels.wasm),
//   - package manifests (/models/NAME/VERSION/manifest.json) and the model index the model
//     pickers read (/models/index.json).
// kit/ort-sw.js (scope /vendor/onnxruntime-web/, shared by the apps) answers onnxruntime-web's pthread worker
// scripts from this app's live cache: those workers are matched by their own URL, outside this scope.
// Model files are NOT stored here: the runtime keeps them in its own verified cache (cache.js),
// keyed by sha256 and re-verified on every read; trained models live in IndexedDB.
//
// Strategy: network first (a rebuilt runtime or package is picked up at once when online), the
// cached copy when the network fails. Only a complete 200 same-origin response of the expected
// type is ever stored: an HTML error page never replaces a script, wasm binary or manifest.
//
// Updates are all or nothing: each install fills a cache of its own (`edgeward-NAME-<id>`, unique to
// that worker) while the old worker goes on serving its cache; a state entry (STATE_KEY) says
// 'installed' once every file is in, and activate makes it 'live' — one write, the switch — then
// deletes the app's older caches (first copying over the JSON the pages asked to keep, never code).
// Online, network first still refreshes single files of the live cache. The fetch handler (and kit/ort-sw.js) serve the newest live cache
// only, so an offline visitor never runs half of one version with half of another. An install that
// fails part way deletes its cache and rejects: the browser keeps the old worker, which never saw it.

const { name: APP, defaultModelManifest: DEFAULT_MODEL_MANIFEST } = self.EDGEWARD_APP;
const PREFIX = `edgeward-${APP}-`; // kit/ort-sw.js reads the apps' caches by the `edgeward-` prefix
const ORIGIN = self.location.origin;
// This app's caches: the id has no '-', so another app's (`edgeward-NAME-more-<id>`) never matches.
const OWN_CACHE = new RegExp(`^${PREFIX}[0-9a-z]+$`); // app names are [a-z0-9-]
const LEGACY_CACHE = `${PREFIX}v1`; // the one cache of the workers before installs had ids
// Where each cache keeps its state, {state: 'installed' | 'live'}: no such file is ever served (same in ort-sw.js).
const STATE_KEY = `${ORIGIN}/apps/kit/.edgeward-cache-state`;
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
  '/runtime/kernels/kernels.wasm', // fetched by kernels/net.js (backend 'kernels')
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
  if (href === STATE_KEY) return false;
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

/** This app's caches, oldest first (CacheStorage.keys() lists them in the order they were created), with their states. */
async function ownCaches() {
  const names = (await caches.keys()).filter((name) => OWN_CACHE.test(name));
  return Promise.all(names.map(async (name) => {
    const entry = await caches.match(STATE_KEY, { cacheName: name });
    return { name, state: entry ? (await entry.json()).state : null };
  }));
}

const markAs = (cache, state) => cache.put(STATE_KEY, new Response(JSON.stringify({ state }),
  { headers: { 'content-type': 'application/json' } }));

let liveName = null; // the live cache's name, remembered (and checked: a newer worker's activate deletes it)

/** The cache this worker serves and adds to: the app's newest live one (null: none). */
async function liveCache() {
  if (!liveName || !(await caches.has(liveName))) {
    liveName = (await ownCaches()).findLast((c) => c.state === 'live')?.name ?? null;
  }
  return liveName ? caches.open(liveName) : null;
}

/**
 * Copy into `toName` what the pages asked to keep (JSON: package manifests, the model index, their data
 * files) from the previous live cache, where the new one lacks it; code never crosses versions.
 */
async function carryOver(fromName, toName) {
  const [from, to] = [await caches.open(fromName), await caches.open(toName)];
  for (const request of await from.keys()) {
    if (request.url === STATE_KEY || !request.url.endsWith('.json') || await to.match(request)) continue;
    const response = await from.match(request);
    if (response) await to.put(request, response);
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    // an install cut off by the browser left a cache with no state: nobody's (the legacy one is live)
    for (const c of await ownCaches()) if (!c.state && c.name !== LEGACY_CACHE) await caches.delete(c.name);
    const name = `${PREFIX}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`; // this install's
    const cache = await caches.open(name);
    try {
      // allSettled: every write in flight ends before the cache is deleted on a failure
      const results = await Promise.allSettled([
        ...SHELL.map((u) => fetchAndStore(cache, new URL(u, SCOPE).href)),
        ...RUNTIME_FILES.map((u) => fetchAndStore(cache, new URL(u, ORIGIN).href)),
        cacheModuleGraph(cache, MODULE_ENTRIES),
      ]);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      await fetchAndStore(cache, new URL(DEFAULT_MODEL_MANIFEST, ORIGIN).href).catch(() => {});
      await fetchAndStore(cache, new URL(MODEL_INDEX, ORIGIN).href).catch(() => {});
      await markAs(cache, 'installed');
    } catch (err) {
      await caches.delete(name); // nothing of the new version stays; the old worker keeps serving its cache
      throw err; // install fails: the browser keeps the old worker
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const own = await ownCaches();
    // this worker's install (or a later one's, already through: that worker comes next anyway)
    const next = own.findLast((c) => c.state === 'installed' || c.state === 'live');
    if (next) {
      if (next.state === 'installed') {
        const previous = own.findLast((c) => c !== next && (c.state === 'live' || c.name === LEGACY_CACHE));
        if (previous) await carryOver(previous.name, next.name);
        await markAs(await caches.open(next.name), 'live'); // the switch, one write
      }
      liveName = next.name;
      // the older ones (a later install still filling its cache keeps it)
      for (const c of own.slice(0, own.indexOf(next))) await caches.delete(c.name);
    }
    await self.clients.claim();
  })());
});

async function networkFirst(request) {
  const cache = await liveCache();
  const key = cacheKey(request.url);
  try {
    const response = await fetch(request);
    if (cache && !rejectReason(request.url, response)) {
      const cached = await cache.match(key);
      const etag = response.headers.get('etag');
      // Only rewrite the stored copy when it changed (the wasm binary is 14 MB).
      if (!cached || !etag || cached.headers.get('etag') !== etag) {
        await store(cache, request.url, response.clone()).catch((err) => console.warn('[sw]', err.message));
      }
    }
    return response; // an error response is passed on as is, and never stored
  } catch (err) {
    const cached = await cache?.match(key);
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
    const cache = await liveCache();
    const cached = [];
    const failed = [];
    for (const url of msg.urls || []) {
      if (!cache) { failed.push({ url, reason: 'the service worker has no offline copy of the app' }); continue; }
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
