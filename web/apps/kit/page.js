// The demo pages' common elements and query options: what every other kit module builds on.
// Ids it works on: #status (with body[data-status], which tests wait on) #error #overlay.

import { checkImageBlob } from '/runtime/image-size.js';

export const $ = (id) => document.getElementById(id);

/** '/models/x/latest' → '/models/x/latest/' (package URLs are folders). */
export const withSlash = (u) => (u.endsWith('/') ? u : `${u}/`);

/** body[data-status] (what tests wait on) and the #status text. */
export function setStatus(status, text = status) {
  document.body.dataset.status = status;
  $('status').textContent = text;
}

/**
 * showError / clearError on #error. Every message is also pushed to `state.errors`, so a test can
 * assert that none was shown; console.warn (not error) keeps the page's own console-error check clean.
 */
export function errorDisplay(state, tag) {
  return {
    showError(err) {
      const message = err && err.message ? `${err.name || 'Error'}: ${err.message}` : String(err);
      state.errors.push(message);
      $('error').textContent = message;
      $('error').hidden = false;
      console.warn(`[${tag}]`, message);
    },
    clearError() {
      $('error').hidden = true;
      $('error').textContent = '';
    },
  };
}

/** The runtime options given by ?backend= &threads= &variant= (only those present). */
export function runtimeOptions(params) {
  const options = {};
  if (params.get('backend')) options.backend = params.get('backend');
  if (params.get('threads')) options.numThreads = parseInt(params.get('threads'), 10);
  if (params.get('variant')) options.variant = params.get('variant');
  return options;
}

/**
 * Decode an image file, with an error that names it (the worker would only say 'cannot decode'); one
 * whose header declares too many pixels is refused before decoding (web/src/image-size.js).
 */
export async function readBitmap(file) {
  await checkImageBlob(file);
  return createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' })
    .catch((err) => { throw Object.assign(new Error(`'${file.name}' is not a readable image (${file.type || 'unknown type'}): ${err.message}`), { name: 'ImageError' }); });
}

/**
 * The #overlay canvas sized to the frame (in the frame's pixels; CSS stretches it over the media)
 * and cleared: its 2D context, for the app to draw one result on.
 */
export function overlayContext(width, height) {
  const canvas = $('overlay');
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

/** Clear the #overlay, if the page has one (a stopped source leaves no stale drawing behind). */
export function clearOverlay() {
  const canvas = $('overlay');
  canvas?.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
}
