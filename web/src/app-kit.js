// What the demo pages (pose playground, detection, classification) share: the frame source
// (webcam / image / video file), the pipelined frame-dropping video loop (web/src/video-loop.js;
// frames are dropped, never queued without bound), the FPS window, and the status / error / model-picker helpers.
// It works on the pages' common element ids: #status #error #video #image #hint #stop #file #dropped
// #fps #inference #backend #model. Served at /runtime/app-kit.js; the playground's service worker
// (apps/playground/sw.js) keeps it, and what it imports, for offline use.

import { DEFAULT_IN_FLIGHT, runVideoLoop } from './video-loop.js';

export const $ = (id) => document.getElementById(id);

export const withSlash = (u) => (u.endsWith('/') ? u : `${u}/`);

/** body[data-status] (what tests wait on) and the #status text. */
export function setStatus(status, text = status) {
  document.body.dataset.status = status;
  $('status').textContent = text;
}

/** showError / clearError on #error; every message is also pushed to `state.errors`. */
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

/** Frames finished in the last second: call tick() once per result, it returns the count. */
export function fpsWindow() {
  const times = [];
  return () => {
    const now = performance.now();
    times.push(now);
    while (times.length && times[0] < now - 1000) times.shift();
    return times.length;
  };
}

/** #inference: '12.3 ms (+4.5)' (inference, then pre- and post-processing). */
export function showTimings(t) {
  if (t) $('inference').textContent = `${t.inferenceMs.toFixed(1)} ms (+${(t.preprocessMs + t.decodeMs).toFixed(1)})`;
}

/** #backend: 'wasm · 4 threads', with the reason for the choice as its title. */
export function showBackendName(b) {
  $('backend').textContent = `${b.name}${b.name === 'wasm' ? ` · ${b.threads} thread${b.threads === 1 ? '' : 's'}` : ''}`;
  if (b.reason) $('backend').title = b.reason;
}

export function readBitmap(file) {
  return createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' })
    .catch((err) => { throw Object.assign(new Error(`'${file.name}' is not a readable image (${file.type || 'unknown type'}): ${err.message}`), { name: 'ImageError' }); });
}

/** 'movenet-lightning' → 'MoveNet Lightning', with `words` spelling the known parts. */
export function titleCase(name, words) {
  return name.split('-').map((w) => words[w] || (w && w[0].toUpperCase() + w.slice(1))).join(' ');
}

/** The packages of `task` in /models/index.json, one per name (its latest): [{name, url, label}]. */
export async function listTaskModels(task, title, warn) {
  let packages = [];
  try {
    const response = await fetch('/models/index.json', { cache: 'no-cache' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    packages = (await response.json()).packages || [];
  } catch (err) {
    warn(err);
  }
  const byName = new Map();
  for (const p of packages) if (p.task === task && !byName.has(p.name)) byName.set(p.name, p);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => ({ name: p.name, url: `/models/${p.name}/latest/`, label: title(p.name) }));
}

/** Fill the #model picker with `models`, plus `modelUrl` first when it is none of them (?model= elsewhere). */
export function fillModelPicker(models, modelUrl) {
  const select = $('model');
  const options = models.map((m) => new Option(m.label, m.url));
  if (!models.some((m) => m.url === modelUrl)) options.unshift(new Option(modelUrl, modelUrl));
  select.replaceChildren(...options);
  select.value = modelUrl;
  select.disabled = false;
}

/** Keep ?model= and the #model picker in step with the package in use. */
export function syncModelParam(params, url) {
  params.set('model', url);
  history.replaceState(history.state, '', `${location.pathname}?${params}${location.hash}`);
  if ($('model').value !== url) $('model').value = url;
}

/**
 * The page's one frame source (#video for the webcam and video files, #image for a still image) and
 * its frame-dropping loop. `token` changes on every source change, so an old loop stops and a result
 * for an old source can be told apart; `busy` is true while a still image is estimated.
 */
export class FrameSource {
  /**
   * @param {object} state the page's test hook: `source` ('webcam' | 'video' | 'image' | null) and
   *   `droppedFrames` are kept there
   * @param {{onStop?: () => void, onError: (err: any) => void, clearError: () => void}} hooks
   */
  constructor(state, { onStop, onError, clearError }) {
    this.state = state;
    this.onStop = onStop;
    this.onError = onError;
    this.clearError = clearError;
    this.token = 0;
    this.busy = false; // a still image is being estimated
    this.loop = null; // the video loop, while a video plays
    this.stream = null;
    this.objectUrl = null;
  }

  stop() {
    this.token += 1;
    this.loop?.stop();
    this.loop = null;
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    const video = $('video');
    video.pause();
    video.srcObject = null;
    video.removeAttribute('src');
    video.hidden = true;
    $('image').hidden = true;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
    this.onStop?.();
    this.state.source = null;
    $('stop').disabled = true;
  }

  dropFrame() {
    this.state.droppedFrames += 1;
    $('dropped').textContent = String(this.state.droppedFrames);
  }

  /**
   * The pipelined, frame-dropping loop of the runtime (video-loop.js) on `video`: `run(token)`
   * (returns a promise) per accepted frame, at most `inFlight` at once (default 2: the next frame
   * waits in the worker while one is inferred), none while a still image is being estimated (`busy`)
   * or `ready()` is false; other frames are dropped and counted. `release` runs after each `run`.
   */
  runVideoLoop(video, { ready, run, release = () => {}, inFlight = DEFAULT_IN_FLIGHT }) {
    const token = this.token;
    this.loop?.stop();
    this.loop = runVideoLoop(video, {
      inFlight,
      ready: () => token === this.token && !this.busy && ready(),
      run: () => run(token).finally(release),
      onDrop: () => { if (token === this.token) this.dropFrame(); },
      onError: (err) => { if (token === this.token) this.onError(err); },
    });
  }

  /** Stop the current source, `setup(video)`, show and play it, then `loop(video)`. */
  async startVideo(setup, kind, loop) {
    this.stop();
    this.clearError();
    const video = $('video');
    await setup(video);
    video.hidden = false;
    $('hint').hidden = true;
    $('stop').disabled = false;
    this.state.source = kind;
    await video.play();
    loop(video);
  }

  /** Ask for the webcam (640×480 ideally); the stream is stopped with the source. */
  async openWebcam() {
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    return this.stream;
  }

  async startWebcam(loop) {
    $('file').value = ''; // the file input no longer names the source
    try {
      await this.startVideo(async (video) => {
        video.srcObject = await this.openWebcam();
      }, 'webcam', loop);
    } catch (err) {
      this.stop();
      this.onError(err);
    }
  }

  /** A video file, played in a loop. */
  startVideoFile(file, loop) {
    return this.startVideo(async (video) => {
      this.objectUrl = URL.createObjectURL(file);
      video.loop = true;
      await new Promise((resolve, reject) => {
        video.onloadeddata = resolve;
        video.onerror = () => reject(Object.assign(new Error(`'${file.name}' is not a playable video`), { name: 'VideoError' }));
        video.src = this.objectUrl;
      });
    }, 'video', loop);
  }

  /** Show `file` as the still image source (the current source stopped first). */
  showImage(file) {
    this.objectUrl = URL.createObjectURL(file);
    const img = $('image');
    img.src = this.objectUrl;
    img.hidden = false;
    $('hint').hidden = true;
    $('stop').disabled = false;
    this.state.source = 'image';
  }

  /** An image or video file: `startImage(file)` for an image, else played as video. */
  async startFile(file, { startImage, loop }) {
    if (!file) return;
    try {
      if (file.type.startsWith('video/')) await this.startVideoFile(file, loop);
      else await startImage(file);
    } catch (err) {
      this.stop();
      this.onError(err);
    }
  }
}

/**
 * Run `call(model)` on the current model. Its result reaches `onResult(model, result)`, and its error
 * is rethrown, only while that model and the source token are still current: after a model switch
 * or a source change mid-flight the late answer is dropped (null).
 */
export async function whileCurrent(getModel, source, token, call, onResult) {
  const model = getModel();
  const current = () => model === getModel() && token === source.token;
  try {
    const result = await call(model);
    if (current()) onResult(model, result);
    return result;
  } catch (err) {
    if (current()) throw err;
    return null;
  }
}
