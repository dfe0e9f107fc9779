// Classification page: an image file or the webcam → classifier (in the runtime's worker) → top-k list.
// Frames are dropped, never queued: at most one classification is in flight.
// Query params: ?model=/models/efficientnet-lite0/latest/ &backend=wasm|webgpu &threads=N &variant=fp32
// window.classifyApp exposes the page's state (tests read it).

import { createClassifier } from '/runtime/edgeward.js';
import { $, errorDisplay, FrameSource, setStatus, withSlash } from '/runtime/app-kit.js';

const params = new URLSearchParams(location.search);
const modelUrl = withSlash(params.get('model') || '/models/efficientnet-lite0/latest/');

const state = {
  modelUrl, manifest: null, backend: null, cache: null, lastClasses: [], lastTimings: null,
  results: 0, droppedFrames: 0, errors: [], source: null,
};
window.classifyApp = state;

let classifier = null;
const { showError, clearError } = errorDisplay(state, 'classify');
const source = new FrameSource(state, { onError: showError, clearError });

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

/** Classify one input (the caller holds source.busy); an error is shown. */
async function classify(input) {
  try {
    const classes = await classifier.classify(input, { topK: topK() });
    state.lastClasses = classes;
    state.lastTimings = classifier.lastTimings;
    state.results += 1;
    render(classes);
    setStatus('classified', 'ready');
    $('inference').textContent = `${classifier.lastTimings.inferenceMs.toFixed(1)} ms`;
    clearError();
  } catch (err) {
    showError(err);
  }
}

/** Classify one input; drops the frame when a classification is still running. */
async function classifyOnce(input) {
  if (!classifier || source.busy) {
    source.dropFrame();
    return;
  }
  source.busy = true;
  try {
    await classify(input);
  } finally {
    source.busy = false;
  }
}

async function onFile(file) {
  source.stop();
  state.source = 'image';
  source.objectUrl = URL.createObjectURL(file);
  const img = $('image');
  img.src = source.objectUrl;
  img.hidden = false;
  $('hint').hidden = true;
  await classifyOnce(file);
}

async function startWebcam() {
  source.stop();
  try {
    await source.openWebcam();
  } catch (err) {
    showError(err);
    return;
  }
  const video = $('video');
  video.srcObject = source.stream;
  video.hidden = false;
  $('image').hidden = true;
  $('hint').hidden = true;
  $('stop').disabled = false;
  state.source = 'webcam';
  await video.play();
  // a frame that comes while a classification runs (or before the model is ready) is dropped
  source.runVideoLoop(video, { ready: () => classifier !== null, run: () => classify(video) });
}

async function main() {
  $('file').addEventListener('change', (e) => e.target.files[0] && onFile(e.target.files[0]));
  $('webcam').addEventListener('click', startWebcam);
  $('stop').addEventListener('click', () => source.stop());
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
