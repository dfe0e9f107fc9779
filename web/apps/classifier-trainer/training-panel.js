// Training: the head and epochs chosen, train() in the worker with a live loss / accuracy chart
// (train solid, held-out dashed; kit/chart.js), cancel between two batches (the previous model is
// kept), then the held-out split's accuracy per class and confusion matrix as two tables.
// Ids: #head #epochs #learning-rate #train #cancel #train-note #loss-chart #accuracy-chart
// #evaluation #accuracy #per-class #confusion.

import { LineChart } from '/apps/kit/chart.js';
import { $ } from '/apps/kit/page.js';

const TRAIN = '#00e676';
const HELD_OUT = '#40c4ff';
const percent = (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(0)} %`);

/**
 * @typedef {object} TrainingHost  what the panel needs from the app
 * @property {() => any} trainer  the current trainer, or null while loading
 * @property {import('./session.js').TrainerSession} session
 * @property {() => string | null} untrainable  why training cannot start (e.g. a class without examples), or null
 * @property {(report: object | null) => void} onTrained  a new model (or none, after a failure)
 * @property {(err: any) => void} showError
 * @property {any} state  the page's test hook
 */

export class TrainingPanel {
  /** @param {TrainingHost} host */
  constructor(host) {
    this.host = host;
    const empty = 'train to see the curves';
    this.loss = new LineChart($('loss-chart'), { title: 'Loss by epoch', empty, series: [{ label: 'train', color: TRAIN }, { label: 'held-out', color: HELD_OUT, dashed: true }] });
    this.accuracy = new LineChart($('accuracy-chart'), {
      title: 'Accuracy by epoch', empty, yMin: 0, yMax: 1, format: (v) => `${Math.round(v * 100)}%`,
      series: [{ label: 'train', color: TRAIN }, { label: 'held-out', color: HELD_OUT, dashed: true }],
    });
    $('train').addEventListener('click', () => this.train());
    $('cancel').addEventListener('click', () => this.host.trainer()?.cancel());
    $('head').addEventListener('change', () => this.showHeadOptions());
    this.showHeadOptions();
  }

  /** KNN has no epochs nor learning rate: those fields are disabled for it. */
  showHeadOptions() {
    const knn = $('head').value === 'knn';
    $('epochs').disabled = knn;
    $('learning-rate').disabled = knn;
  }

  /** The options the fields say, checked (a RangeError names the field). */
  options() {
    const head = $('head').value;
    if (head === 'knn') return { head };
    const epochs = Number($('epochs').value);
    const learningRate = Number($('learning-rate').value);
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > 500) throw new RangeError(`Epochs must be a whole number from 1 to 500, got '${$('epochs').value}'`);
    if (!(learningRate > 0 && learningRate <= 1)) throw new RangeError(`Learning rate must be above 0 and at most 1, got '${$('learning-rate').value}'`);
    return { head, epochs, learningRate };
  }

  enable(ready) {
    $('train').disabled = !ready || this.host.session.training;
    $('cancel').disabled = !this.host.session.training;
  }

  async train() {
    const { session, state, showError } = this.host;
    const trainer = this.host.trainer();
    if (!trainer || session.training) return;
    let options;
    try {
      const why = this.host.untrainable();
      if (why) throw Object.assign(new Error(why), { name: 'NotReady' });
      options = this.options();
    } catch (err) {
      showError(err);
      return;
    }
    session.training = true;
    state.training = true;
    state.history = [];
    this.enable(true);
    this.loss.clear();
    this.accuracy.clear();
    const note = $('train-note');
    note.textContent = options.head === 'knn' ? 'Fitting KNN…' : `Training: epoch 1 of ${options.epochs}…`;
    try {
      const report = await trainer.train({
        ...options,
        onEpochEnd: (r) => {
          state.history.push(r);
          this.loss.add(r.epoch, [r.trainLoss, r.testLoss]);
          this.accuracy.add(r.epoch, [r.trainAccuracy, r.testAccuracy]);
          note.textContent = `Training: epoch ${r.epoch} of ${options.epochs}, held-out accuracy ${percent(r.testAccuracy)}`;
        },
      });
      note.textContent = `Trained ${options.head.toUpperCase()} on ${report.trainExamples} examples in ${(report.ms / 1000).toFixed(1)} s; `
        + `held-out accuracy ${percent(report.accuracy)} (${report.testExamples} examples).`;
      this.host.onTrained(report);
    } catch (err) {
      if (err?.name === 'AbortError') note.textContent = `Cancelled: ${err.message}.`;
      else {
        note.textContent = 'Training failed.';
        showError(err);
      }
    } finally {
      session.training = false;
      state.training = false;
      this.enable(true);
    }
  }

  /** The curves of a report's history (a reopened or imported model), or none. */
  showHistory(history = []) {
    this.loss.setData(history.map((r) => [r.epoch, r.trainLoss, r.testLoss]));
    this.accuracy.setData(history.map((r) => [r.epoch, r.trainAccuracy, r.testAccuracy]));
  }

  /** The held-out evaluation of `report` ({accuracy, perClass, confusion}), or hide it (null). */
  showEvaluation(report) {
    const scored = Boolean(report?.perClass && report?.confusion);
    $('evaluation').hidden = !scored;
    if (!scored) return;
    $('accuracy').textContent = `· ${percent(report.accuracy)} of ${report.testExamples ?? sum(report.confusion.flat())} held-out examples`;
    const labels = report.perClass.map((c) => c.label);
    fillTable($('per-class'), ['class', 'held-out', 'accuracy'],
      report.perClass.map((c) => [c.label, String(c.count), percent(c.accuracy)]));
    const table = $('confusion');
    fillTable(table, ['true \\ predicted', ...labels], report.confusion.map((row, i) => [labels[i], ...row.map(String)]));
    // shade each cell by its share of the row: the diagonal is what the model got right
    report.confusion.forEach((row, i) => {
      const total = sum(row) || 1;
      row.forEach((n, j) => {
        const cell = table.tBodies[0].rows[i].cells[j + 1];
        cell.style.background = `rgba(${i === j ? '0, 230, 118' : '255, 82, 82'}, ${(0.65 * n) / total})`;
      });
    });
  }
}

const sum = (a) => a.reduce((s, v) => s + v, 0);

/** Replace a table's head and body (its caption stays): the first cell of each row is a header. */
function fillTable(table, header, rows) {
  const caption = table.caption;
  const thead = document.createElement('thead');
  const tr = document.createElement('tr');
  for (const h of header) tr.append(Object.assign(document.createElement('th'), { textContent: h, scope: 'col' }));
  thead.append(tr);
  const tbody = document.createElement('tbody');
  for (const [first, ...cells] of rows) {
    const row = document.createElement('tr');
    row.append(Object.assign(document.createElement('th'), { textContent: first, scope: 'row' }));
    for (const c of cells) row.append(Object.assign(document.createElement('td'), { textContent: c }));
    tbody.append(row);
  }
  table.replaceChildren(...(caption ? [caption] : []), thead, tbody);
}
