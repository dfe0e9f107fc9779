// Scores of predictions against the truth: a mirror of src/edgeward/train/evaluate.py.
import { TrainingError } from '../errors.js';

/**
 * counts[true][predicted].
 * @param {ArrayLike<number>} yTrue @param {ArrayLike<number>} yPred @param {number} nClasses
 * @returns {number[][]}
 */
export function confusionMatrix(yTrue, yPred, nClasses) {
  if (yTrue.length !== yPred.length) throw new TrainingError(`${yTrue.length} true classes but ${yPred.length} predictions`);
  const counts = Array.from({ length: nClasses }, () => new Array(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    for (const [name, c] of /** @type {[string, number][]} */ ([['true', yTrue[i]], ['predicted', yPred[i]]])) {
      if (!(Number.isInteger(c) && c >= 0 && c < nClasses)) throw new TrainingError(`a ${name} class is outside 0..${nClasses - 1}`);
    }
    counts[yTrue[i]][yPred[i]] += 1;
  }
  return counts;
}

/**
 * {accuracy, perClass: [{label, count, accuracy}], confusion}; accuracy null where there is nothing to score.
 * @param {ArrayLike<number>} yTrue @param {ArrayLike<number>} yPred @param {string[]} labels
 */
export function evaluate(yTrue, yPred, labels) {
  const confusion = confusionMatrix(yTrue, yPred, labels.length);
  const perClass = labels.map((label, c) => {
    const count = confusion[c].reduce((a, b) => a + b, 0);
    return { label, count, accuracy: count ? confusion[c][c] / count : null };
  });
  let correct = 0;
  for (let c = 0; c < labels.length; c++) correct += confusion[c][c];
  return { accuracy: yTrue.length ? correct / yTrue.length : null, perClass, confusion };
}
