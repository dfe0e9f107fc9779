// Renaming and removing classes in a training session (web/src/train/trainer.js): what the classifier
// trainer app (web/apps/classifier-trainer/) does when a user renames or deletes a class.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { TrainingError } from '../../src/errors.js';
import { Trainer } from '../../src/train/trainer.js';

/** Three well-separated classes of 2-d points, 6 examples each. */
function session() {
  const t = new Trainer({ labels: ['a', 'b', 'c'] });
  const centres = { a: [1, 0], b: [0, 1], c: [-1, -1] };
  for (let i = 0; i < 6; i++) {
    for (const [label, [x, y]] of Object.entries(centres)) t.addExample([x + 0.01 * i, y - 0.01 * i], label);
  }
  return t;
}

test('renameLabel() renames the examples, the trained head and the report; the model is unchanged', async () => {
  const t = session();
  await t.fit({ head: 'linear', epochs: 30, learningRate: 0.1 });
  const before = t.predict([1, 0], 3).map((c) => c.score);
  t.renameLabel('b', 'bee');
  assert.deepEqual(Object.keys(t.counts()), ['a', 'bee', 'c']);
  assert.equal(t.counts().bee, 6);
  assert.equal(t.predict([0, 1], 1)[0].label, 'bee');
  assert.deepEqual(t.predict([1, 0], 3).map((c) => c.score), before);
  assert.deepEqual(t.report.perClass.map((c) => c.label), ['a', 'bee', 'c']);
  assert.deepEqual(t.exportDataset().labels, ['a', 'bee', 'c']);
  assert.throws(() => t.renameLabel('a', 'c'), (e) => e instanceof TrainingError && /already a class 'c'/.test(e.message));
  assert.throws(() => t.renameLabel('zzz', 'y'), /no class 'zzz'/);
  assert.throws(() => t.renameLabel('a', ''), TypeError);
});

test('renameLabel() before training: KNN predictions use the new name', () => {
  const t = session();
  assert.equal(t.predict([-1, -1], 1)[0].label, 'c');
  t.renameLabel('c', 'sea');
  assert.equal(t.predict([-1, -1], 1)[0].label, 'sea');
});

test('removeLabel() drops the class, its examples and a head that knew it', async () => {
  const t = session();
  await t.fit({ head: 'knn' });
  t.removeLabel('c');
  assert.deepEqual(t.counts(), { a: 6, b: 6 });
  assert.equal(t.head, null);
  assert.equal(t.report, null);
  assert.equal(t.predict([-1, -1], 3).length, 2); // KNN over what is left
  await t.fit({ head: 'knn' });
  t.addExample([5, 5], 'new');
  t.removeLabel('new'); // the head never knew it: it stays
  assert.notEqual(t.head, null);
  assert.throws(() => t.removeLabel('new'), /no class 'new'/);
});
