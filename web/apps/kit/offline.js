// Offline use of a demo app (a PWA), as the playground does it: the app folder's service worker (its
// sw.js on kit/sw-shell.js) keeps the app, the kit, the runtime and onnxruntime-web; kit/ort-sw.js answers
// onnxruntime-web's pthread worker scripts (matched by their own URL, outside the app's scope); model
// bytes live in the runtime's verified cache. The page asks its service worker for what else it needs
// offline (the model's manifest, the model index, its own data files). ?sw=0 turns it off. Id: #offline.

import { $ } from './page.js';
import { activated } from './service-workers.js';

const REPLY_TIMEOUT_MS = 30_000;

/**
 * Post `urls` to `worker` once it is activated (its cache is the live one then): {reply}, or {lost: why}
 * when no reply came within `timeoutMs` or the worker went redundant first (a newer version took over:
 * the message may never have been handled).
 * @param {ServiceWorker} worker @param {string[]} urls @param {number} timeoutMs
 * @returns {Promise<{reply?: {cached: string[], failed: {url: string, reason: string}[]}, lost?: string}>}
 */
function ask(worker, urls, timeoutMs) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const done = (outcome) => {
      clearTimeout(timer);
      worker.removeEventListener('statechange', onState);
      channel.port1.close();
      resolve(outcome);
    };
    let posted = false;
    const onState = () => {
      if (worker.state === 'redundant') done({ lost: 'it was replaced before it answered' });
      else if (worker.state === 'activated' && !posted) {
        posted = true;
        worker.postMessage({ type: 'cache-urls', urls }, [channel.port2]);
      }
    };
    const timer = setTimeout(() => done({ lost: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
    channel.port1.onmessage = (e) => done({ reply: e.data });
    worker.addEventListener('statechange', onState);
    onState();
  });
}

/**
 * Ask `registration`'s active service worker to keep `urls`; an Error lists those it could not store,
 * or says that no service worker answered (after one retry with the page's new controller, if it changed).
 * @param {ServiceWorkerRegistration} registration @param {string[]} urls
 * @param {{timeoutMs?: number}} [options]  how long to wait for each reply (30 s)
 */
export async function keepOffline(registration, urls, { timeoutMs = REPLY_TIMEOUT_MS } = {}) {
  const first = registration.active;
  if (!first) throw new Error('no active service worker to keep the files offline');
  let { reply, lost } = await ask(first, urls, timeoutMs);
  const next = [navigator.serviceWorker.controller, registration.active].find((w) => w && w !== first);
  if (!reply && next) ({ reply, lost } = await ask(next, urls, timeoutMs));
  if (!reply) throw new Error(`offline copies not made: the service worker gave no reply (${lost})`);
  if (reply.failed.length) throw new Error(reply.failed.map((f) => `${f.url}: ${f.reason}`).join('; '));
}

/** The manifest.json URL of the package folder `modelUrl`. @param {string} modelUrl */
export const manifestUrl = (modelUrl) => new URL('manifest.json', new URL(modelUrl, location.href)).href;

/**
 * Register the app's service workers and have them keep the package at `modelUrl` (its manifest), the
 * model index and `keep` (more URLs). Sets state.offlineReady, or state.offlineError (the app works on,
 * online only); resolves the registration (null when off or unavailable).
 * `after`: register once this settles (DemoController.quietAfter: the first model load, then the first
 * result or 2 s): a first install stores the whole app, the runtime and onnxruntime-web's 14 MB WASM,
 * which slowed the first load by a third, and then the first estimate (bench/first_pose.py, cold); after
 * them, those come from the HTTP cache (revalidated: 304, not the bytes again).
 * @param {{offlineReady: boolean, offlineError: string | null}} state
 * @param {{modelUrl: string, keep?: string[], tag: string, after?: Promise<unknown>}} options  tag: the app,
 *   in console warnings
 * @returns {Promise<ServiceWorkerRegistration | null>}
 */
export async function setUpOffline(state, { modelUrl, keep = [], tag, after = undefined }) {
  if (!('serviceWorker' in navigator) || new URLSearchParams(location.search).get('sw') === '0') {
    $('offline').textContent = 'off';
    return null;
  }
  await Promise.resolve(after).catch(() => {}); // a failed load is the page's to show; offline use goes on
  try {
    const sw = { type: 'classic', updateViaCache: 'none' };
    await navigator.serviceWorker.register('./sw.js', { scope: './', ...sw });
    const ortRegistration = await navigator.serviceWorker.register('/apps/kit/ort-sw.js', { scope: '/vendor/onnxruntime-web/', ...sw });
    const registration = await navigator.serviceWorker.ready;
    await activated(ortRegistration);
    const extra = keep.map((u) => new URL(u, location.href).href);
    await keepOffline(registration, [manifestUrl(modelUrl), new URL('/models/index.json', location.href).href, ...extra]);
    state.offlineReady = true;
    $('offline').textContent = 'ready';
    return registration;
  } catch (err) {
    state.offlineError = String(err.message || err);
    $('offline').textContent = 'unavailable';
    $('offline').title = state.offlineError;
    console.warn(`[${tag}] offline mode unavailable:`, err);
    return null;
  }
}
