// Classifier trainer: teach an image classifier your own classes, in the browser, on EfficientNet-Lite0
// features (the runtime's createTrainer, in its worker). Name classes, hold a button to record
// examples from the webcam (or add image files), train a head (KNN, linear or MLP) with live curves,
// watch live predictions, check the held-out split, then save the model in this browser, download it
// as an Edgeward package or publish it to a registry. Nothing leaves the device unless exported.
//
// The kit's DemoController loads the base model (progress, backend, cache, errors), runs the webcam
// or a file and shows FPS / ms / dropped frames; its model handle is our trainer (session.js), whose
// video loop records or predicts each frame. window.classifierTrainer is the page's state (tests read it).
// Query params: the controller's (?model= &backend= &threads=) and &sw=0 (no service worker).

import { DemoController } from '/apps/kit/controller.js';
import { $, readBitmap } from '/apps/kit/page.js';
import { renderClasses, showCounts, showPrediction } from './classes.js';
import { Library } from './library.js';
import { setUpOffline } from '/apps/kit/offline.js';
import { TrainerSession } from './session.js';
import { TrainingPanel } from './training-panel.js';

const DEFAULT_MODEL = '/models/efficientnet-lite0/latest/';

const session = new TrainerSession();
const fail = (name, message) => Object.assign(new Error(message), { name });

const demo = new DemoController({
  hook: 'classifierTrainer',
  state: {
    classes: ['Class 1', 'Class 2'], counts: {}, trained: false, training: false, report: null, history: [],
    lastClasses: [], predictions: 0, recorded: 0, adopted: 0, saved: [], exported: null, published: null, notes: [],
    origin: null, offlineReady: false, offlineError: null,
  },
  task: 'classify',
  create: (url, options) => session.create(url, options),
  defaultModel: DEFAULT_MODEL,
  words: { efficientnet: 'EfficientNet', lite0: 'Lite0' },
  // the worker starts from this folder, so this app's service worker serves its imports offline
  runtime: { workerUrl: new URL('./worker.js', import.meta.url).href },
  options: () => ({}),
  estimate: (handle, image) => session.predictImage(handle.trainer, image),
  render,
  onModel: (handle) => { adopt(handle).catch(demo.showError); },
});
const state = demo.state;
const trainer = () => demo.handle?.trainer ?? null;
const totalExamples = () => Object.values(state.counts).reduce((a, b) => a + b, 0);
session.labels = () => [...state.classes];
session.canPredict = () => state.trained || totalExamples() > 0;
session.topK = () => Math.max(1, state.classes.length);

function note(message) {
  state.notes.push(message);
  $('note').textContent = message;
}

const training = new TrainingPanel({
  trainer, session, state, showError: demo.showError,
  untrainable() {
    if (state.classes.length < 2) return 'training needs at least 2 classes: add a class';
    const empty = state.classes.filter((c) => !state.counts[c]);
    if (empty.length) return `class ${empty.map((c) => `'${c}'`).join(', ')} has no examples yet: hold its record button with the webcam on, or add images`;
    return null;
  },
  onTrained(report) {
    if (state.origin?.kind === 'package') state.origin = { kind: 'trained' }; // no longer the imported head
    state.trained = true;
    state.report = report;
    training.showEvaluation(report);
    enable();
    demo.optionsChanged(); // a still image is predicted again, with the new model
  },
});

const library = new Library({
  trainer, state, note, showError: demo.showError,
  baseManifest: () => demo.handle?.manifest ?? state.manifest,
  trained: () => state.trained,
  onExamples: setCounts,
  async reopen(origin) {
    session.next = origin;
    demo.clearError();
    if (await demo.load(demo.modelUrl)) return true;
    await demo.load(demo.modelUrl); // that failed (its error stays shown): carry on with a new trainer
    return false;
  },
});

/** The class cards' actions (classes.js). */
const actions = {
  startRecording(label) {
    if (!trainer()) return false;
    if (!demo.source.playing) {
      demo.showError(fail('NoWebcam', 'start the webcam first to record examples (or add image files to the class)'));
      return false;
    }
    if (session.training) {
      demo.showError(fail('Busy', 'wait for training to finish (or cancel it) before recording'));
      return false;
    }
    demo.clearError();
    session.recording = label;
    return true;
  },
  stopRecording(label) {
    if (session.recording === label) session.recording = null;
  },
  async addFiles(label, files) {
    if (!trainer()) return;
    demo.clearError();
    let added = 0;
    for (const file of files) {
      try {
        const bitmap = await readBitmap(file); // a non-image fails here, naming the file
        setCounts((await trainer().addExample(bitmap, label)).counts);
        added += 1;
      } catch (err) {
        demo.showError(err);
      }
    }
    if (added) note(`Added ${added} image${added === 1 ? '' : 's'} to '${label}'.`);
  },
  async rename(i, name) {
    const from = state.classes[i];
    if (name === from) return true;
    try {
      if (!name) throw fail('RangeError', 'a class needs a name');
      if (state.classes.includes(name)) throw fail('RangeError', `there is already a class '${name}'`);
      if (from in state.counts) state.counts = await trainer().renameClass(from, name);
      state.classes[i] = name;
      if (state.report) state.report = await trainer().evaluate(); // its per-class names follow
    } catch (err) {
      demo.showError(err);
      return false;
    }
    refreshClasses();
    training.showEvaluation(state.report);
    return true;
  },
  async remove(i) {
    const label = state.classes[i];
    try {
      if (label in state.counts) {
        const { counts, trained } = await trainer().removeClass(label);
        state.counts = counts;
        if (state.trained && !trained) {
          forgetModel();
          note(`The model knew '${label}': train again (predictions use the examples until then).`);
        }
      }
      state.classes.splice(i, 1);
      refreshClasses();
    } catch (err) {
      demo.showError(err);
    }
  },
};

function forgetModel() {
  state.trained = false;
  state.report = null;
  training.showEvaluation(null);
  training.showHistory([]);
  enable();
}

function refreshClasses() {
  renderClasses(state.classes, state.counts, actions);
  showPrediction(state.classes, []);
  enable();
}

/** New example counts from the trainer; classes it knows that the cards do not (an imported dataset) get cards. */
function setCounts(counts) {
  state.counts = counts;
  const unknown = Object.keys(counts).filter((c) => !state.classes.includes(c));
  if (unknown.length) {
    state.classes.push(...unknown);
    refreshClasses();
  } else {
    showCounts(state.classes, counts);
  }
}

/** The first free 'Class N'. */
function newClassName() {
  for (let n = state.classes.length + 1; ; n++) if (!state.classes.includes(`Class ${n}`)) return `Class ${n}`;
}

function enable() {
  const ready = Boolean(trainer());
  training.enable(ready);
  library.enable(ready);
  $('add-class').disabled = !ready;
}

/** A result of the video loop or of a still image (session.js). */
function render(result, frame) {
  if (frame?.ms) $('inference').textContent = `${frame.ms.toFixed(0)} ms`;
  if (result?.kind === 'recorded') {
    state.recorded += 1;
    setCounts(result.counts);
  } else if (result?.kind === 'predicted') {
    state.predictions += 1;
    state.lastClasses = result.classes;
    showPrediction(state.classes, result.classes);
    $('prediction-note').textContent = state.trained ? `The trained ${(state.report?.kind ?? '').toUpperCase()} model.` : 'Nearest neighbours of your examples (train for a better model).';
  } else {
    showPrediction(state.classes, []);
  }
}

/** A trainer was loaded (new, reopened, or from a package): the cards, the model and the lists follow it. */
async function adopt(handle) {
  const { origin, trainer: t } = handle;
  const counts = await t.counts();
  if (handle !== demo.handle) return; // superseded meanwhile
  state.counts = counts;
  if (origin.kind === 'new') {
    state.classes = [...new Set([...origin.labels, ...Object.keys(counts)])];
    forgetModel();
  } else {
    state.classes = Object.keys(counts);
    state.trained = true;
    state.report = await t.evaluate().catch(() => null);
    training.showEvaluation(state.report);
    training.showHistory(state.report?.history ?? []);
  }
  state.origin = origin.kind === 'saved' ? { kind: 'saved', name: origin.name } : { kind: origin.kind };
  refreshClasses();
  await library.refresh();
  state.adopted += 1;
}

$('add-class').addEventListener('click', () => {
  state.classes.push(newClassName());
  refreshClasses();
  $(`class-name-${state.classes.length - 1}`).focus();
});
// the webcam is shown as a mirror (what people expect of a selfie view); files as they are
$('webcam').addEventListener('click', () => $('stage').classList.add('mirrored'));
$('file').addEventListener('change', () => $('stage').classList.remove('mirrored'));
window.addEventListener('pagehide', () => { session.recording = null; });

refreshClasses();
// registered once the first model is loaded (setUpOffline says why)
setUpOffline(state, { modelUrl: demo.requested ?? DEFAULT_MODEL, tag: 'classifier-trainer', after: demo.quietAfter(demo.start()) });
