// The bundled example poses: example-poses.json, written by `python -m edgeward.train.pose_examples` from
// real photos of people (four poses, eight views of each photo) with each pose model of the zoo — the
// keypoints that model found, never typed in. They become pose features here with poseFeatures (the same
// rule as for webcam frames and as Python's pose_features), so a model only ever learns its own features.

import { POSE_FEATURE_DIM, poseFeatures } from '/runtime/edgeward.js';

export const EXAMPLES_URL = new URL('./example-poses.json', import.meta.url).href;
const FORMAT = 'edgeward-example-poses/1';
const FILE = 'example-poses.json';

/**
 * The bundled examples for the pose package `manifest`, as an Edgeward dataset for trainer.importDataset,
 * with the package version they were made with and the photo each pose comes from. A model the file has
 * no examples for is an error saying which models it has.
 * @param {{name: string, version: string}} manifest
 * @returns {Promise<{dataset: {format: string, labels: string[], dim: number, x: number[], y: number[]},
 *   version: string, photos: Record<string, string>}>}
 */
export async function exampleDataset(manifest) {
  const response = await fetch(EXAMPLES_URL);
  if (!response.ok) throw new Error(`${FILE}: HTTP ${response.status}`);
  const file = await response.json();
  if (file?.format !== FORMAT) throw new TypeError(`${FILE}: format '${file?.format}', expected '${FORMAT}'`);
  const entry = file.models?.[manifest.name];
  if (!entry) {
    throw Object.assign(new Error(`there are no example poses for ${manifest.name} (${FILE} has them for `
      + `${Object.keys(file.models ?? {}).join(', ')}): record your own from the webcam`), { name: 'NoExamples' });
  }
  const labels = Object.keys(file.photos);
  const x = [];
  const y = [];
  entry.examples.forEach((ex, i) => {
    const where = `${FILE}: ${manifest.name} example ${i}`;
    if (!labels.includes(ex.pose)) throw new TypeError(`${where}: pose '${ex.pose}' is none of ${labels.join(', ')}`);
    if (!Array.isArray(ex.keypoints) || ex.keypoints.length !== file.keypoints.length) {
      throw new TypeError(`${where}: 'keypoints' must be ${file.keypoints.length} rows of [x, y, score]`);
    }
    const pose = { keypoints: ex.keypoints.map(([kx, ky, score], j) => ({ name: file.keypoints[j], x: kx, y: ky, score })) };
    try {
      x.push(...poseFeatures(pose));
    } catch (err) {
      throw Object.assign(new Error(`${where}: ${err.message}`), { name: err.name });
    }
    y.push(labels.indexOf(ex.pose));
  });
  return { dataset: { format: 'edgeward-dataset/1', labels, dim: POSE_FEATURE_DIM, x, y }, version: entry.version, photos: file.photos };
}
