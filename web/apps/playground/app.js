// Pose playground: webcam / image / video → pose detector (in a worker) → skeleton overlay.
// The shared demo controller (/apps/kit/controller.js) loads the package, runs the source and shows
// the numbers; this page adds its pose options, the skeleton and ROI box, MoveNet's single-pose
// limits, the cached-model list and offline use. 'Track region of interest' estimates each video
// frame on a crop around the previous pose (the runtime's track({roi: true}), web/src/tasks/roi.js);
// 'Smaller input on the tracked crop' runs those crops at the smallest input size the package carries
// (track's roiInputSize: 'smallest'; web/src/input-size.js), shown beside the dashed box.
// Query params: the controller's (?model= &backend= &threads= &variant=) and &sw=0 (no service worker).
// Offline-first: a service worker (sw.js, scope: this folder) keeps the app, the kit, the runtime and
// onnxruntime-web; the model bytes live in the runtime's verified cache (keyed by sha256).

import { clearCachedModels, createPoseDetector, drawPoses, inputSizes, listCachedModels } from '/runtime/edgeward.js';
import { DemoController } from '/apps/kit/controller.js';
import { titleCase } from '/apps/kit/models.js';
import { $, overlayContext } from '/apps/kit/page.js';
import { formatBytes } from '/apps/kit/stats.js';
import { keepOffline, manifestUrl, setUpOffline } from '/apps/kit/offline.js';

const DEFAULT_MODEL = '/models/posenet/latest/';
const WORDS = { posenet: 'PoseNet', movenet: 'MoveNet', multipose: 'MultiPose' };

/** Whether a package decodes one pose only (MoveNet Lightning / Thunder). */
function singlePoseOnly(manifest) {
  const post = manifest?.postprocess;
  return post?.kind === 'movenet' && !post.multipose;
}

function poseOptions() {
  const multi = $('multi').checked && !singlePoseOnly(demo.state.manifest);
  return {
    maxPoses: multi ? Math.max(1, parseInt($('max-poses').value, 10) || 1) : 1,
    scoreThreshold: parseFloat($('score-threshold').value),
    nmsRadius: Math.max(0, parseFloat($('nms-radius').value) || 0),
    flipHorizontal: $('mirror').checked,
  };
}

/** The dashed box of the crop a video frame was estimated on (ROI tracking), labelled with the input size it ran at. */
function drawRoi(ctx, roi, width, inputSize) {
  if (!roi) return;
  const [x0, y0, x1, y1] = roi;
  const mirrored = $('mirror').checked; // the overlay shows mirrored coordinates then
  const left = mirrored ? width - x1 : x0;
  ctx.save();
  ctx.setLineDash([8, 6]);
  ctx.strokeStyle = '#ffca28';
  ctx.lineWidth = Math.max(1, width / 400);
  ctx.strokeRect(left, y0, x1 - x0, y1 - y0);
  if (inputSize) {
    ctx.fillStyle = '#ffca28';
    ctx.font = `${Math.max(12, Math.round(width / 50))}px sans-serif`;
    ctx.textBaseline = 'top';
    ctx.fillText(`${inputSize[0]}×${inputSize[1]}`, left + 4, y0 + 4);
  }
  ctx.restore();
}

/** The video frame a result was computed on, under its drawing (mirrored as the live video is shown). */
function drawFrame(ctx, image, width, height) {
  ctx.save();
  if ($('mirror').checked) ctx.setTransform(-1, 0, 0, 1, width, 0);
  ctx.drawImage(image, 0, 0, width, height);
  ctx.restore();
}

function render(poses, { width, height, roi, image, inputSize }) {
  demo.state.lastPoses = poses;
  demo.state.lastInputSize = inputSize ?? null;
  const ctx = overlayContext(width, height);
  if (image) drawFrame(ctx, image, width, height);
  demo.state.drawnOnOwnFrame = Boolean(image);
  drawPoses(ctx, poses, demo.state.manifest, { minScore: poseOptions().scoreThreshold, lineWidth: Math.max(2, width / 200) });
  drawRoi(ctx, roi, width, inputSize);
}

/** Disable the multi-pose controls a single-pose package (MoveNet Lightning / Thunder) cannot use. */
function applyModelCapabilities(manifest) {
  const single = singlePoseOnly(manifest);
  const movenet = manifest.postprocess.kind === 'movenet';
  $('multi').disabled = single;
  $('max-poses').disabled = single;
  $('nms-radius').disabled = movenet; // MoveNet finds its people itself: no NMS radius to set
  const sizes = inputSizes(manifest); // a smaller input for ROI crops needs a package that carries one
  $('roi-small').disabled = sizes.length < 2;
  $('roi-small').title = sizes.length < 2 ? 'This package carries one input size.'
    : `This package carries ${sizes.map(([h, w]) => `${h}×${w}`).join(', ')}.`;
  const note = $('multi-note');
  note.hidden = !movenet;
  note.textContent = single
    ? `${titleCase(manifest.name, WORDS)} estimates one pose (the most prominent person): multi-pose, max poses and NMS radius do not apply.`
    : movenet ? 'MoveNet MultiPose finds the people itself: the NMS radius does not apply.' : '';
}

async function showCachedModels() {
  const items = [];
  try {
    for (const m of await listCachedModels()) {
      const li = document.createElement('li');
      const pkg = /\/models\/([^/]+)\//.exec(m.url ? new URL(m.url, location.href).pathname : '')?.[1];
      li.textContent = `${pkg ? `${pkg}/` : ''}${m.file} · ${formatBytes(m.bytes || 0)} · ${m.sha256.slice(0, 12)}…${m.storage === 'memory' ? ' (memory only)' : ''}`;
      items.push(li);
    }
  } catch (err) {
    console.warn('[playground] cannot list cached models:', err);
  }
  $('cached').replaceChildren(...items);
}

// the service worker registration once offline use is set up (kit/offline.js), or null
let offline = Promise.resolve(null);

const demo = new DemoController({
  hook: 'playground',
  state: { lastPoses: [], lastInputSize: null, offlineReady: false, offlineError: null, drawnOnOwnFrame: false },
  task: 'pose',
  create: createPoseDetector,
  defaultModel: DEFAULT_MODEL,
  words: WORDS,
  // the inference worker starts from this folder, so the service worker serves its imports offline
  runtime: { workerUrl: new URL('./worker.js', import.meta.url).href },
  options: poseOptions,
  // keepFrame: each skeleton is drawn over the frame it was computed on (the overlay then covers the live
  // video, about one inference behind it), so it never lags onto a later frame, e.g. across a cut in a clip
  videoOptions: () => ({
    roi: $('roi').checked, keepFrame: $('own-frame').checked,
    roiInputSize: $('roi').checked && $('roi-small').checked && !$('roi-small').disabled ? 'smallest' : null,
  }),
  estimate: (detector, image, options) => detector.estimatePoses(image, options),
  render,
  onModel(detector, url) {
    applyModelCapabilities(detector.manifest);
    showCachedModels();
    if (demo.state.switches) {
      offline.then((r) => r && keepOffline(r, [manifestUrl(url)]))
        .catch((err) => console.warn('[playground] offline copy of the manifest:', err));
    }
  },
});

demo.watchOptions(['multi', 'max-poses', 'score-threshold', 'nms-radius', 'mirror', 'roi', 'roi-small', 'own-frame']);
$('mirror').addEventListener('change', (e) => $('stage').classList.toggle('mirrored', e.target.checked));
$('clear-cache').addEventListener('click', async () => {
  await clearCachedModels();
  await showCachedModels();
});
// once the first model is loaded (setUpOffline says why): the app, its manifest and the model index kept offline
offline = setUpOffline(demo.state, { modelUrl: demo.requested ?? DEFAULT_MODEL, tag: 'playground', after: demo.quietAfter(demo.start()) });
