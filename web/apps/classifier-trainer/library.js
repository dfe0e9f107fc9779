// Keeping and sharing a model: save in this browser (IndexedDB: the package and the examples'
// features, never images) with a list to reopen or delete, download as an Edgeward package (.tar),
// publish to a registry with a token, download the dataset (features + labels, JSON), and import a
// package or a dataset. Only the downloads and the publish send anything off the device.
// Ids: #model-name #model-version #save #export #registry #token #publish #export-dataset #import #saved.

import { deleteTrainedModel, listTrainedModels } from '/runtime/edgeward.js';
import { $ } from '/apps/kit/page.js';
import { packageFromTar } from './tar-reader.js';

const DATASET_FORMAT = 'edgeward-dataset/1';

/**
 * @typedef {object} LibraryHost  what the library needs from the app
 * @property {() => any} trainer  the current trainer (null while loading)
 * @property {() => any} baseManifest  the base model's manifest
 * @property {() => boolean} trained
 * @property {(origin: import('./session.js').Origin) => Promise<boolean>} reopen  load a trainer from `origin`
 * @property {(counts: Record<string, number>) => void} onExamples  examples were added (a dataset)
 * @property {(message: string) => void} note
 * @property {(err: any) => void} showError
 * @property {any} state
 */

/** Let the user save `blob` as `filename` (an <a download>; the URL is revoked once used). */
function download(blob, filename) {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

const fail = (name, message) => Object.assign(new Error(message), { name });

/**
 * A package manifest's training report (snake_case, manifest.py) as the trainer's report (camelCase),
 * so an imported model shows its held-out evaluation and curves.
 */
export function reportFromManifest(manifest) {
  const t = manifest.training;
  if (!t) return null;
  const labels = manifest.labels;
  return {
    kind: manifest.head.kind, examples: t.examples, trainExamples: t.train, testExamples: t.test, testSplit: t.test_split,
    seed: t.seed, ms: 0, accuracy: t.test_accuracy,
    history: (t.history ?? []).map((r) => ({ epoch: r.epoch, trainLoss: r.train_loss, trainAccuracy: r.train_accuracy, testLoss: r.test_loss, testAccuracy: r.test_accuracy })),
    perClass: labels.map((label, c) => ({ label, count: (t.confusion?.[c] ?? []).reduce((a, b) => a + b, 0), accuracy: t.per_class_accuracy?.[label] ?? null })),
    confusion: t.confusion,
  };
}

export class Library {
  /** @param {LibraryHost} host */
  constructor(host) {
    this.host = host;
    $('registry').value = location.origin;
    $('save').addEventListener('click', () => this.run(() => this.save()));
    $('export').addEventListener('click', () => this.run(() => this.exportPackage()));
    $('publish-form').addEventListener('submit', (e) => {
      e.preventDefault(); // published by fetch, not by a form post
      this.run(() => this.publish());
    });
    $('export-dataset').addEventListener('click', () => this.run(() => this.exportDataset()));
    $('import').addEventListener('change', (e) => {
      const file = e.target.files[0];
      e.target.value = '';
      if (file) this.run(() => this.importFile(file));
    });
  }

  /** Run an action, its error shown. */
  async run(action) {
    try {
      await action();
    } catch (err) {
      this.host.showError(err);
    }
  }

  enable(ready) {
    const trained = ready && this.host.trained();
    for (const id of ['save', 'export', 'publish']) $(id).disabled = !trained;
    $('export-dataset').disabled = !ready;
    $('import').disabled = !ready;
  }

  /** The trainer, trained (else an error that says what to do). */
  trainedTrainer(what) {
    const trainer = this.host.trainer();
    if (!trainer || !this.host.trained()) throw fail('NotTrained', `train the model before ${what} it`);
    if (this.host.state.origin?.kind === 'package') {
      throw fail('NotTrained', `an imported package holds no examples, and a saved model or package here is made from them: add examples (or import its dataset) and train before ${what} it`);
    }
    return trainer;
  }

  name() {
    return $('model-name').value.trim();
  }

  async save() {
    const name = this.name();
    const summary = await this.trainedTrainer('saving').save(name, { version: $('model-version').value.trim() || undefined });
    this.host.note(`Saved '${summary.name}' in this browser (${summary.examples} examples, ${summary.labels.length} classes).`);
    await this.refresh();
  }

  async exportPackage() {
    const pkg = await this.package();
    download(pkg.archive, pkg.archiveName);
    this.host.state.exported = { name: pkg.manifest.name, version: pkg.manifest.version, archiveName: pkg.archiveName, bytes: pkg.archive.size };
    this.host.note(`Downloaded ${pkg.archiveName}: load it with \`edgeward pack\` after extracting, or import it here.`);
  }

  package() {
    return this.trainedTrainer('exporting').export({ name: this.name(), version: $('model-version').value.trim() || undefined });
  }

  async publish() {
    const registry = $('registry').value.trim();
    const token = $('token').value;
    if (!registry) throw fail('RangeError', 'give the registry URL to publish to');
    if (!token) throw fail('RangeError', "give the registry's token to publish (EDGEWARD_REGISTRY_TOKEN on the server)");
    const pkg = await this.package();
    await pkg.publish(registry, token);
    this.host.state.published = { name: pkg.manifest.name, version: pkg.manifest.version, registry };
    this.host.note(`Published ${pkg.manifest.name}@${pkg.manifest.version} to ${registry}.`);
  }

  async exportDataset() {
    const trainer = this.host.trainer();
    if (!trainer) return;
    const base = this.host.baseManifest();
    const dataset = { ...(await trainer.exportDataset()), base: `${base.name}@${base.version}` };
    if (!dataset.y.length) throw fail('NoExamples', 'there are no examples to download yet');
    download(new Blob([JSON.stringify(dataset)], { type: 'application/json' }), `${this.name() || 'classes'}-dataset.json`);
    this.host.note(`Downloaded ${dataset.y.length} examples' features (no images).`);
  }

  /** A package archive (.tar) opens as the model; a dataset (.json) adds its examples to these classes. */
  async importFile(file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const isJson = file.name.toLowerCase().endsWith('.json') || file.type === 'application/json';
    if (isJson) return this.importDataset(bytes, file.name);
    if (file.name.toLowerCase().endsWith('.tar') || file.type === 'application/x-tar') return this.importPackage(bytes, file.name);
    throw fail('ImportError', `'${file.name}' is neither an Edgeward package (.tar) nor a dataset (.json)`);
  }

  async importDataset(bytes, filename) {
    let dataset;
    try {
      dataset = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw fail('ImportError', `'${filename}' is not JSON (${err.message})`);
    }
    if (dataset?.format !== DATASET_FORMAT) throw fail('ImportError', `'${filename}' is not an Edgeward dataset (format '${dataset?.format}', expected '${DATASET_FORMAT}')`);
    this.checkBase(dataset.base, filename, 'its features come from');
    const { counts } = await this.host.trainer().importDataset(dataset);
    this.host.onExamples(counts);
    this.host.note(`Imported ${dataset.y.length} examples from ${filename}; train again to use them.`);
  }

  async importPackage(bytes, filename) {
    const pkg = packageFromTar(bytes, filename);
    const m = pkg.manifest;
    if (m.task !== 'features' || m.head?.features !== 'embedding') {
      throw fail('ImportError', `'${filename}' is a package of task '${m.task}'${m.head ? ` on ${m.head.features} features` : ''}, not a classifier trained on image features`);
    }
    this.checkBase(m.base, filename, 'it was trained on');
    if (await this.host.reopen({ kind: 'package', pkg, report: reportFromManifest(m) })) {
      this.host.note(`Opened ${m.name}@${m.version} from ${filename} (${m.labels.length} classes; it holds no examples).`);
    }
  }

  /** A dataset or package made on another base model cannot be used with this one's features. */
  checkBase(base, filename, how) {
    const mine = this.host.baseManifest();
    if (base && base.split('@')[0] !== mine.name) {
      throw fail('ImportError', `'${filename}': ${how} ${base}, but this trainer uses ${mine.name}@${mine.version}; pick that base model first`);
    }
  }

  /** Fill #saved with the models saved in this browser (image classifiers only), each to open or delete. */
  async refresh() {
    let models = [];
    try {
      models = (await listTrainedModels()).filter((m) => m.features === 'embedding');
    } catch (err) {
      this.host.showError(err);
    }
    this.host.state.saved = models.map((m) => m.name);
    const items = models.map((m) => {
      const li = document.createElement('li');
      li.dataset.name = m.name;
      const what = Object.assign(document.createElement('span'), {
        textContent: `${m.name} · ${m.kind} · ${m.labels.join(', ')}${m.testAccuracy === null ? '' : ` · ${(m.testAccuracy * 100).toFixed(0)} %`}`,
        title: `${m.examples} examples, saved ${new Date(m.savedAt).toLocaleString()}`,
      });
      const open = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Open', className: 'open' });
      open.setAttribute('aria-label', `Open ${m.name}`);
      open.addEventListener('click', () => this.run(async () => {
        if (await this.host.reopen({ kind: 'saved', name: m.name })) this.host.note(`Opened '${m.name}'.`);
      }));
      const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Delete', className: 'delete' });
      remove.setAttribute('aria-label', `Delete ${m.name}`);
      remove.addEventListener('click', () => this.run(async () => {
        await deleteTrainedModel(m.name);
        this.host.note(`Deleted '${m.name}' from this browser.`);
        await this.refresh();
      }));
      li.append(what, open, remove);
      return li;
    });
    $('saved').replaceChildren(...(items.length ? items : [Object.assign(document.createElement('li'), { className: 'none', textContent: 'none yet' })]));
  }
}
