// Edgeward browser runtime: public API.
//
//   const detector = await createPoseDetector('/models/posenet/1.0.0/', {backend, numThreads, variant});
//   const poses = await detector.estimatePoses(source, {maxPoses, scoreThreshold, nmsRadius, flipHorizontal});
//   const tracker = detector.track(video, (poses, frame) => draw(poses), {roi: true});  // video; tracker.stop()
//   (createDetector and createClassifier handles have the same track(), with their own options)
//   detector.backend   // {name: 'wasm' | 'webgpu' | 'kernels', threads, reason, variant}
//   detector.manifest  // the validated manifest
//   detector.dispose();
//
// Poses: [{score, keypoints: [{name, x, y, score}]}] in the source's pixel coordinates, identical
// to the Python runtime's `edgeward.tasks.pose.estimate_poses`.

import { TaskError } from './errors.js';
import { resolveInputSize, resolveRoiInputSize } from './input-size.js';
import * as protocol from './protocol.js';
import { normalizeClassifyOptions } from './tasks/classify.js';
import { TASKS } from './tasks/index.js';
import { nextRoi } from './tasks/roi.js';
import { runVideoLoop } from './video-loop.js';
import { openWorker, toFrame } from './worker-client.js';

export { detectionColor, drawDetections, drawPoses } from './draw.js';
export { DEFAULT_CLASSIFY_OPTIONS } from './tasks/classify.js';
export { DEFAULT_DETECT_OPTIONS } from './tasks/detect.js';
export { DEFAULT_POSE_OPTIONS } from './tasks/pose.js';
export { DEFAULT_ROI_OPTIONS, nextRoi } from './tasks/roi.js';
export { inputSizes } from './sizes.js';
export { DEFAULT_IN_FLIGHT, runVideoLoop, START_MODES } from './video-loop.js';
export { clearCachedModels, listCachedModels, requestPersistentStorage } from './cache.js';
export {
  BrowserError, ConversionError, DownloadError, EdgewardError, ImageError, IntegrityError, ManifestError,
  ModelFormatError, PackageNotFoundError, TaskError, ToolMissingError, VerificationError, WorkerError,
} from './errors.js';
export { TASKS } from './tasks/index.js';
export { env, toFrame, toImageBitmap } from './worker-client.js';
export { resolvePackage } from './registry.js';
export {
  createTrainer, deleteTrainedModel, listTrainedModels, openTrainedModel, publishPackage, RegistryError,
} from './training.js';
export { POSE_FEATURE_DIM, POSE_KEYPOINTS, poseFeatures } from './train/pose-features.js';
export { FederatedClient, joinFederatedTask } from './federated/page.js';
export {
  ClientTokenError, CoordinatorUnavailableError, FederatedError, InvalidUpdateError, NotSampledError, RateLimitedError,
  UpdateConflictError, UpdateRefusedError, UpdateTooLargeError,
} from './errors.js';

/** @typedef {import('./worker-client.js').LoadOptions} LoadOptions */
/** @typedef {import('./worker-client.js').ImageSource} ImageSource */

/** The fields every task handle shares: manifest, backend, timings, cache info, dispose(). */
function taskHandle(rpc, ready) {
  let disposed = false;
  return {
    manifest: ready.manifest,
    backend: ready.backend,
    loadTimings: ready.timings,
    cache: ready.cache, // {from: 'network' | 'cache' | 'memory', stored, persisted, warning}
    lastTimings: null,
    get disposed() { return disposed; },
    checkOpen() {
      if (disposed) throw new DOMException('the model was disposed', 'AbortError');
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      try {
        await rpc.call((id) => protocol.dispose(id));
      } finally {
        rpc.terminate();
      }
    },
  };
}

/** A copy of a captured frame the page keeps while the original goes to the worker: a VideoFrame clone
 * shares its pixels (no copy); an ImageBitmap (browsers without VideoFrame) is copied once. */
function keepCopy(frame) {
  return typeof VideoFrame !== 'undefined' && frame instanceof VideoFrame ? frame.clone() : createImageBitmap(frame);
}

/** Send one image to the worker (the frame is transferred, never copied) and return its reply. */
async function estimateOn(handle, rpc, source, options) {
  handle.checkOpen();
  const frame = await toFrame(source);
  const reply = await rpc.call((id) => protocol.estimate(id, frame, options), [frame]);
  handle.lastTimings = reply.timings;
  return reply;
}

/**
 * handle.track(video, onResult, options): estimate continuously on a playing <video> (webcam or
 * file) with the pipelined, frame-dropping loop of video-loop.js. `onResult(result, frame)` gets
 * each result in order, with frame = {width, height, roi, timings, latencyMs (capture → result)}. Options: the task's own
 * (e.g. maxPoses), `inFlight` (default 2; 1 = the worker idles while a frame is captured), `start`
 * ('just-in-time', the default: with two in flight the next frame is captured as the running inference
 * ends, so results are about one inference old; 'eager': captured at once, one inference older), `onError(err)` (default: the loop
 * stops and the error is logged), `keepFrame` (default false): frame.image is the picture the result was
 * computed on (a VideoFrame or ImageBitmap, valid only during onResult; closed after it), so the result
 * can be drawn over its own frame instead of over a live video that has moved on; and for pose packages
 * `roi` (default false): estimate each frame on a crop around the previous frame's pose (tasks/roi.js)
 * — for video only — with `roiInputSize` (default null: the frames' own inputSize) the input size those
 * crops run at: 'smallest' (the smallest the package carries) or [H, W] (input-size.js); the person fills
 * the crop, so a smaller input costs less accuracy there than on a whole frame. frame.inputSize: the [H, W]
 * each result ran at. Returns {stop(), stats: {frames, dropped}}.
 */
function trackOn(handle, rpc, normalize, pick, video, onResult, options = {}) {
  handle.checkOpen();
  const { inFlight, start, onError, roi: useRoi = false, roiInputSize = null, keepFrame = false, ...taskOptions } = options;
  const opts = normalize(taskOptions);
  const roiOptions = useRoi === true ? {} : useRoi;
  if (roiOptions && handle.manifest.task !== 'pose') throw new RangeError('the roi option is for pose packages');
  if (roiInputSize !== null && !roiOptions) throw new RangeError('roiInputSize is the input size of ROI crops: it needs roi');
  const roiSize = roiOptions ? resolveRoiInputSize(handle.manifest, roiInputSize) : null; // null: as whole frames
  // the crop takes the aspect of the input it runs at
  const cropSize = roiOptions ? roiSize ?? resolveInputSize(handle.manifest, opts.inputSize) : null;
  const stats = { frames: 0, dropped: 0 };
  let roi = null;
  let loop = null;
  let stopped = false; // results still in flight when stop() is called are not delivered
  const fail = onError ?? ((err) => { stopped = true; loop?.stop(); console.warn('[edgeward] track() stopped:', err); });
  loop = runVideoLoop(video, {
    inFlight,
    start,
    ready: () => !handle.disposed,
    onDrop: () => { stats.dropped += 1; },
    onError: fail,
    run: async () => {
      const t0 = performance.now();
      const frame = await toFrame(video);
      const kept = keepFrame ? await keepCopy(frame) : null; // the worker gets (and closes) `frame`
      try {
        const frameOptions = !roiOptions ? opts : roi && roiSize ? { ...opts, roi, inputSize: roiSize } : { ...opts, roi };
        const reply = await estimateOn(handle, rpc, frame, frameOptions);
        if (roiOptions) {
          roi = nextRoi(reply.poses, reply.frame.width, reply.frame.height, cropSize,
            { ...roiOptions, flipped: opts.flipHorizontal });
        }
        if (stopped) return;
        stats.frames += 1;
        const info = { ...reply.frame, timings: reply.timings, latencyMs: performance.now() - t0 };
        onResult(pick(reply), kept ? { ...info, image: kept } : info);
      } finally {
        kept?.close();
      }
    },
  });
  return {
    stop() {
      stopped = true;
      loop.stop();
    },
    stats,
  };
}

function requireTask(rpc, ready, packageUrl, tasks) {
  if (!tasks.includes(ready.manifest.task)) {
    rpc.terminate();
    const wanted = tasks.map((t) => `${t} (${TASKS[t].factory})`).join(' or ');
    throw new TaskError(`${packageUrl}: a package of task '${ready.manifest.task}', not ${wanted}; open it with ${TASKS[ready.manifest.task]?.factory ?? 'a newer runtime'}()`);
  }
}

/**
 * Open a package of task `name` (tasks/index.js): the handle gets the task's method (e.g.
 * estimatePoses) and track(), both taking the task's options.
 */
async function openTask(packageUrl, name, options) {
  const { rpc, ready } = await openWorker(packageUrl, options);
  requireTask(rpc, ready, packageUrl, [name]);
  const task = TASKS[name];
  const handle = taskHandle(rpc, ready);
  handle[task.method] = async (source, taskOptions = {}) =>
    (await estimateOn(handle, rpc, source, task.normalize(taskOptions)))[task.result];
  handle.track = (video, onResult, trackOptions = {}) =>
    trackOn(handle, rpc, task.normalize, (r) => r[task.result], video, onResult, trackOptions);
  return { handle, rpc };
}

/**
 * A pose detector (a package of task 'pose', e.g. '/models/posenet/latest/'):
 *
 *   const detector = await createPoseDetector('/models/posenet/latest/');
 *   const poses = await detector.estimatePoses(source, {maxPoses: 1, scoreThreshold: 0.5, nmsRadius: 20});
 *   const tracker = detector.track(video, (poses, frame) => draw(poses), {roi: true});
 * @param {string | URL} packageUrl  the package folder, e.g. '/models/NAME/latest/'
 * @param {LoadOptions} [options]
 */
export async function createPoseDetector(packageUrl, options = {}) {
  return (await openTask(packageUrl, 'pose', options)).handle;
}

/**
 * An object detector (a package of task 'detect', e.g. '/models/centernet/latest/'):
 *
 *   const detector = await createDetector('/models/centernet/latest/');
 *   const found = await detector.detect(source, {scoreThreshold: 0.3, iouThreshold: 0.5, maxDetections: 20});
 *   // [{label, class_id, score, box: [x1, y1, x2, y2]}] in the source's pixels, best first
 * @param {string | URL} packageUrl  the package folder, e.g. '/models/NAME/latest/'
 * @param {LoadOptions} [options]
 */
export async function createDetector(packageUrl, options = {}) {
  return (await openTask(packageUrl, 'detect', options)).handle;
}

/**
 * An image classifier (a package of task 'classify', e.g. '/models/efficientnet-lite0/latest/'):
 *
 *   const classifier = await createClassifier('/models/efficientnet-lite0/latest/');
 *   const classes = await classifier.classify(source, {topK: 5});
 *   // [{label, class_id, score}] best first (equal scores in class-id order), as Python's classify()
 *   const features = await classifier.embed(source);  // Float32Array: the penultimate features (1280)
 *   const tracker = classifier.track(video, (classes, frame) => show(classes), {topK: 5});  // video
 * @param {string | URL} packageUrl  the package folder, e.g. '/models/NAME/latest/'
 * @param {LoadOptions} [options]
 */
export async function createClassifier(packageUrl, options = {}) {
  const { handle, rpc } = await openTask(packageUrl, 'classify', options);
  const classify = handle.classify;
  handle.classify = (source, classifyOptions = {}) => classify(source, { ...classifyOptions, embedding: false });
  handle.embed = async (source) =>
    (await estimateOn(handle, rpc, source, normalizeClassifyOptions({ topK: 1, embedding: true }))).embedding;
  return handle;
}

/**
 * A classifier of feature vectors (a package of task 'features', made by `edgeward train` or a
 * browser trainer: a head on embeddings, pose features or table rows):
 *
 *   const head = await createFeatureClassifier('/models/my-digits/latest/');
 *   const classes = await head.classify(features, {topK: 3});  // [{label, class_id, score}], as Python's
 *
 * @param {string | URL} packageUrl @param {LoadOptions} [options]
 */
export async function createFeatureClassifier(packageUrl, options = {}) {
  const { rpc, ready } = await openWorker(packageUrl, options);
  requireTask(rpc, ready, packageUrl, ['features']);
  const handle = taskHandle(rpc, ready);
  const { head, labels } = ready.manifest;
  const task = TASKS.features;
  handle.classify = async (features, classifyOptions = {}) => {
    handle.checkOpen();
    const opts = task.normalize(classifyOptions);
    const data = Float32Array.from(features ?? [], Number);
    if (data.length !== head.dim) throw new RangeError(`features have length ${data.length}; this head takes ${head.dim}`);
    const reply = await rpc.call((id) => protocol.run(id, { [head.input]: { data, dims: [1, head.dim] } }));
    handle.lastTimings = reply.timings;
    return task.decode(head, reply.outputs, labels, opts).classes;
  };
  return handle;
}

/**
 * A raw model (a package of task 'tensor', e.g. from `edgeward convert model.pt --package NAME@1.0.0`):
 *
 *   const model = await loadModel('/models/my-cnn/1.0.0/', {backend, numThreads, variant});
 *   const out = await model.run({input: {data: Float32Array, dims: [1, 3, 32, 32]}});
 *   out.output  // {data: Float32Array, dims: [1, 10], type: 'float32'}   (int64 → BigInt64Array)
 *
 * `data` may be a typed array of the input's dtype or a plain array of numbers; `dims` defaults to
 * the manifest's shape. The names, dtypes and shapes are in `model.manifest.inputs` / `.outputs`.
 * @param {string | URL} packageUrl  the package folder, e.g. '/models/NAME/latest/'
 * @param {LoadOptions} [options]
 */
export async function loadModel(packageUrl, options = {}) {
  const { rpc, ready } = await openWorker(packageUrl, options);
  requireTask(rpc, ready, packageUrl, ['tensor']);
  const handle = taskHandle(rpc, ready);
  handle.run = async (feeds) => {
    handle.checkOpen();
    const reply = await rpc.call((id) => protocol.run(id, feeds));
    handle.lastTimings = reply.timings;
    return reply.outputs;
  };
  return handle;
}
