// Pose trainer: the coach. Name your poses, hold a button to record a few examples of each from the
// webcam (or load the bundled example poses, made from real photos), train a classifier of pose features
// (the runtime's createTrainer on the pose package, in its worker), then play: the current pose and its
// confidence, a hold timer and points for holding each target pose of a sequence for N seconds, the
// skeleton over the mirrored selfie view. PoseNet or MoveNet (#model). Nothing leaves the device unless
// you download the trained model.
//
// The kit's DemoController loads the pose package (progress, backend, cache, errors), runs the webcam or a
// file and shows FPS / ms / dropped frames; its model handle is our trainer (session.js), whose video loop
// reads each frame's pose and classes and records the held pose. The game's rules are game.js (pure), its
// panel play.js. window.poseTrainer is the page's state (tests read it).
// Query params: the controller's (?model= &backend= &threads=) and &sw=0 (no service worker).

import { drawPoses } from '/runtime/edgeward.js';
import { DemoController } from '/apps/kit/controller.js';
import { keepOffline, manifestUrl, setUpOffline } from '/apps/kit/offline.js';
import { $, overlayContext } from '/apps/kit/page.js';
import { EXAMPLES_URL, exampleDataset } from './examples.js';
import { PlayPanel } from './play.js';
import { renderPoses, showCounts, showPrediction } from './poses.js';
import { PoseSession } from './session.js';

const DEFAULT_MODEL = '/models/posenet/latest/';
const WORDS = { posenet: 'PoseNet', movenet: 'MoveNet', multipose: 'MultiPose' };
const KEYPOINT_SCORE = 0.3; // the pose features' threshold: the joints drawn are the joints learnt from
const ON_TARGET = '#00e676';
const OFF_TARGET = '#40c4ff';

const session = new PoseSession();
const fail = (name, message) => Object.assign(new Error(message), { name });
const percent = (v) => `${(v * 100).toFixed(0)} %`;

const demo = new DemoController({
  hook: 'poseTrainer',
  state: {
    poses: ['Pose 1', 'Pose 2'], counts: {}, trained: false, training: false, report: null, predictions: 0, recorded: 0,
    refused: 0, lastResult: null, adopted: 0, playing: false, game: null, awards: [], examples: null, exported: null,
    notes: [], offlineReady: false, offlineError: null,
  },
  task: 'pose',
  create: (url, options) => session.create(url, options),
  defaultModel: DEFAULT_MODEL,
  words: WORDS,
  // the trainer's worker starts from this folder, so this app's service worker serves its imports offline
  runtime: { workerUrl: new URL('./worker.js', import.meta.url).href },
  options: () => ({}),
  estimate: (handle, image) => session.predictImage(handle, image),
  render,
  onModel(handle, url) {
    adopt(handle).catch(demo.showError);
    if (state.switches) offline.then((r) => r && keepOffline(r, [manifestUrl(url)])).catch((err) => console.warn('[pose-trainer]', err));
  },
});
const state = demo.state;
Object.defineProperty(state, 'recordsInFlight', { get: () => session.pending, enumerable: true });
const trainer = () => demo.handle?.trainer ?? null;
session.labels = () => [...state.poses];
session.topK = () => Math.max(1, state.poses.length);

const play = new PlayPanel({ state, poses: () => state.poses, showError: demo.showError, clearError: demo.clearError });

function note(message) {
  state.notes.push(message);
  $('note').textContent = message;
}

/** The pose cards' actions (poses.js). */
const actions = {
  startRecording(label) {
    if (!trainer()) return false;
    if (!demo.source.playing) {
      demo.showError(fail('NoWebcam', `start the webcam first to record examples of '${label}' (or load the example poses)`));
      return false;
    }
    if (session.training) {
      demo.showError(fail('Busy', 'wait for training to finish before recording'));
      return false;
    }
    demo.clearError();
    session.recording = label;
    return true;
  },
  stopRecording(label) {
    if (session.recording === label) session.recording = null;
  },
  async rename(i, name) {
    const from = state.poses[i];
    if (name === from) return true;
    try {
      if (!name) throw fail('RangeError', 'a pose needs a name');
      if (name.includes(',')) throw fail('RangeError', `a pose name cannot hold a comma (the target sequence separates poses with commas): '${name}'`);
      if (state.poses.includes(name)) throw fail('RangeError', `there is already a pose '${name}'`);
      if (from in state.counts) state.counts = await trainer().renameClass(from, name);
      state.poses[i] = name;
    } catch (err) {
      demo.showError(err);
      return false;
    }
    refreshPoses({ from, to: name });
    return true;
  },
  async remove(i) {
    const label = state.poses[i];
    try {
      if (label in state.counts) {
        const { counts, trained } = await trainer().removeClass(label);
        state.counts = counts;
        if (state.trained && !trained) {
          forgetModel();
          note(`The model knew '${label}': train again (until then the examples' nearest neighbours predict).`);
        }
      }
      state.poses.splice(i, 1);
      refreshPoses();
    } catch (err) {
      demo.showError(err);
    }
  },
};

function forgetModel() {
  state.trained = false;
  state.report = null;
  $('train-note').textContent = 'Record a few examples of each pose (or load the example poses), then train.';
  enable();
}

function refreshPoses(renamed = null) {
  renderPoses(state.poses, state.counts, actions);
  showPrediction(state.poses, []);
  play.posesChanged(state.poses, renamed);
  enable();
}

function enable() {
  const ready = Boolean(trainer());
  $('train').disabled = !ready || session.training;
  $('export').disabled = !ready || !state.trained || session.training;
  $('load-examples').disabled = !ready || session.training;
  $('add-pose').disabled = !ready;
}

/** The first free 'Pose N'. */
function newPoseName() {
  for (let n = state.poses.length + 1; ; n++) if (!state.poses.includes(`Pose ${n}`)) return `Pose ${n}`;
}

/** The skeleton over the frame (the overlay is flipped with a mirrored view, so it lies on the person). */
function drawSkeleton(pose, { width, height }, onTarget) {
  const ctx = overlayContext(width, height);
  if (!pose) return;
  ctx.save();
  if ($('stage').classList.contains('mirrored')) ctx.setTransform(-1, 0, 0, 1, width, 0);
  const line = Math.max(2, width / 160);
  drawPoses(ctx, [pose], demo.handle?.manifest ?? state.manifest, { minScore: KEYPOINT_SCORE, color: onTarget ? ON_TARGET : OFF_TARGET, lineWidth: line, radius: line * 1.3 });
  ctx.restore();
}

/** A result of the video loop or of a still image (session.js FrameResult). */
function render(result, frame) {
  if (!result) return;
  const best = result.classes[0] ?? null;
  const onTarget = state.source === 'image' || frame.at === undefined ? false : play.frame(best, frame.at);
  drawSkeleton(result.pose, frame, onTarget);
  if (result.kind === 'recorded') {
    state.recorded += 1;
    state.counts = result.counts;
    showCounts(state.poses, state.counts);
    $('record-note').textContent = `Recording '${result.label}'…`;
  } else if (result.kind === 'refused') {
    state.refused += 1;
    $('record-note').textContent = `Not recorded: ${result.reason}. Step back so that your body is in view.`;
  } else if ($('record-note').textContent.startsWith('Recording')) {
    $('record-note').textContent = ''; // the button was released
  }
  if (result.classes.length) state.predictions += 1;
  state.lastResult = { kind: result.kind, classes: result.classes, reason: result.reason, pose: Boolean(result.pose), at: frame.at ?? null };
  showPrediction(state.poses, result.classes);
  $('current-pose').textContent = best ? `${best.label} · ${percent(best.score)}`
    : result.features ? 'record examples of your poses' : `no confident pose${result.pose ? '' : ' (nobody in view)'}`;
  $('prediction-note').textContent = state.trained ? `The trained ${(state.report?.kind ?? '').toUpperCase()} model.`
    : 'Nearest neighbours of your examples (train for a better model).';
}

/** A new trainer (at start, or another pose model): the pose names stay, their examples start over. */
async function adopt(handle) {
  const counts = await handle.trainer.counts();
  if (handle !== demo.handle) return; // superseded meanwhile
  state.counts = counts;
  state.examples = null;
  forgetModel();
  refreshPoses();
  state.adopted += 1;
}

async function train() {
  const t = trainer();
  if (!t || session.training) return;
  let options;
  try {
    if (state.poses.length < 2) throw fail('NotReady', 'training needs at least 2 poses: add a pose');
    const empty = state.poses.filter((p) => !state.counts[p]);
    if (empty.length) throw fail('NotReady', `pose ${empty.map((p) => `'${p}'`).join(', ')} has no examples yet: hold its record button with the webcam on, or load the example poses`);
    const head = $('head').value;
    const epochs = Number($('epochs').value);
    if (head !== 'knn' && !(Number.isInteger(epochs) && epochs >= 1 && epochs <= 500)) throw new RangeError(`Epochs must be a whole number from 1 to 500, got '${$('epochs').value}'`);
    options = head === 'knn' ? { head } : { head, epochs };
  } catch (err) {
    demo.showError(err);
    return;
  }
  demo.clearError();
  session.training = true;
  state.training = true;
  enable();
  $('train-note').textContent = 'Training…';
  try {
    await session.settled(); // the frames still in flight from a record button land first: they are examples too
    const report = await t.train(options);
    if (t !== trainer()) return; // another model was picked meanwhile
    state.trained = true;
    state.report = report;
    const scored = report.testExamples ? `${percent(report.accuracy)} of ${report.testExamples} held-out examples right`
      : 'no examples held out (record more for a score)';
    $('train-note').textContent = `${report.kind.toUpperCase()} on ${report.trainExamples} examples: ${scored}; ${report.ms} ms.`;
  } catch (err) {
    demo.showError(err);
    $('train-note').textContent = 'Training failed (see the message above).';
  } finally {
    session.training = false;
    state.training = false;
    enable();
  }
}

async function loadExamples() {
  const t = trainer();
  if (!t) return;
  demo.clearError();
  try {
    const { manifest } = demo.handle;
    if (state.examples?.model === manifest.name) return note('The example poses are already among the examples.');
    const { dataset, version } = await exampleDataset(manifest);
    if (state.poses.every((p) => !state.counts[p])) { // only empty cards: the example poses replace them
      for (const p of state.poses) if (p in state.counts) await t.removeClass(p);
      state.poses = [];
    }
    const { counts } = await t.importDataset(dataset);
    if (t !== trainer()) return;
    for (const label of dataset.labels) if (!state.poses.includes(label)) state.poses.push(label);
    state.counts = counts;
    state.examples = { model: manifest.name, count: dataset.y.length };
    refreshPoses();
    const other = version !== manifest.version ? ` (made with version ${version}; this is ${manifest.version})` : '';
    note(`Added ${dataset.y.length} example poses (${dataset.labels.join(', ')}) that ${manifest.name}${other} found in real photos: train to use them.`);
  } catch (err) {
    demo.showError(err);
  }
}

async function exportPackage() {
  const t = trainer();
  if (!t || !state.trained) return;
  demo.clearError();
  try {
    const pkg = await t.export({ name: $('model-name').value.trim(), version: $('model-version').value.trim() });
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(pkg.archive), download: pkg.archiveName });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    state.exported = { name: pkg.manifest.name, version: pkg.manifest.version, archive: pkg.archiveName };
    note(`Downloaded ${pkg.archiveName}: a package of task 'features' on ${pkg.manifest.base} pose features.`);
  } catch (err) {
    demo.showError(err);
  }
}

$('add-pose').addEventListener('click', () => {
  state.poses.push(newPoseName());
  refreshPoses();
  $(`pose-name-${state.poses.length - 1}`).focus();
});
$('train').addEventListener('click', train);
$('head').addEventListener('change', () => { $('epochs').disabled = $('head').value === 'knn'; });
$('load-examples').addEventListener('click', loadExamples);
$('export').addEventListener('click', exportPackage);
// the webcam is shown as a mirror (what people expect of a selfie view); files as they are
$('webcam').addEventListener('click', () => $('stage').classList.add('mirrored'));
$('file').addEventListener('change', () => $('stage').classList.remove('mirrored'));
window.addEventListener('pagehide', () => { session.recording = null; });

refreshPoses();
const offline = setUpOffline(state, { modelUrl: demo.requested ?? DEFAULT_MODEL, keep: [EXAMPLES_URL], tag: 'pose-trainer',
  after: demo.quietAfter(demo.start()) }); // once the first model is loaded (setUpOffline says why)
