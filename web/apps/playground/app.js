// Pose playground: webcam / image / video → pose detector (in a worker) → skeleton overlay.
// Frames are dropped, never queued: at most one estimate is in flight.
// Query params: ?model=/models/posenet/latest/ &backend=wasm|webgpu &threads=N &variant=fp32

import { createPoseDetector, drawPoses } from '/runtime/edgeward.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const modelUrl = params.get('model') || '/models/posenet/latest/';

const state = {
  framesDone: 0, droppedFrames: 0, lastPoses: [], lastTimings: null, backend: null, manifest: null,
  errors: [], source: null,
};
window.playground = state;

let detector = null;
let busy = false;
let loopToken = 0; // bumped on every source change, so old loops stop
let objectUrl = null;
let stream = null;
const fpsWindow = [];

function setStatus(status, text = status) {
  document.body.dataset.status = status;
  $('status').textContent = text;
}

function showError(err) {
  const message = err && err.message ? `${err.name || 'Error'}: ${err.message}` : String(err);
  state.errors.push(message);
  const el = $('error');
  el.textContent = message;
  el.hidden = false;
  console.warn('[playground]', message);
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

function poseOptions() {
  const multi = $('multi').checked;
  return {
    maxPoses: multi ? Math.max(1, parseInt($('max-poses').value, 10) || 1) : 1,
    scoreThreshold: parseFloat($('score-threshold').value),
    nmsRadius: Math.max(0, parseFloat($('nms-radius').value) || 0),
    flipHorizontal: $('mirror').checked,
  };
}

function render(width, height, poses) {
  const canvas = $('overlay');
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, width, height);
  drawPoses(ctx, poses, state.manifest, { minScore: poseOptions().scoreThreshold, lineWidth: Math.max(2, width / 200) });
}

function recordFrame(poses, width, height) {
  state.framesDone += 1;
  state.lastPoses = poses;
  state.lastTimings = detector.lastTimings;
  const now = performance.now();
  fpsWindow.push(now);
  while (fpsWindow.length && fpsWindow[0] < now - 1000) fpsWindow.shift();
  $('fps').textContent = String(fpsWindow.length);
  const t = detector.lastTimings;
  if (t) $('inference').textContent = `${t.inferenceMs.toFixed(1)} ms (+${(t.preprocessMs + t.decodeMs).toFixed(1)})`;
  render(width, height, poses);
}

async function estimate(source, width, height) {
  const poses = await detector.estimatePoses(source, poseOptions());
  recordFrame(poses, width, height);
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
    if (busy || video.readyState < 2 || !video.videoWidth) {
      if (busy) { state.droppedFrames += 1; $('dropped').textContent = String(state.droppedFrames); }
    } else {
      busy = true;
      estimate(video, video.videoWidth, video.videoHeight)
        .catch((err) => { if (token === loopToken) showError(err); })
        .finally(() => { busy = false; });
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

async function startImage(file) {
  stopSource();
  clearError();
  const token = loopToken;
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' })
    .catch((err) => { throw Object.assign(new Error(`'${file.name}' is not a readable image (${file.type || 'unknown type'}): ${err.message}`), { name: 'ImageError' }); });
  const { width, height } = bitmap;
  objectUrl = URL.createObjectURL(file);
  const img = $('image');
  img.src = objectUrl;
  img.hidden = false;
  $('hint').hidden = true;
  $('stop').disabled = false;
  state.source = 'image';
  busy = true;
  try {
    const poses = await detector.estimatePoses(bitmap, poseOptions());
    if (token === loopToken) recordFrame(poses, width, height);
  } finally {
    busy = false;
  }
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

function wireControls() {
  $('webcam').addEventListener('click', startWebcam);
  $('file').addEventListener('change', (e) => startFile(e.target.files[0]));
  $('stop').addEventListener('click', stopSource);
  $('score-threshold').addEventListener('input', (e) => {
    $('score-threshold-value').textContent = Number(e.target.value).toFixed(2);
  });
  $('mirror').addEventListener('change', (e) => $('stage').classList.toggle('mirrored', e.target.checked));
}

async function main() {
  wireControls();
  $('model').textContent = modelUrl;
  const options = {};
  if (params.get('backend')) options.backend = params.get('backend');
  if (params.get('threads')) options.numThreads = parseInt(params.get('threads'), 10);
  if (params.get('variant')) options.variant = params.get('variant');
  try {
    detector = await createPoseDetector(modelUrl, options);
  } catch (err) {
    showError(err);
    setStatus('error');
    return;
  }
  state.backend = detector.backend;
  state.manifest = detector.manifest;
  const b = detector.backend;
  $('backend').textContent = `${b.name}${b.name === 'wasm' ? ` · ${b.threads} thread${b.threads === 1 ? '' : 's'}` : ''}`;
  if (b.reason) $('backend').title = b.reason;
  $('model').textContent = `${detector.manifest.name}@${detector.manifest.version} (${b.variant})`;
  for (const id of ['webcam', 'file']) $(id).disabled = false;
  setStatus('ready');
}

window.addEventListener('unhandledrejection', (e) => showError(e.reason));
main();
