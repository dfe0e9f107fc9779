// Classification page: an image file or the webcam → classifier (in the runtime's worker) → top-k list.
// Frames are dropped, never queued: at most one classification is in flight.
// Query params: ?model=/models/efficientnet-lite0/latest/ &backend=wasm|webgpu &threads=N &variant=fp32
// window.classifyApp exposes the page's state (tests read it).

import { createClassifier } from '/runtime/edgeward.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const withSlash = (u) => (u.endsWith('/') ? u : `${u}/`);
const modelUrl = withSlash(params.get('model') || '/models/efficientnet-lite0/latest/');

const state = {
  modelUrl, manifest: null, backend: null, cache: null, lastClasses: [], lastTimings: null,
  results: 0, droppedFrames: 0, errors: [], source: null,
};
window.classifyApp = state;

let classifier = null;
let busy = false;
let loopToken = 0; // bumped on every source change, so an old webcam loop stops
let objectUrl = null;
let stream = null;

function setStatus(status, text = status) {
  document.body.dataset.status = status;
  $('status').textContent = text;
}

function showError(err) {
  const message = err && err.message ? `${err.name || 'Error'}: ${err.message}` : String(err);
  state.errors.push(message);
  $('error').textContent = message;
  $('error').hidden = false;
  console.warn('[classify]', message);
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

function topK() {
  const k = parseInt($('top-k').value, 10);
  return Number.isInteger(k) && k >= 1 ? Math.min(k, 20) : 5;
}

function render(classes) {
  const list = $('classes');
  list.replaceChildren(...classes.map((c) => {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.label;
    name.title = `class ${c.class_id}: ${c.label}`;
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = `${(c.score * 100).toFixed(1)} %`;
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.style.width = `${Math.max(0, Math.min(1, c.score)) * 100}%`;
    bar.append(fill);
    li.append(name, score, bar);
    li.dataset.classId = String(c.class_id);
    return li;
  }));
}

/** Classify one source; drops the frame when a classification is still running. */
async function classifyOnce(source) {
  if (!classifier || busy) {
    state.droppedFrames += 1;
    $('dropped').textContent = String(state.droppedFrames);
    return;
  }
  busy = true;
  try {
    const classes = await classifier.classify(source, { topK: topK() });
    state.lastClasses = classes;
    state.lastTimings = classifier.lastTimings;
    state.results += 1;
    render(classes);
    setStatus('classified', 'ready');
    $('inference').textContent = `${classifier.lastTimings.inferenceMs.toFixed(1)} ms`;
    clearError();
  } catch (err) {
    showError(err);
  } finally {
    busy = false;
  }
}

function stopSource() {
  loopToken += 1;
  if (stream) for (const t of stream.getTracks()) t.stop();
  stream = null;
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  objectUrl = null;
  $('video').hidden = true;
  $('video').srcObject = null;
  $('stop').disabled = true;
  state.source = null;
}

async function onFile(file) {
  stopSource();
  state.source = 'image';
  objectUrl = URL.createObjectURL(file);
  const img = $('image');
  img.src = objectUrl;
  img.hidden = false;
  $('hint').hidden = true;
  await classifyOnce(file);
}

async function startWebcam() {
  stopSource();
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (err) {
    showError(err);
    return;
  }
  const video = $('video');
  video.srcObject = stream;
  video.hidden = false;
  $('image').hidden = true;
  $('hint').hidden = true;
  $('stop').disabled = false;
  state.source = 'webcam';
  await video.play();
  const token = loopToken;
  const schedule = video.requestVideoFrameCallback
    ? (fn) => video.requestVideoFrameCallback(fn)
    : (fn) => requestAnimationFrame(fn);
  const tick = () => {
    if (token !== loopToken) return;
    if (video.readyState >= 2) classifyOnce(video); // not awaited: a busy worker drops the frame
    schedule(tick);
  };
  schedule(tick);
}

async function main() {
  $('file').addEventListener('change', (e) => e.target.files[0] && onFile(e.target.files[0]));
  $('webcam').addEventListener('click', startWebcam);
  $('stop').addEventListener('click', stopSource);
  const options = {
    backend: params.get('backend') || undefined,
    numThreads: params.has('threads') ? parseInt(params.get('threads'), 10) : undefined,
    variant: params.get('variant') || undefined,
    onProgress: (p) => {
      const bar = $('progress');
      bar.hidden = p.loaded >= p.total;
      bar.max = p.total || 1;
      bar.value = p.loaded;
    },
  };
  try {
    classifier = await createClassifier(modelUrl, options);
  } catch (err) {
    showError(err);
    setStatus('error', 'failed to load');
    return;
  }
  state.manifest = classifier.manifest;
  state.backend = classifier.backend;
  state.cache = classifier.cache;
  const m = classifier.manifest;
  $('model-info').textContent = `${m.name} ${m.version} (${m.labels?.length ?? '?'} classes)`;
  const b = classifier.backend;
  $('backend').textContent = `${b.name}${b.threads ? ` × ${b.threads}` : ''} · ${b.variant}`;
  $('backend').title = b.reason || '';
  const c = classifier.cache;
  if (c) $('cache').textContent = c.from === 'network' ? 'downloaded' : `from ${c.from}`;
  $('file').disabled = false;
  $('webcam').disabled = !navigator.mediaDevices?.getUserMedia;
  setStatus('ready');
}

main();
