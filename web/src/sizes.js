// The input sizes a package carries: its own (preprocess.size) and its size files, keyed
// '<variant>@<H>x<W>' (e.g. 'fp32@257x257': the same network converted for a [1, H, W, C] input;
// every other manifest field applies unchanged, the outputs' spatial dims follow the input). A mirror of
// src/edgeward/package/sizes.py, function for function (web/test/sizes.test.js checks it against it).
// The file for (variant, size) is that variant's size file if the package has one, else fp32's.

import { ManifestError } from './errors.js';

/** The least and the largest height or width of a size key (manifest.py: MIN_INPUT_SIDE, MAX_INPUT_SIDE). */
export const MIN_INPUT_SIDE = 16;
export const MAX_INPUT_SIDE = 4096;

const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

/**
 * 'fp32@257x257' → {variant: 'fp32', size: [257, 257]}; a key without a size → null. (The key matched
 * the schema's pattern for `files` keys: digits without leading zeros.)
 * @param {string} key
 * @returns {{variant: string, size: [number, number]} | null}
 */
export function splitSizeKey(key) {
  const at = key.indexOf('@');
  if (at < 0) return null;
  const [height, width] = key.slice(at + 1).split('x').map(Number);
  return { variant: key.slice(0, at), size: [height, width] };
}

/**
 * [height, width] of the package's own input (preprocess.size).
 * @param {import('./manifest.js').Manifest} manifest
 * @returns {[number, number]}
 */
export function ownSize(manifest) {
  if (!manifest.preprocess) {
    throw new ManifestError(`${manifest.name}: task '${manifest.task}' has no field 'preprocess', so no input size`);
  }
  const [height, width] = manifest.preprocess.size;
  return [height, width];
}

const same = (a, b) => a[0] === b[0] && a[1] === b[1];

/**
 * The package's own size first, then the sizes of its size files by descending area (then height),
 * each once ('fp32@257x257' and 'int8@257x257' are one size).
 * @param {import('./manifest.js').Manifest} manifest
 * @returns {[number, number][]}
 */
export function inputSizes(manifest) {
  const own = ownSize(manifest);
  /** @type {[number, number][]} */
  const carried = [];
  for (const key of Object.keys(manifest.files)) {
    const split = splitSizeKey(key);
    if (split && !same(split.size, own) && !carried.some((s) => same(s, split.size))) carried.push(split.size);
  }
  carried.sort((a, b) => b[0] * b[1] - a[0] * a[1] || b[0] - a[0] || b[1] - a[1]);
  return [own, ...carried];
}

/**
 * The `files` key of `variant` at `size`: the variant itself at the package's own size, else
 * '<variant>@<H>x<W>'.
 * @param {import('./manifest.js').Manifest} manifest @param {string} variant @param {number[]} size
 * @returns {string}
 */
export function sizeKey(manifest, variant, size) {
  const [height, width] = size;
  return same([height, width], ownSize(manifest)) ? variant : `${variant}@${height}x${width}`;
}

/** @param {number[][]} sizes */
export const describeSizes = (sizes) => sizes.map(([h, w]) => `${h}x${w}`).join(', ');

/**
 * The file to run for `variant` at `size`, as {key (its `files` key), entry}: the variant's own file at
 * that size, else fp32's (a size file is converted once, in fp32); a size the package does not carry is
 * a RangeError (Python's OptionError) naming the sizes it does.
 * @param {import('./manifest.js').Manifest} manifest @param {string} variant @param {number[]} size
 * @returns {{key: string, entry: import('./manifest.js').FileEntry}}
 */
export function fileForSize(manifest, variant, size) {
  for (const name of [variant, 'fp32']) {
    const key = sizeKey(manifest, name, size);
    if (hasOwn(manifest.files, key)) return { key, entry: manifest.files[key] };
  }
  throw new RangeError(`${manifest.name} has no ${size[0]}x${size[1]} input size (it carries ${describeSizes(inputSizes(manifest))})`);
}

/**
 * The `files` keys `variant` runs at the package's other input sizes (fileForSize); a size with no file
 * for it (nor fp32's) is left out.
 * @param {import('./manifest.js').Manifest} manifest @param {string} variant
 * @returns {string[]}
 */
export function sizeFiles(manifest, variant) {
  if (!manifest.preprocess) return [];
  const keys = [];
  for (const size of inputSizes(manifest).slice(1)) {
    try {
      keys.push(fileForSize(manifest, variant, size).key);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
    }
  }
  return keys;
}

/**
 * The `inputSize` option as [height, width]: null (or undefined) stays null (the package's own), an
 * integer n is [n, n], a pair of integers is [height, width]; anything else is a RangeError.
 * @param {unknown} value
 * @returns {[number, number] | null}
 */
export function checkInputSize(value) {
  if (value === null || value === undefined) return null;
  const pair = Number.isInteger(value) ? [value, value] : Array.isArray(value) && value.length === 2 ? value : [];
  const ok = pair.length === 2 && pair.every((v) => Number.isInteger(v) && v >= MIN_INPUT_SIDE && v <= MAX_INPUT_SIDE);
  if (!ok) {
    throw new RangeError(`inputSize must be an integer or [height, width], each ${MIN_INPUT_SIDE} to ${MAX_INPUT_SIDE} (or null: the package's own), got ${JSON.stringify(value)}`);
  }
  return [pair[0], pair[1]];
}
