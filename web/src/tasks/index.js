// The task table: every task a package can name, with its decoder, its defaults and its handle —
// the mirror of src/edgeward/tasks/__init__.py's TASKS (same keys, same defaults in camelCase;
// tests/tasks/test_table.py checks). The worker decodes through `decodeFrame`, edgeward.js builds
// handles from `factory` / `method` / `result`, the bench page picks its factory here. New tasks
// (trained heads) add one row here and one in Python.

import { decodeClassification, DEFAULT_CLASSIFY_OPTIONS, normalizeClassifyOptions } from './classify.js';
import { decodeDetections, DEFAULT_DETECT_OPTIONS, normalizeDetectOptions } from './detect.js';
import { decodeFeatures, DEFAULT_FEATURES_OPTIONS, normalizeFeaturesOptions } from './features.js';
import { decodePoses, DEFAULT_POSE_OPTIONS, normalizePoseOptions } from './pose.js';

/**
 * What the worker hands a task's decoder for one frame.
 * @typedef {object} FrameContext
 * @property {any} manifest      the validated manifest
 * @property {Record<string, {data: any, dims: readonly number[]}>} outputs  the model's outputs by name
 * @property {import('../preprocess.js').Letterbox | import('../tfjs-resize.js').PaddedResize} box  how the frame
 *   was letterboxed (or resized by the pose option resize 'tfjs-posenet')
 * @property {any} options       the task's normalised options
 * @property {{x0: number, y0: number, width: number}} frame  the crop's origin and the whole image's width
 * @property {object} scratch    buffers a decoder may keep across frames
 * @property {[number, number]} [inputSize]  [H, W] the model ran at: preprocess.size, or another size the package
 *   carries (the inputSize option; output dims follow it)
 */

/**
 * @typedef {object} Task
 * @property {string} name
 * @property {Function | null} decode   the pure decoder (null: raw tensors)
 * @property {(ctx: FrameContext) => object} [decodeFrame]  the worker's call: the result payload of one frame
 * @property {Readonly<Record<string, unknown>>} defaults
 * @property {(options?: object) => object} normalize   defaults filled in, options checked (RangeError)
 * @property {string} factory   the edgeward.js function that opens a package of this task
 * @property {string} method    the handle's method that runs one input
 * @property {string} result    the reply field that method returns
 * @property {boolean} [roi]    whether the `roi` option applies
 */

/** @type {Readonly<Record<string, Task>>} */
export const TASKS = Object.freeze({
  pose: {
    name: 'pose', decode: decodePoses, defaults: DEFAULT_POSE_OPTIONS, normalize: normalizePoseOptions,
    factory: 'createPoseDetector', method: 'estimatePoses', result: 'poses', roi: true,
    decodeFrame: ({ manifest, outputs, box, options, frame, scratch, inputSize }) => ({
      poses: decodePoses(manifest.postprocess, outputs, box, options, scratch, inputSize ?? manifest.preprocess.size, frame),
    }),
  },
  detect: {
    name: 'detect', decode: decodeDetections, defaults: DEFAULT_DETECT_OPTIONS, normalize: normalizeDetectOptions,
    factory: 'createDetector', method: 'detect', result: 'detections',
    decodeFrame: ({ manifest, outputs, box, options }) => ({
      detections: decodeDetections(manifest.postprocess, outputs, box, manifest.labels, options),
    }),
  },
  classify: {
    name: 'classify', decode: decodeClassification, defaults: DEFAULT_CLASSIFY_OPTIONS,
    normalize: normalizeClassifyOptions, factory: 'createClassifier', method: 'classify', result: 'classes',
    decodeFrame: ({ manifest, outputs, options }) => decodeClassification(manifest.postprocess, outputs, manifest.labels, options),
  },
  tensor: {
    name: 'tensor', decode: null, defaults: Object.freeze({}), normalize: (options = {}) => ({ ...options }),
    factory: 'loadModel', method: 'run', result: 'outputs',
  },
  features: {
    name: 'features', decode: decodeFeatures, defaults: DEFAULT_FEATURES_OPTIONS, normalize: normalizeFeaturesOptions,
    factory: 'createFeatureClassifier', method: 'classify', result: 'classes',
    decodeFrame: ({ manifest, outputs, options }) => decodeFeatures(manifest.head, outputs, manifest.labels, options),
  },
});
