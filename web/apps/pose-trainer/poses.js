// The pose cards — a name to edit, the example count, a hold-to-record button (pointer, touch, or Space /
// Enter held down), remove — and the confidence bars, one per pose.
// Ids per pose i: #pose-i #pose-name-i #count-i #record-i #remove-i; bars: #predictions.
// Counts change many times a second while a button is held: they update the text in place, and the cards
// are rebuilt only when the poses themselves change (a rebuilt button would lose the press).

import { holdButton } from '/apps/kit/hold.js';
import { $ } from '/apps/kit/page.js';

const COLORS = ['#00e676', '#40c4ff', '#ffca28', '#ff7043', '#ba68c8', '#f06292', '#9ccc65', '#4dd0e1'];

/** The colour of pose i (its card's edge and its bar). */
export const poseColor = (i) => COLORS[i % COLORS.length];

/**
 * @typedef {object} PoseActions
 * @property {(label: string) => boolean} startRecording  false: refused (e.g. no webcam), already said why
 * @property {(label: string) => void} stopRecording
 * @property {(index: number, name: string) => Promise<boolean>} rename  false: refused, the old name stays
 * @property {(index: number) => void} remove
 */

const examplesText = (n) => `${n} example${n === 1 ? '' : 's'}`;

/** One pose card. */
function card(name, i, count, actions) {
  const li = document.createElement('li');
  li.id = `pose-${i}`;
  li.className = 'pose-card';
  li.style.borderLeftColor = poseColor(i);
  const input = Object.assign(document.createElement('input'), { id: `pose-name-${i}`, type: 'text', value: name, spellcheck: false });
  input.setAttribute('aria-label', `Name of pose ${i + 1}`);
  input.addEventListener('change', async () => {
    if (!(await actions.rename(i, input.value.trim()))) input.value = name;
  });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') input.blur(); });
  const counter = Object.assign(document.createElement('span'), { id: `count-${i}`, className: 'count', textContent: examplesText(count) });
  const remove = Object.assign(document.createElement('button'), { id: `remove-${i}`, type: 'button', className: 'remove', textContent: '✕' });
  remove.setAttribute('aria-label', `Remove pose ${name}`);
  remove.title = 'Remove this pose and its examples';
  remove.addEventListener('click', () => actions.remove(i));
  const record = Object.assign(document.createElement('button'), { id: `record-${i}`, type: 'button', className: 'record' });
  record.setAttribute('aria-label', `Hold to record examples of ${name} from the webcam`);
  holdButton(record, {
    start: () => actions.startRecording(name), stop: () => actions.stopRecording(name), idle: 'Hold to record', held: 'Recording…',
  });
  const head = Object.assign(document.createElement('div'), { className: 'pose-head' });
  head.append(input, counter, remove);
  li.append(head, record);
  return li;
}

/**
 * Rebuild the pose cards.
 * @param {string[]} names @param {Record<string, number>} counts @param {PoseActions} actions
 */
export function renderPoses(names, counts, actions) {
  $('poses').replaceChildren(...names.map((name, i) => card(name, i, counts[name] ?? 0, actions)));
}

/** Update the example counts in place. @param {string[]} names @param {Record<string, number>} counts */
export function showCounts(names, counts) {
  names.forEach((name, i) => {
    const el = $(`count-${i}`);
    if (el) el.textContent = examplesText(counts[name] ?? 0);
  });
}

/**
 * The confidence bars, one per pose in the cards' order ([] clears them). The bars are built once per
 * set of names and then only resized: this runs on every frame.
 * @param {string[]} names @param {{label: string, score: number}[]} classes
 */
export function showPrediction(names, classes) {
  const list = $('predictions');
  const key = classes.length ? names.join('\u0000') : '';
  if (list.dataset.names !== key) {
    list.dataset.names = key;
    list.replaceChildren(...(classes.length ? names : []).map((name, i) => {
      const li = document.createElement('li');
      const label = Object.assign(document.createElement('span'), { className: 'name', textContent: name });
      const value = Object.assign(document.createElement('span'), { className: 'score' });
      const bar = Object.assign(document.createElement('div'), { className: 'bar' });
      const fill = document.createElement('span');
      fill.style.background = poseColor(i);
      bar.append(fill);
      bar.setAttribute('role', 'meter');
      bar.setAttribute('aria-label', name);
      bar.setAttribute('aria-valuemin', '0');
      bar.setAttribute('aria-valuemax', '100');
      li.append(label, value, bar);
      return li;
    }));
  }
  const scores = new Map(classes.map((c) => [c.label, c.score]));
  [...list.children].forEach((li, i) => {
    const score = scores.get(names[i]) ?? 0;
    li.classList.toggle('best', names[i] === classes[0]?.label);
    li.querySelector('.score').textContent = `${(score * 100).toFixed(0)} %`;
    li.querySelector('.bar span').style.width = `${Math.max(0, Math.min(1, score)) * 100}%`;
    li.querySelector('.bar').setAttribute('aria-valuenow', String(Math.round(score * 100)));
  });
}
