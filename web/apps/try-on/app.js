// Virtual try-on: webcam / photo → pose detector (in a worker) → the face frame from the eye and ear
// keypoints (placement.js) → sunglasses, a hat, earrings drawn as vector art over the face
// (accessories.js), smoothed across video frames with One-Euro filters (one-euro.js).
// The shared demo controller (/apps/kit/controller.js) loads the package, runs the source and shows
// the numbers; this page adds the accessories, the mirrored selfie view, the face status and the
// photo download. Query params: the controller's (?model= &backend= &threads= &variant=) and &sw=0.
// Offline-first like the playground (kit/offline.js, sw.js). Test hook: window.tryOn (the controller's
// state and this page's fields below).

import { createPoseDetector } from '/runtime/edgeward.js';
import { DemoController } from '/apps/kit/controller.js';
import { $, overlayContext } from '/apps/kit/page.js';
import { drawAccessories } from './accessories.js';
import { setUpOffline } from '/apps/kit/offline.js';
import { facePlacement, PlacementSmoother } from './placement.js';

const DEFAULT_MODEL = '/models/posenet/latest/';
const WORDS = { posenet: 'PoseNet', movenet: 'MoveNet', multipose: 'MultiPose' };
const HISTORY = 300; // placements kept in window.tryOn.history (the tests read how the overlay moved)

// A selfie shows a face and shoulders, not a body: a pose's mean score over its 17 keypoints is low
// then, so every pose is kept (threshold 0) and the eyes' own scores decide (#min-score).
const poseOptions = () => ({ maxPoses: 1, scoreThreshold: 0, nmsRadius: 20, flipHorizontal: $('mirror').checked });

const smoother = new PlacementSmoother();
let resultsMirrored = true; // whether the results being delivered were estimated on the flipped view

/** The accessories ticked in #accessories. */
const chosen = () => [...document.querySelectorAll('#accessories input:checked')].map((el) => el.value);

const IDLE = 'Choose the webcam or a photo.';

/** #face: the face found, or why not (role=status: announced when the text changes only). */
function showFace(problem, idle = false) {
  const text = idle ? IDLE : problem ?? 'Face found: the accessories follow it.';
  if ($('face').textContent !== text) $('face').textContent = text;
  $('face').classList.toggle('problem', !idle && problem !== null);
}

/** Place the face of the last result: smoothed on video (unless turned off), as it is on a photo. */
function place() {
  const s = demo.state;
  const raw = facePlacement(s.lastPoses[0], { minScore: parseFloat($('min-score').value), mirrored: resultsMirrored });
  if (!demo.source.playing || !$('smooth').checked) smoother.reset();
  s.face = smoother.smooth(raw, performance.now() / 1000);
  Object.assign(s, { placement: s.face.placement, rawPlacement: raw.placement, ears: s.face.ears, problem: raw.problem, mirrored: resultsMirrored });
  if (s.placement) s.faces += 1;
  s.history.push({ t: performance.now(), placement: s.placement, raw: raw.placement });
  if (s.history.length > HISTORY) s.history.shift();
  showFace(raw.problem);
}

/** Draw the chosen accessories on the placed face (again after a change of accessories). */
function paint() {
  const s = demo.state;
  if (s.frame?.token !== demo.source.token) return; // no result yet for the source on screen
  s.drawn = drawAccessories(overlayContext(s.frame.width, s.frame.height), s.face, chosen());
  $('download').disabled = !s.placement;
}

function render(poses, { width, height }) {
  Object.assign(demo.state, { lastPoses: poses, frame: { width, height, token: demo.source.token } });
  place();
  paint();
}

/** A threshold change: a photo is placed again at once, a video from its next frame. */
function placeAgain() {
  if (demo.state.source !== 'image' || demo.state.frame?.token !== demo.source.token) return;
  place();
  paint();
}

/** The photo or webcam frame on screen with the accessories, as a PNG download. */
async function downloadPhoto() {
  const s = demo.state;
  const media = s.source === 'image' ? $('image') : $('video');
  const overlay = $('overlay');
  const canvas = Object.assign(document.createElement('canvas'), { width: overlay.width, height: overlay.height });
  const ctx = canvas.getContext('2d');
  if (s.mirrored) ctx.setTransform(-1, 0, 0, 1, canvas.width, 0); // as on screen: the photo flipped, the overlay not
  ctx.drawImage(media, 0, 0, canvas.width, canvas.height);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(overlay, 0, 0);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  const base = s.source === 'image' && demo.image ? demo.image.name.replace(/\.[^.]*$/, '') : 'webcam';
  const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: `${base}-try-on.png` });
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

const demo = new DemoController({
  hook: 'tryOn',
  state: {
    lastPoses: [], frame: null, face: null, placement: null, rawPlacement: null, ears: [], problem: null, mirrored: true,
    drawn: [], faces: 0, history: [], offlineReady: false, offlineError: null,
  },
  task: 'pose',
  create: createPoseDetector,
  defaultModel: DEFAULT_MODEL,
  words: WORDS,
  // the inference worker starts from this folder, so the service worker serves its imports offline
  runtime: { workerUrl: new URL('./worker.js', import.meta.url).href },
  options: poseOptions,
  videoOptions() { // called as a video loop (re)starts: every result it delivers is of this view
    resultsMirrored = $('mirror').checked;
    return {};
  },
  async estimate(detector, image, options) { // one still at a time: its result is drawn before the next starts
    const poses = await detector.estimatePoses(image, options);
    resultsMirrored = options.flipHorizontal;
    return poses;
  },
  render,
});

$('mirror').addEventListener('change', (e) => {
  $('stage').classList.toggle('mirrored', e.target.checked);
  smoother.reset(); // the face jumps to the other side: no gliding across
  if (demo.source.playing) demo.track(); // at once: results of the old view in flight are dropped
  else demo.optionsChanged();
});
$('min-score').addEventListener('input', (e) => {
  $('min-score-value').textContent = Number(e.target.value).toFixed(2);
  placeAgain();
});
$('accessories').addEventListener('change', paint);
$('download').addEventListener('click', () => downloadPhoto().catch(demo.showError));
$('webcam').addEventListener('click', () => { $('download').disabled = true; });
$('stop').addEventListener('click', () => {
  $('download').disabled = true;
  showFace(null, true);
  $('file').value = ''; // the input no longer names the source, and the same photo can be chosen again
});
$('file').addEventListener('change', () => { $('download').disabled = true; });
// registered once the first model is loaded (setUpOffline says why)
setUpOffline(demo.state, { modelUrl: demo.requested ?? DEFAULT_MODEL, tag: 'try-on', after: demo.quietAfter(demo.start()) });
