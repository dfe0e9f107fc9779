// MoveNet output decoding: an exact mirror of src/edgeward/tasks/movenet.py.
// Rows of K (y, x, score) normalised to the model input (0 = top/left edge); multi-pose rows end
// with a box (ymin, xmin, ymax, xmax, score). Positions come back in model-input pixel-centre
// coordinates (x·W − 0.5), so the same letterbox maps them to the image.

import { ManifestError } from '../errors.js';
import { npMean } from './posenet.js';

/** output: {data, dims}; returns [{score, ys, xs, scores}] best first, at most maxPoses. */
export function decodeMovenet(output, numKeypoints, inputH, inputW, multipose, maxPoses, scoreThreshold) {
  const k = numKeypoints;
  const width = multipose ? output.dims[output.dims.length - 1] : 3 * k;
  const { data } = output;
  if (data.length % width !== 0 || width < 3 * k + (multipose ? 5 : 0)) {
    throw new ManifestError(`MoveNet output has shape [${output.dims}], expected rows of ${3 * k}${multipose ? ' + 5' : ''} values`);
  }
  const poses = [];
  for (let r = 0; r < data.length / width; r++) {
    const base = r * width;
    const ys = new Float64Array(k);
    const xs = new Float64Array(k);
    const scores = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      ys[j] = data[base + 3 * j] * inputH - 0.5;
      xs[j] = data[base + 3 * j + 1] * inputW - 0.5;
      scores[j] = data[base + 3 * j + 2];
    }
    const score = multipose ? data[base + 3 * k + 4] : npMean(scores);
    if (score >= scoreThreshold) poses.push({ score, ys, xs, scores });
  }
  poses.sort((a, b) => b.score - a.score); // stable, like Python's sort
  return poses.slice(0, maxPoses);
}
