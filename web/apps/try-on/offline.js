// Offline use, as the playground and the classifier trainer do it (this file is the trainer's
// offline.js; both could move to the kit): this folder's service worker (sw.js) keeps the app, the kit,
// the runtime and onnxruntime-web; ort-sw.js answers onnxruntime-web's pthread worker scripts (matched
// by their own URL, outside this scope); the pose model's bytes live in the runtime's verified cache.
// ?sw=0 turns it off. Id: #offline.

import { $ } from '/apps/kit/page.js';
import { activated } from '/apps/kit/service-workers.js';

/** Ask the active service worker to keep `urls` (the pose package's manifest, the model index). */
async function keepOffline(registration, urls) {
  const reply = await new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (e) => resolve(e.data);
    registration.active.postMessage({ type: 'cache-urls', urls }, [channel.port2]);
  });
  if (reply.failed.length) throw new Error(reply.failed.map((f) => `${f.url}: ${f.reason}`).join('; '));
}

/**
 * Register the service workers and have them keep what this page needs offline. Sets
 * state.offlineReady, or state.offlineError (the app works on, online only).
 * @param {{offlineReady: boolean, offlineError: string | null}} state @param {string} modelUrl the pose package
 */
export async function setUpOffline(state, modelUrl) {
  if (!('serviceWorker' in navigator) || new URLSearchParams(location.search).get('sw') === '0') {
    $('offline').textContent = 'off';
    return;
  }
  try {
    const sw = { type: 'classic', updateViaCache: 'none' };
    await navigator.serviceWorker.register('./sw.js', { scope: './', ...sw });
    const ortRegistration = await navigator.serviceWorker.register('/apps/kit/ort-sw.js', { scope: '/vendor/onnxruntime-web/', ...sw });
    const registration = await navigator.serviceWorker.ready;
    await activated(ortRegistration);
    const manifest = new URL('manifest.json', new URL(modelUrl, location.href)).href;
    await keepOffline(registration, [manifest, new URL('/models/index.json', location.href).href]);
    state.offlineReady = true;
    $('offline').textContent = 'ready';
  } catch (err) {
    state.offlineError = String(err.message || err);
    $('offline').textContent = 'unavailable';
    $('offline').title = state.offlineError;
    console.warn('[try-on] offline mode unavailable:', err);
  }
}
