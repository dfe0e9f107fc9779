// Pose playground: webcam / image / video → pose detector (in a worker) → skeleton overlay.
// Frames are dropped, never queued: at most one estimate is in flight.
// Video runs pipelined (two frames in flight; see web/src/video-loop.js); 'Track region of interest'
// estimates each video frame on a crop around the previous pose (web/src/tasks/roi.js).
// Query params: ?model=/models/posenet/latest/ &backend=wasm|webgpu &threads=N &variant=fp32 &sw=0
// The model picker (#model) lists the pose packages of /models/index.json; choosing one disposes the
// current detector, loads the new one (the source keeps running) and rewrites ?model= to match.
// Offline-first: a service worker (sw.js, scope: this folder) keeps the app, the runtime and
// onnxruntime-web; the model bytes live in the runtime's verified cache (keyed by sha256).

import { clearCachedModels, createPoseDetector, drawPoses, listCachedModels, nextRoi } from '/runtime/edgeward.js';
import {
  $, errorDisplay, FrameSource, fillModelPicker as fillPicker, fpsWindow, listTaskModels, readBitmap, runtimeOptions,
  setStatus, showBackendName, showTimings, syncModelParam, titleCase, whileCurrent, withSlash,
} from '/runtime/app-kit.js';

const params = new URLSearchParams(location.search);
const DEFAULT_MODEL = '/models/posenet/latest/';
let modelUrl = withSlash(params.get('model') || DEFAULT_MODEL);

const state = {
  framesDone: 0, droppedFrames: 0, lastPoses: [], lastTimings: null, backend: null, manifest: null,
  roi: null, // the crop the next video frame is estimated on (ROI tracking), or null
  errors: [], source: null, cache: null, progress: [], offlineReady: false, offlineError: null,
  readyMs: null, firstEstimateMs: null, // ms since navigation start; ms for the first image (bench/first_pose.py)
  modelUrl, models: [], switches: 0, // the package in use; the picker's choices [{name, url, label}]
};
window.playground = state;

let detector = null; // null while a model (re)loads: frames are then dropped
let loadToken = 0; // bumped on every model switch, so a superseded load is disposed
let imageFile = null; // the chosen image, estimated again after a model switch
const { showError, clearError } = errorDisplay(state, 'playground');
const source = new FrameSource(state, { onStop: () => { imageFile = null; }, onError: showError, clearError });
const fps = fpsWindow();

/** Whether the loaded package decodes one pose only (MoveNet Lightning / Thunder). */
function singlePoseOnly(manifest) {
  const post = manifest?.postprocess;
  return post?.kind === 'movenet' && !post.multipose;
}

function poseOptions(roi = null) {
  const multi = $('multi').checked && !singlePoseOnly(state.manifest);
  return {
    roi,
    maxPoses: multi ? Math.max(1, parseInt($('max-poses').value, 10) || 1) : 1,
    scoreThreshold: parseFloat($('score-threshold').value),
    nmsRadius: Math.max(0, parseFloat($('nms-radius').value) || 0),
    flipHorizontal: $('mirror').checked,
  };
}

/** The dashed box of the crop a video frame was estimated on (ROI tracking). */
function drawRoi(ctx, roi, width) {
  if (!roi) return;
  const [x0, y0, x1, y1] = roi;
  const mirrored = $('mirror').checked; // the overlay shows mirrored coordinates then
  ctx.save();
  ctx.setLineDash([8, 6]);
  ctx.strokeStyle = '#ffca28';
  ctx.lineWidth = Math.max(1, width / 400);
  ctx.strokeRect(mirrored ? width - x1 : x0, y0, x1 - x0, y1 - y0);
  ctx.restore();
}

function render(width, height, poses, roi = null) {
  const canvas = $('overlay');
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, width, height);
  drawPoses(ctx, poses, state.manifest, { minScore: poseOptions().scoreThreshold, lineWidth: Math.max(2, width / 200) });
  drawRoi(ctx, roi, width);
}

function recordFrame(d, poses, width, height, roi) {
  state.framesDone += 1;
  state.lastPoses = poses;
  state.lastTimings = d.lastTimings;
  $('fps').textContent = String(fps());
  showTimings(d.lastTimings);
  render(width, height, poses, roi);
}

/** One estimate on the current detector; a late answer from a detector switched away from is dropped. */
function estimate(input, width, height, token, roi = null) {
  return whileCurrent(() => detector, source, token, (d) => d.estimatePoses(input, poseOptions(roi)),
    (d, poses) => recordFrame(d, poses, width, height, roi));
}

/** ROI tracking (video only): the next frame's crop comes from this frame's best pose. */
function trackRoi(poses, width, height) {
  state.roi = $('roi').checked && poses
    ? nextRoi(poses, width, height, state.manifest.preprocess.size, { flipped: $('mirror').checked })
    : null;
}

function runVideoLoop(video) {
  state.roi = null;
  source.runVideoLoop(video, {
    ready: () => detector !== null,
    run: async (token) => {
      const [width, height] = [video.videoWidth, video.videoHeight];
      trackRoi(await estimate(video, width, height, token, $('roi').checked ? state.roi : null), width, height);
    },
  });
}

/** Estimate poses on the chosen image (again after a model switch). */
async function estimateImage(file, token, decoded = null) {
  if (!detector) { decoded?.close(); return; } // a model is loading: it estimates the image once ready
  const bitmap = decoded || await readBitmap(file);
  source.busy = true;
  try {
    const t0 = performance.now();
    const poses = await estimate(bitmap, bitmap.width, bitmap.height, token);
    if (poses) state.firstEstimateMs ??= performance.now() - t0;
  } finally {
    source.busy = false;
  }
}

async function startImage(file) {
  source.stop();
  clearError();
  const token = source.token;
  const bitmap = await readBitmap(file); // a non-image fails here, before anything is shown
  source.showImage(file);
  imageFile = file;
  await estimateImage(file, token, bitmap);
}

function wireControls() {
  $('webcam').addEventListener('click', () => source.startWebcam(runVideoLoop));
  $('file').addEventListener('change', (e) => source.startFile(e.target.files[0], { startImage, loop: runVideoLoop }));
  $('stop').addEventListener('click', () => source.stop());
  $('score-threshold').addEventListener('input', (e) => {
    $('score-threshold-value').textContent = Number(e.target.value).toFixed(2);
  });
  $('mirror').addEventListener('change', (e) => $('stage').classList.toggle('mirrored', e.target.checked));
  $('model').addEventListener('change', (e) => { if (e.target.value) switchModel(e.target.value); });
}

function formatBytes(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`;
}

async function showCachedModels() {
  const list = $('cached');
  list.replaceChildren();
  try {
    for (const m of await listCachedModels()) {
      const li = document.createElement('li');
      const pkg = /\/models\/([^/]+)\//.exec(m.url ? new URL(m.url, location.href).pathname : '')?.[1];
      li.textContent = `${pkg ? `${pkg}/` : ''}${m.file} · ${formatBytes(m.bytes || 0)} · ${m.sha256.slice(0, 12)}…${m.storage === 'memory' ? ' (memory only)' : ''}`;
      list.append(li);
    }
  } catch (err) {
    console.warn('[playground] cannot list cached models:', err);
  }
}

function onProgress(p) {
  state.progress.push(p);
  const bar = $('progress');
  bar.hidden = p.loaded >= p.total;
  bar.max = p.total;
  bar.value = p.loaded;
  setStatus('loading', p.cached ? `${p.file}: from cache` : `${p.file}: ${formatBytes(p.loaded)} of ${formatBytes(p.total)}`);
}

function activated(registration) {
  const worker = registration.active || registration.waiting || registration.installing;
  if (!worker || worker.state === 'activated') return Promise.resolve();
  return new Promise((resolve, reject) => {
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated') resolve();
      if (worker.state === 'redundant') reject(new Error(`${worker.scriptURL} failed to install`));
    });
  });
}

let swRegistration = null; // resolves to the playground's service worker registration, or null

/** Ask the service worker to keep `urls` (package manifests, the model index) for offline use. */
async function keepOffline(urls) {
  const registration = await swRegistration;
  if (!registration?.active) return;
  const reply = await new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (e) => resolve(e.data);
    registration.active.postMessage({ type: 'cache-urls', urls }, [channel.port2]);
  });
  if (reply.failed.length) throw new Error(reply.failed.map((f) => `${f.url}: ${f.reason}`).join('; '));
}

const manifestUrl = (url) => new URL('manifest.json', new URL(url, location.href)).href;

/** Register the service workers, and have it keep what this page needs offline (the manifest). */
async function setUpOffline() {
  if (!('serviceWorker' in navigator) || params.get('sw') === '0') {
    $('offline').textContent = 'off';
    swRegistration = Promise.resolve(null);
    return;
  }
  let resolveRegistration;
  swRegistration = new Promise((resolve) => { resolveRegistration = resolve; });
  try {
    const sw = { type: 'classic', updateViaCache: 'none' };
    await navigator.serviceWorker.register('./sw.js', { scope: './', ...sw });
    // onnxruntime-web's pthread workers are matched by their own URL: a second worker serves them.
    const ortScope = '/vendor/onnxruntime-web/';
    const ortRegistration = await navigator.serviceWorker.register('./ort-sw.js', { scope: ortScope, ...sw });
    const registration = await navigator.serviceWorker.ready;
    await activated(ortRegistration);
    resolveRegistration(registration);
    await keepOffline([manifestUrl(modelUrl), new URL('/models/index.json', location.href).href]);
    state.offlineReady = true;
    $('offline').textContent = 'ready';
  } catch (err) {
    resolveRegistration(null);
    state.offlineError = String(err.message || err);
    $('offline').textContent = 'unavailable';
    $('offline').title = state.offlineError;
    console.warn('[playground] offline mode unavailable:', err);
  }
}

/** 'movenet-lightning' → 'MoveNet Lightning'. */
const title = (name) => titleCase(name, { posenet: 'PoseNet', movenet: 'MoveNet', multipose: 'MultiPose' });

/** Fill the picker with the pose packages the server has (one entry per name, its latest version). */
async function fillModelPicker() {
  state.models = await listTaskModels('pose', title,
    (err) => console.warn('[playground] cannot list the models; offering the current one only:', err));
  fillPicker(state.models, modelUrl);
}

/** Disable the multi-pose controls a single-pose package (MoveNet Lightning / Thunder) cannot use. */
function applyModelCapabilities(manifest) {
  const single = singlePoseOnly(manifest);
  const movenet = manifest.postprocess.kind === 'movenet';
  $('multi').disabled = single;
  $('max-poses').disabled = single;
  $('nms-radius').disabled = movenet; // MoveNet finds its people itself: no NMS radius to set
  const note = $('multi-note');
  note.hidden = !movenet;
  note.textContent = single
    ? `${title(manifest.name)} estimates one pose (the most prominent person): multi-pose, max poses and NMS radius do not apply.`
    : movenet ? 'MoveNet MultiPose finds the people itself: the NMS radius does not apply.' : '';
}

function showBackend(d) {
  state.backend = d.backend;
  state.manifest = d.manifest;
  state.cache = d.cache;
  state.modelUrl = modelUrl;
  $('progress').hidden = true;
  const c = d.cache;
  if (c) {
    $('cache').textContent = `${c.from === 'network' ? 'downloaded' : `from ${c.from}`}${c.stored === 'memory' ? ' (memory only)' : ''}`;
    $('cache').title = c.warning || (c.persisted ? 'persistent storage granted' : 'storage may be evicted under pressure');
    if (c.warning) showError({ name: 'StorageWarning', message: c.warning });
  }
  showCachedModels();
  showBackendName(d.backend);
  $('model-info').textContent = `${d.manifest.name}@${d.manifest.version} (${d.backend.variant})`;
  applyModelCapabilities(d.manifest);
}

function detectorOptions() {
  return { onProgress, workerUrl: new URL('./worker.js', import.meta.url).href, ...runtimeOptions(params) };
}

/** Load the pose package at `url` as the current detector (disposing the previous one); true when ready. */
async function loadDetector(url) {
  const token = ++loadToken;
  const old = detector;
  detector = null; // the video loop drops frames until the new model is ready
  old?.dispose().catch((err) => console.warn('[playground] dispose:', err));
  for (const id of ['webcam', 'file']) $(id).disabled = true;
  setStatus('loading');
  $('model-info').textContent = url;
  let d;
  try {
    d = await createPoseDetector(url, detectorOptions());
  } catch (err) {
    if (token === loadToken) {
      showError(err);
      setStatus('error');
      for (const id of ['webcam', 'file']) $(id).disabled = false; // another model may be picked; sources stay usable
    }
    return false;
  }
  if (token !== loadToken) { // superseded by a later pick while loading
    d.dispose().catch(() => {});
    return false;
  }
  detector = d;
  showBackend(d);
  for (const id of ['webcam', 'file']) $(id).disabled = false;
  if (state.readyMs === null) {
    state.readyMs = performance.now();
    state.loadTimings = d.loadTimings; // {loadMs, warmupMs} inside the worker
  }
  setStatus('ready');
  return true;
}

/** The picker's change: load the chosen package, keep ?model= in sync, re-run a still image. */
async function switchModel(url) {
  if (url === modelUrl && detector) return;
  modelUrl = url;
  state.switches += 1;
  syncModelParam(params, url);
  clearError();
  if (!(await loadDetector(url))) return;
  keepOffline([manifestUrl(url)]).catch((err) => console.warn('[playground] offline copy of the manifest:', err));
  if (state.source === 'image' && imageFile) { // its estimate on the old model, if any, is ignored
    await estimateImage(imageFile, source.token).catch(showError);
  }
}

async function main() {
  wireControls();
  $('clear-cache').addEventListener('click', async () => {
    await clearCachedModels();
    await showCachedModels();
  });
  const offline = setUpOffline(); // in parallel with loading the model
  const picker = fillModelPicker();
  await loadDetector(modelUrl);
  await picker;
  await offline;
}

window.addEventListener('unhandledrejection', (e) => showError(e.reason));
main();
