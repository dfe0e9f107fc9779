// Detection playground: webcam / image / video → object detector (in a worker) → boxes, labels, scores.
// Frames are dropped, never queued: at most one detect() is in flight.
// Query params: ?model=/models/centernet/latest/ &backend=wasm|webgpu &threads=N &variant=fp32
// The picker (#model) lists the 'detect' packages of /models/index.json; choosing one disposes the
// current detector, loads the new one (the source keeps running) and rewrites ?model= to match.

import { createDetector, detectionColor, drawDetections } from '/runtime/edgeward.js';
import {
  $, errorDisplay, FrameSource, fillModelPicker as fillPicker, fpsWindow, listTaskModels, readBitmap, runtimeOptions,
  setStatus, showBackendName, showTimings, syncModelParam, titleCase, whileCurrent, withSlash,
} from '/runtime/app-kit.js';

const params = new URLSearchParams(location.search);
let modelUrl = params.get('model') ? withSlash(params.get('model')) : null; // null: the first detect package

const state = {
  framesDone: 0, droppedFrames: 0, lastDetections: [], lastTimings: null, backend: null, manifest: null,
  errors: [], source: null, modelUrl: null, models: [],
};
window.detectPage = state;

let detector = null; // null while a model (re)loads: frames are then dropped
let loadToken = 0;
let imageFile = null; // the still image shown, detected again when a control or the model changes
const { showError, clearError } = errorDisplay(state, 'detect');
const source = new FrameSource(state, { onStop: () => { imageFile = null; }, onError: showError, clearError });
const fps = fpsWindow();

function detectOptions() {
  return {
    scoreThreshold: parseFloat($('score-threshold').value),
    iouThreshold: parseFloat($('iou-threshold').value),
    maxDetections: Math.min(100, Math.max(1, parseInt($('max-detections').value, 10) || 1)),
  };
}

function render(width, height, detections) {
  const canvas = $('overlay');
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, width, height);
  drawDetections(ctx, detections, { lineWidth: Math.max(2, Math.round(width / 250)), fontSize: Math.max(12, Math.round(width / 40)) });
}

function listDetections(detections) {
  const items = detections.map((d) => {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = detectionColor(d.class_id);
    const box = document.createElement('span');
    box.className = 'box';
    box.textContent = ` [${d.box.map((v) => Math.round(v)).join(', ')}]`;
    li.append(swatch, `${d.label} ${(d.score * 100).toFixed(1)}%`, box);
    return li;
  });
  $('detections').replaceChildren(...items);
}

function recordFrame(d, detections, width, height) {
  state.framesDone += 1;
  state.lastDetections = detections;
  state.lastTimings = d.lastTimings;
  const count = fps();
  $('fps').textContent = state.source === 'image' ? '–' : String(count);
  showTimings(d.lastTimings);
  $('count').textContent = String(detections.length);
  render(width, height, detections);
  listDetections(detections);
}

/** One detect() on the current detector; a late answer from a detector switched away from is dropped. */
function detect(input, width, height, token) {
  return whileCurrent(() => detector, source, token, (d) => d.detect(input, detectOptions()),
    (d, found) => recordFrame(d, found, width, height));
}

function runVideoLoop(video) {
  source.runVideoLoop(video, {
    ready: () => detector !== null,
    run: (token) => detect(video, video.videoWidth, video.videoHeight, token),
    release,
  });
}

let imagePending = false; // the still image wants another detect once the running one ends

/** The running detect ended: run the still image's pending one, if any (never more than one queued). */
function release() {
  source.busy = false;
  if (imagePending) {
    imagePending = false;
    detectImage().catch(showError);
  }
}

/** Detect on the still image; when a detect is already running, this runs once it ends. */
async function detectImage(decoded = null) {
  if (!detector || !imageFile) { decoded?.close(); return; }
  if (source.busy) { decoded?.close(); imagePending = true; return; }
  const token = source.token;
  source.busy = true;
  try {
    const bitmap = decoded || await readBitmap(imageFile);
    await detect(bitmap, bitmap.width, bitmap.height, token);
  } finally {
    release();
  }
}

async function startImage(file) {
  source.stop();
  clearError();
  const bitmap = await readBitmap(file); // a non-image fails here, before anything is shown
  source.showImage(file);
  imageFile = file;
  await detectImage(bitmap);
}

/** A control changed: a still image is detected again (video picks the options up on its next frame). */
function optionsChanged() {
  if (state.source === 'image') detectImage().catch(showError);
}

function wireControls() {
  $('webcam').addEventListener('click', () => source.startWebcam(runVideoLoop));
  $('file').addEventListener('change', (e) => source.startFile(e.target.files[0], { startImage, loop: runVideoLoop }));
  $('stop').addEventListener('click', () => source.stop());
  for (const id of ['score-threshold', 'iou-threshold']) {
    $(id).addEventListener('input', (e) => {
      $(`${id}-value`).textContent = Number(e.target.value).toFixed(2);
      optionsChanged();
    });
  }
  $('max-detections').addEventListener('change', optionsChanged);
  $('model').addEventListener('change', (e) => { if (e.target.value) switchModel(e.target.value); });
}

/** 'centernet' → 'CenterNet'. */
const title = (name) => titleCase(name, { centernet: 'CenterNet', nanodet: 'NanoDet', ssd: 'SSD', yolo: 'YOLO' });

/** The 'detect' packages the server has, one entry per name (its latest version). */
const listDetectModels = () => listTaskModels('detect', title, (err) => console.warn('[detect] cannot list the models:', err));

function detectorOptions() {
  const options = runtimeOptions(params);
  options.onProgress = (p) => setStatus('loading', p.cached ? `${p.file}: from cache` : `${p.file}: ${(p.loaded / 1e6).toFixed(1)} of ${(p.total / 1e6).toFixed(1)} MB`);
  return options;
}

function showModel(d) {
  state.backend = d.backend;
  state.manifest = d.manifest;
  state.modelUrl = modelUrl;
  showBackendName(d.backend);
  $('model-info').textContent = `${d.manifest.name}@${d.manifest.version} (${d.backend.variant})`;
}

/** Load the package at `url` as the current detector (disposing the previous one); true when ready. */
async function loadDetector(url) {
  const token = ++loadToken;
  const old = detector;
  detector = null; // the video loop drops frames until the new model is ready
  old?.dispose().catch((err) => console.warn('[detect] dispose:', err));
  for (const id of ['webcam', 'file']) $(id).disabled = true;
  setStatus('loading');
  $('model-info').textContent = url;
  let d;
  try {
    d = await createDetector(url, detectorOptions());
  } catch (err) {
    if (token === loadToken) {
      showError(err);
      setStatus('error');
    }
    return false;
  }
  if (token !== loadToken) { // superseded by a later pick while loading
    d.dispose().catch(() => {});
    return false;
  }
  detector = d;
  showModel(d);
  for (const id of ['webcam', 'file']) $(id).disabled = false;
  setStatus('ready');
  return true;
}

async function switchModel(url) {
  if (url === modelUrl && detector) return;
  modelUrl = url;
  syncModelParam(params, url);
  clearError();
  if (await loadDetector(url)) optionsChanged();
}

async function main() {
  wireControls();
  state.models = await listDetectModels();
  modelUrl ??= state.models[0]?.url || '/models/centernet/latest/';
  fillPicker(state.models, modelUrl);
  await loadDetector(modelUrl);
}

window.addEventListener('unhandledrejection', (e) => showError(e.reason));
main();
