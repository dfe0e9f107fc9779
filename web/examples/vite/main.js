// Pick a photo, get its poses. The model comes from an Edgeward registry by NAME@RANGE (default: the
// server this page is on, e.g. `edgeward serve`; ?registry=URL&model=NAME@RANGE to choose; ?backend=wasm for
// onnxruntime-web where Edgeward's kernels would run), and onnxruntime-web from this app's own node_modules
// ('bundled').
import { createPoseDetector, drawPoses } from '@edgeward/runtime';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const POSE_OPTIONS = { maxPoses: 1, scoreThreshold: 0.3 };

function fail(err) {
  $('status').textContent = `${err.name}: ${err.message}`;
  document.body.dataset.status = 'error';
}

try {
  const detector = await createPoseDetector(params.get('model') ?? 'posenet@^1', {
    registry: params.get('registry') ?? location.origin,
    backend: params.get('backend') ?? undefined,
    wasmPaths: 'bundled',
  });
  const { name, version } = detector.manifest;
  const { backend } = detector; // backend.variant: the file made for this backend (int8-kernels, int8-wasm) if any
  $('status').textContent = `${name}@${version} on ${backend.name} (${backend.threads} threads, ${backend.variant})`;
  document.body.dataset.backend = backend.name;
  document.body.dataset.variant = backend.variant;
  $('photo').disabled = false;
  document.body.dataset.status = 'ready';
  $('photo').addEventListener('change', async () => {
    const file = $('photo').files[0];
    if (!file) return;
    document.body.dataset.status = 'running';
    try {
      const poses = await detector.estimatePoses(file, POSE_OPTIONS); // decoded (and checked) by the runtime
      const bitmap = await createImageBitmap(file);
      const canvas = $('view');
      [canvas.width, canvas.height] = [bitmap.width, bitmap.height];
      const ctx = canvas.getContext('2d');
      ctx.drawImage(bitmap, 0, 0);
      drawPoses(ctx, poses, detector.manifest);
      $('poses').textContent = JSON.stringify(poses, null, 1);
      document.body.dataset.status = 'done';
    } catch (err) {
      fail(err);
    }
  });
} catch (err) {
  fail(err);
}
