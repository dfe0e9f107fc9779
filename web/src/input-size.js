// The input-size options: which of the sizes a package carries (sizes.js: its preprocess.size, and the
// same network converted for other inputs, files 'fp32@HxW') a frame runs at. PoseNet is fully
// convolutional: a smaller input is fewer pixels to compute, at some accuracy cost, and costs least when
// the person fills the picture — as on an ROI crop built around them.
//   estimatePoses(source, {inputSize})  [H, W], a number (a square), or null: the package's own size
//   track(video, cb, {roi: true, roiInputSize})  frames estimated on an ROI crop run at 'smallest' (the
//     smallest size carried) or [H, W]; whole frames (no crop yet, the person lost) at the frames' inputSize
// Python: PoseOptions.input_size. Bad values are RangeErrors (Python: OptionError) naming the sizes carried.

import { checkInputSize, describeSizes, inputSizes } from './sizes.js';

/** The words roiInputSize takes besides [H, W] and null. */
export const ROI_INPUT_SIZES = Object.freeze(['smallest']);

/**
 * `value` as [H, W] (a number: a square), or null for null / undefined; a RangeError naming `field`
 * when it is neither (sizes.js checkInputSize). Whether the package carries it is checked once the
 * manifest is known.
 * @param {unknown} value @param {string} [field]
 * @returns {[number, number] | null}
 */
export function normalizeInputSize(value, field = 'inputSize') {
  try {
    return checkInputSize(value);
  } catch (err) {
    if (err instanceof RangeError) err.message = err.message.replace(/^inputSize/, field);
    throw err;
  }
}

/**
 * The carried size `value` asks for (null: the package's own, preprocess.size), or a RangeError that
 * names the sizes the package carries.
 * @param {any} manifest @param {unknown} value @param {string} [field]
 * @returns {[number, number]}
 */
export function resolveInputSize(manifest, value, field = 'inputSize') {
  const size = normalizeInputSize(value, field);
  const sizes = inputSizes(manifest);
  if (size === null) return [sizes[0][0], sizes[0][1]];
  const found = sizes.find(([h, w]) => h === size[0] && w === size[1]);
  if (!found) { // Python's words (sizes.py file_for_size), with the option's name
    throw new RangeError(`${field}: ${manifest.name} has no ${size[0]}x${size[1]} input size (it carries ${describeSizes(sizes)})`);
  }
  return [found[0], found[1]];
}

/**
 * The smallest input (by area) the package carries; its own size when it carries one.
 * @param {any} manifest
 * @returns {[number, number]}
 */
export function smallestInputSize(manifest) {
  const sizes = inputSizes(manifest);
  const [h, w] = sizes.reduce((a, b) => (b[0] * b[1] < a[0] * a[1] ? b : a));
  return [h, w];
}

/**
 * track()'s roiInputSize resolved against the package: null (ROI crops run at the frames' own
 * inputSize), 'smallest', or a carried [H, W] (a number: a square). RangeError otherwise.
 * @param {any} manifest @param {unknown} value
 * @returns {[number, number] | null}
 */
export function resolveRoiInputSize(manifest, value) {
  if (value === null || value === undefined) return null;
  if (value === 'smallest') return smallestInputSize(manifest);
  if (typeof value === 'string') {
    throw new RangeError(`roiInputSize must be ${ROI_INPUT_SIZES.map((w) => `'${w}'`).join(', ')}, [height, width] or null, got '${value}'`);
  }
  return resolveInputSize(manifest, value, 'roiInputSize');
}

/** Whether the package carries more than one input size (e.g. to offer a smaller input on ROI crops). */
export function carriesSeveralSizes(manifest) {
  return inputSizes(manifest).length > 1;
}
