// The class cards — a name to edit, the example count, a hold-to-record button (pointer, touch, or
// Space / Enter held down), "add images", remove — and the prediction bars, one per class.
// Ids per class i: #class-i #class-name-i #count-i #record-i #files-i #remove-i; bars: #predictions.
// Counts change many times a second while a button is held: they update the text in place, and the
// cards are rebuilt only when the classes themselves change (a rebuilt button would lose the press).

import { $ } from '/apps/kit/page.js';

const COLORS = ['#00e676', '#40c4ff', '#ffca28', '#ff7043', '#ba68c8', '#f06292', '#9ccc65', '#4dd0e1'];

/** The colour of class i (its card's edge and its prediction bar). */
export const classColor = (i) => COLORS[i % COLORS.length];

const HOLD_KEYS = new Set([' ', 'Enter']);

/**
 * @typedef {object} ClassActions
 * @property {(label: string) => boolean} startRecording  false: refused (e.g. no webcam), already said why
 * @property {(label: string) => void} stopRecording
 * @property {(label: string, files: File[]) => void} addFiles
 * @property {(index: number, name: string) => Promise<boolean>} rename  false: refused, the old name stays
 * @property {(index: number) => void} remove
 */

/**
 * A button that records while it is held: pointer down … up (captured, so sliding off still ends on
 * release), or Space / Enter down … up from the keyboard; losing focus ends it too.
 * @param {HTMLButtonElement} button @param {string} label @param {ClassActions} actions
 */
function holdToRecord(button, label, actions) {
  let held = false;
  const start = () => {
    if (held || !actions.startRecording(label)) return;
    held = true;
    button.setAttribute('aria-pressed', 'true');
    button.textContent = 'Recording…';
  };
  const stop = () => {
    if (!held) return;
    held = false;
    button.setAttribute('aria-pressed', 'false');
    button.textContent = 'Hold to record';
    actions.stopRecording(label);
  };
  button.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault(); // no text selection or focus-scroll on a long press
    button.focus();
    button.setPointerCapture?.(e.pointerId);
    start();
  });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture', 'blur']) button.addEventListener(type, stop);
  button.addEventListener('keydown', (e) => {
    if (!HOLD_KEYS.has(e.key)) return;
    e.preventDefault(); // a held key must not also "click" (Enter repeats clicks)
    if (!e.repeat) start();
  });
  button.addEventListener('keyup', (e) => {
    if (!HOLD_KEYS.has(e.key)) return;
    e.preventDefault();
    stop();
  });
  button.addEventListener('contextmenu', (e) => e.preventDefault()); // a long touch is a hold, not a menu
}

/** One class card. */
function card(name, i, count, actions) {
  const li = document.createElement('li');
  li.id = `class-${i}`;
  li.className = 'class-card';
  li.style.borderLeftColor = classColor(i);
  const input = Object.assign(document.createElement('input'), { id: `class-name-${i}`, type: 'text', value: name, spellcheck: false });
  input.setAttribute('aria-label', `Name of class ${i + 1}`);
  input.addEventListener('change', async () => {
    const ok = await actions.rename(i, input.value.trim());
    if (!ok) input.value = name;
  });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') input.blur(); });
  const counter = Object.assign(document.createElement('span'), { id: `count-${i}`, className: 'count' });
  counter.textContent = examplesText(count);
  const remove = Object.assign(document.createElement('button'), { id: `remove-${i}`, type: 'button', className: 'remove', textContent: '✕' });
  remove.setAttribute('aria-label', `Remove class ${name}`);
  remove.title = 'Remove this class and its examples';
  remove.addEventListener('click', () => actions.remove(i));
  const record = Object.assign(document.createElement('button'), { id: `record-${i}`, type: 'button', className: 'record', textContent: 'Hold to record' });
  record.setAttribute('aria-pressed', 'false');
  record.setAttribute('aria-label', `Hold to record examples of ${name} from the webcam`);
  holdToRecord(record, name, actions);
  const files = Object.assign(document.createElement('input'), { id: `files-${i}`, type: 'file', accept: 'image/*', multiple: true });
  files.addEventListener('change', () => {
    actions.addFiles(name, [...files.files]);
    files.value = ''; // the same files may be added again
  });
  const fileLabel = Object.assign(document.createElement('label'), { className: 'file' });
  fileLabel.append('Add images', files);
  const head = Object.assign(document.createElement('div'), { className: 'class-head' });
  head.append(input, counter, remove);
  const tools = Object.assign(document.createElement('div'), { className: 'class-tools' });
  tools.append(record, fileLabel);
  li.append(head, tools);
  return li;
}

const examplesText = (n) => `${n} example${n === 1 ? '' : 's'}`;

/**
 * Rebuild the class cards.
 * @param {string[]} names @param {Record<string, number>} counts @param {ClassActions} actions
 */
export function renderClasses(names, counts, actions) {
  $('classes').replaceChildren(...names.map((name, i) => card(name, i, counts[name] ?? 0, actions)));
}

/** Update the example counts in place. @param {string[]} names @param {Record<string, number>} counts */
export function showCounts(names, counts) {
  names.forEach((name, i) => {
    const el = $(`count-${i}`);
    if (el) el.textContent = examplesText(counts[name] ?? 0);
  });
}

/**
 * The prediction bars, one per class in the cards' order ([] clears them).
 * @param {string[]} names @param {{label: string, score: number}[]} classes
 */
export function showPrediction(names, classes) {
  const scores = new Map(classes.map((c) => [c.label, c.score]));
  const best = classes[0]?.label;
  $('predictions').replaceChildren(...(classes.length ? names : []).map((name, i) => {
    const score = scores.get(name) ?? 0;
    const li = document.createElement('li');
    li.classList.toggle('best', name === best);
    const label = Object.assign(document.createElement('span'), { className: 'name', textContent: name });
    const value = Object.assign(document.createElement('span'), { className: 'score', textContent: `${(score * 100).toFixed(0)} %` });
    const bar = Object.assign(document.createElement('div'), { className: 'bar' });
    const fill = document.createElement('span');
    fill.style.width = `${Math.max(0, Math.min(1, score)) * 100}%`;
    fill.style.background = classColor(i);
    bar.append(fill);
    bar.setAttribute('role', 'meter');
    bar.setAttribute('aria-label', name);
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    bar.setAttribute('aria-valuenow', String(Math.round(score * 100)));
    li.append(label, value, bar);
    return li;
  }));
}
