// Detection playground: webcam / image / video → object detector (in a worker) → boxes, labels, scores.
// Frames are dropped, never queued: at most one detect() is in flight.
// Query params: ?model=/models/centernet/latest/ &backend=wasm|webgpu &threads=N &variant=fp32
// The picker (#model) lists the 'detect' packages of /models/index.json; choosing one disposes the
// current detector, loads the new one (the source keeps running) and rewrites ?model= to match.

import { createDetector, detectionColor, drawDetections } from '/runtime/edgeward.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const withSlash = (u) => (u.endsWith('/') ? u : `${u}/`);
let modelUrl = params.get('model') ? withSlash(params.get('model')) : null; // null: the first detect package

const state = {
  framesDone: 0, droppedFrames: 0, lastDetections: [], lastTimings: null, backend: null, manifest: null,
  errors: [], source: null, modelUrl: null, models: [],
};
window.detectPage = state;

let detector = null; // null while a model (re)loads: frames are then dropped
let loadToken = 0;
let loopToken = 0; // bumped on every source change, so old loops stop
let busy = false;
let objectUrl = null;
let imageFile = null; // the still image shown, detected again when a control or the model changes
let stream = null;
const fpsWindow = [];

function setStatus(status, text = status) {
  document.body.dataset.status = status;
  $('status').textContent = text;
}

function showError(err) {
  const message = err && err.message ? `${err.name || 'Error'}: ${err.message}` : String(err);
  state.errors.push(message);
  $('error').textContent = message;
  $('error').hidden = false;
  console.warn('[detect]', message);
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

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
  const now = performance.now();
  fpsWindow.push(now);
  while (fpsWindow.length && fpsWindow[0] < now - 1000) fpsWindow.shift();
  $('fps').textContent = state.source === 'image' ? '–' : String(fpsWindow.length);
  const t = d.lastTimings;
  if (t) $('inference').textContent = `${t.inferenceMs.toFixed(1)} ms (+${(t.preprocessMs + t.decodeMs).toFixed(1)})`;
  $('count').textContent = String(detections.length);
  render(width, height, detections);
  listDetections(detections);
}

function dropFrame() {
  state.droppedFrames += 1;
  $('dropped').textContent = String(state.droppedFrames);
}

/** One detect() on the current detector; a result or error from a detector switched away from is ignored. */
async function detect(source, width, height, token) {
  const d = detector;
  try {
    const found = await d.detect(source, detectOptions());
    if (d === detector && token === loopToken) recordFrame(d, found, width, height);
    return found;
  } catch (err) {
    if (d === detector && token === loopToken) throw err;
    return null; // disposed mid-flight by a model switch, or the source changed
  }
}

function stopSource() {
  loopToken += 1;
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  const video = $('video');
  video.pause();
  video.srcObject = null;
  video.removeAttribute('src');
  video.hidden = true;
  $('image').hidden = true;
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = null;
  imageFile = null;
  state.source = null;
  $('stop').disabled = true;
}

function runVideoLoop(video) {
  const token = loopToken;
  const schedule = video.requestVideoFrameCallback
    ? (fn) => video.requestVideoFrameCallback(fn)
    : (fn) => requestAnimationFrame(fn);
  const tick = () => {
    if (token !== loopToken) return;
    if (busy || !detector || video.readyState < 2 || !video.videoWidth) {
      if (busy || !detector) dropFrame();
    } else {
      busy = true;
      detect(video, video.videoWidth, video.videoHeight, token)
        .catch((err) => { if (token === loopToken) showError(err); })
        .finally(release);
    }
    schedule(tick);
  };
  schedule(tick);
}

async function startVideo(setup, kind) {
  stopSource();
  clearError();
  const video = $('video');
  await setup(video);
  video.hidden = false;
  $('hint').hidden = true;
  $('stop').disabled = false;
  state.source = kind;
  await video.play();
  runVideoLoop(video);
}

async function startWebcam() {
  $('file').value = ''; // the file input no longer names the source
  try {
    await startVideo(async (video) => {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      video.srcObject = stream;
    }, 'webcam');
  } catch (err) {
    stopSource();
    showError(err);
  }
}

function readBitmap(file) {
  return createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' })
    .catch((err) => { throw Object.assign(new Error(`'${file.name}' is not a readable image (${file.type || 'unknown type'}): ${err.message}`), { name: 'ImageError' }); });
}

let imagePending = false; // the still image wants another detect once the running one ends

/** The running detect ended: run the still image's pending one, if any (never more than one queued). */
function release() {
  busy = false;
  if (imagePending) {
    imagePending = false;
    detectImage().catch(showError);
  }
}

/** Detect on the still image; when a detect is already running, this runs once it ends. */
async function detectImage(decoded = null) {
  if (!detector || !imageFile) { decoded?.close(); return; }
  if (busy) { decoded?.close(); imagePending = true; return; }
  const token = loopToken;
  busy = true;
  try {
    const bitmap = decoded || await readBitmap(imageFile);
    await detect(bitmap, bitmap.width, bitmap.height, token);
  } finally {
    release();
  }
}

async function startImage(file) {
  stopSource();
  clearError();
  const bitmap = await readBitmap(file); // a non-image fails here, before anything is shown
  objectUrl = URL.createObjectURL(file);
  imageFile = file;
  const img = $('image');
  img.src = objectUrl;
  img.hidden = false;
  $('hint').hidden = true;
  $('stop').disabled = false;
  state.source = 'image';
  await detectImage(bitmap);
}

async function startFile(file) {
  if (!file) return;
  try {
    if (file.type.startsWith('video/')) {
      await startVideo(async (video) => {
        objectUrl = URL.createObjectURL(file);
        video.loop = true;
        await new Promise((resolve, reject) => {
          video.onloadeddata = resolve;
          video.onerror = () => reject(Object.assign(new Error(`'${file.name}' is not a playable video`), { name: 'VideoError' }));
          video.src = objectUrl;
        });
      }, 'video');
    } else {
      await startImage(file);
    }
  } catch (err) {
    stopSource();
    showError(err);
  }
}

/** A control changed: a still image is detected again (video picks the options up on its next frame). */
function optionsChanged() {
  if (state.source === 'image') detectImage().catch(showError);
}

function wireControls() {
  $('webcam').addEventListener('click', startWebcam);
  $('file').addEventListener('change', (e) => startFile(e.target.files[0]));
  $('stop').addEventListener('click', stopSource);
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
function title(name) {
  const words = { centernet: 'CenterNet', nanodet: 'NanoDet', ssd: 'SSD', yolo: 'YOLO' };
  return name.split('-').map((w) => words[w] || (w && w[0].toUpperCase() + w.slice(1))).join(' ');
}

/** The 'detect' packages the server has, one entry per name (its latest version). */
async function listDetectModels() {
  try {
    const response = await fetch('/models/index.json', { cache: 'no-cache' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const byName = new Map();
    for (const p of (await response.json()).packages || []) {
      if (p.task === 'detect' && !byName.has(p.name)) byName.set(p.name, p);
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
      .map((p) => ({ name: p.name, url: `/models/${p.name}/latest/`, label: title(p.name) }));
  } catch (err) {
    console.warn('[detect] cannot list the models:', err);
    return [];
  }
}

function fillModelPicker() {
  const options = state.models.map((m) => new Option(m.label, m.url));
  if (!state.models.some((m) => m.url === modelUrl)) options.unshift(new Option(modelUrl, modelUrl)); // ?model= elsewhere
  $('model').replaceChildren(...options);
  $('model').value = modelUrl;
  $('model').disabled = false;
}

function detectorOptions() {
  const options = {};
  if (params.get('backend')) options.backend = params.get('backend');
  if (params.get('threads')) options.numThreads = parseInt(params.get('threads'), 10);
  if (params.get('variant')) options.variant = params.get('variant');
  options.onProgress = (p) => setStatus('loading', p.cached ? `${p.file}: from cache` : `${p.file}: ${(p.loaded / 1e6).toFixed(1)} of ${(p.total / 1e6).toFixed(1)} MB`);
  return options;
}

function showModel(d) {
  state.backend = d.backend;
  state.manifest = d.manifest;
  state.modelUrl = modelUrl;
  const b = d.backend;
  $('backend').textContent = `${b.name}${b.name === 'wasm' ? ` · ${b.threads} thread${b.threads === 1 ? '' : 's'}` : ''}`;
  if (b.reason) $('backend').title = b.reason;
  $('model-info').textContent = `${d.manifest.name}@${d.manifest.version} (${b.variant})`;
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
  params.set('model', url);
  history.replaceState(history.state, '', `${location.pathname}?${params}${location.hash}`);
  if ($('model').value !== url) $('model').value = url;
  clearError();
  if (await loadDetector(url)) optionsChanged();
}

async function main() {
  wireControls();
  state.models = await listDetectModels();
  modelUrl ??= state.models[0]?.url || '/models/centernet/latest/';
  fillModelPicker();
  await loadDetector(modelUrl);
}

window.addEventListener('unhandledrejection', (e) => showError(e.reason));
main();
