// Live-video side of `edgeward bench` (src/edgeward/bench/live.py drives it through Playwright): one
// pose pipeline per page load, fed by the (fake) webcam, run the way a real app runs it. Edgeward
// runs its own video loop, detector.track() (web/src/video-loop.js: `inFlight` estimates in flight,
// other frames dropped); TF.js runs the usual app loop: on every video frame
// (requestVideoFrameCallback) an estimate unless one is in flight. Both decode a single pose.
//
//   edgeward:      createPoseDetector(url, {backend: 'wasm' | 'kernels', numThreads}).track(video, cb, {inFlight, start})
//                  (and {roi: true, roiInputSize: 'smallest'}: each frame on a crop around the previous pose,
//                  the crops at the smallest input size the package carries)
//   tfjs-posenet:  @tensorflow-models/posenet on tfjs-backend-wasm, net.estimateSinglePose(video)
//
// Every function returns plain data and never throws: failures come back as {status: 'error', reason}.
import * as edgeward from '/runtime/edgeward.js';

const TFJS_SCRIPTS = [
  '/vendor/tfjs/tf.es2017.min.js',
  '/vendor/tfjs-backend-wasm/tf-backend-wasm.es2017.min.js',
  '/vendor/posenet/posenet.min.js',
];
// @tensorflow-models/posenet's MobileNet wrapper takes the graph's outputs by position, in this order.
const POSENET_OUTPUT_ORDER = ['offset', 'heatmap', 'displacement_fwd', 'displacement_bwd'];

const state = { pipeline: null, video: null, stream: null };

function errorResult(err) {
  return { status: 'error', reason: `${err && err.name ? `${err.name}: ` : ''}${(err && err.message) || err}` };
}

function progress(message) {
  try {
    globalThis.edgewardProgress?.(message); // a Playwright binding, when the harness provides one
  } catch { /* progress is best effort */ }
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(s);
  });
}

const nextFrame = (video) => new Promise((resolve) => video.requestVideoFrameCallback(resolve));

/** The webcam (640×480 ideally) in the page's <video>: {width, height, frameRate}. */
async function openCamera() {
  try {
    const video = document.getElementById('video');
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    video.srcObject = stream;
    await video.play();
    while (video.readyState < 2 || !video.videoWidth) await nextFrame(video);
    // TF.js models read a <video>'s size from its width/height attributes (their docs tell users to set them).
    video.width = video.videoWidth;
    video.height = video.videoHeight;
    Object.assign(state, { video, stream });
    const settings = stream.getVideoTracks()[0].getSettings();
    return { status: 'ok', width: video.videoWidth, height: video.videoHeight, frameRate: settings.frameRate ?? null };
  } catch (err) {
    return errorResult(err);
  }
}

/**
 * An IOHandler for posenet.load({modelUrl}) over the original model.json — the smallest shim that lets
 * @tensorflow-models/posenet run it. Its MobileNet wrapper (dist/mobilenet.js, base_model.js) asserts
 * that the graph input is [-1, -1, -1, 3] and names `model.predict()`'s outputs by position as
 * [offsets, heatmap, displacementFwd, displacementBwd]; this graph declares a fixed [1, H, W, 3] input
 * and lists its signature outputs as [displacement_fwd, heatmap, displacement_bwd, offset]. Only those
 * two declarations are rewritten (the input's H and W become -1; the signature outputs are put in the
 * wrapper's order, found by node name from the package manifest); the nodes and weights are untouched.
 */
function posenetModelHandler(tf, modelUrl, outputs) {
  const http = tf.io.http(modelUrl);
  return {
    async load() {
      const artifacts = await http.load();
      const dynamic = (dims) => dims.map((d, i) => (i === 1 || i === 2 ? { ...d, size: '-1' } : d));
      for (const node of artifacts.modelTopology.node) {
        const shape = node.op === 'Placeholder' && node.attr?.shape?.shape;
        if (shape?.dim?.length === 4) shape.dim = dynamic(shape.dim);
      }
      const sig = artifacts.signature;
      if (sig) {
        for (const input of Object.values(sig.inputs || {})) {
          if (input.tensorShape?.dim?.length === 4) input.tensorShape.dim = dynamic(input.tensorShape.dim);
        }
        const entries = Object.entries(sig.outputs || {});
        sig.outputs = Object.fromEntries(POSENET_OUTPUT_ORDER.map((role) => {
          const hit = entries.find(([key, v]) => (v.name || key).split(':')[0] === outputs[role]);
          if (!hit) throw new Error(`the model has no output '${outputs[role]}' (${role})`);
          return hit;
        }));
      }
      return artifacts;
    },
  };
}

function tfjsKeypoints(pose) {
  return pose.keypoints.map((k) => ({ name: k.part, x: k.position.x, y: k.position.y, score: k.score }));
}

async function stillCanvas(bytes) {
  const bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d').drawImage(bitmap, 0, 0);
  bitmap.close();
  return canvas;
}

async function edgewardPipeline({ packageUrl, numThreads, variant, backend = 'wasm', inFlight, start, roi = false, roiInputSize = null,
  stillBytes }) {
  const t0 = performance.now();
  const detector = await edgeward.createPoseDetector(packageUrl, { backend, numThreads, variant: variant ?? undefined });
  const still = new Blob([new Uint8Array(stillBytes)]);
  if (roiInputSize) { // the crops' input size is made on its first frame: made here, before the timed loop
    const smallest = edgeward.inputSizes(detector.manifest).reduce((a, b) => (b[0] * b[1] < a[0] * a[1] ? b : a));
    await detector.estimatePoses(still, { inputSize: roiInputSize === 'smallest' ? smallest : roiInputSize });
  }
  const loadMs = performance.now() - t0;
  // the still image's best pose whatever its score: compared keypoint by keypoint with Python's
  const poses = await detector.estimatePoses(still, { scoreThreshold: 0 });
  const sums = {}; // the worker's own timings per frame (detector.lastTimings), summed since the last reset
  const bySize = {}; // results per model input size ('257x257': n), since the last reset
  let n = 0;
  return {
    info: { loadMs, backend: detector.backend.name, threads: detector.backend.threads, threadsAsked: numThreads,
      variant: detector.backend.variant,
      reason: detector.backend.reason, stillKeypoints: poses[0]?.keypoints ?? null },
    estimate: async (video) => {
      const result = await detector.estimatePoses(video);
      for (const [k, v] of Object.entries(detector.lastTimings || {})) if (Number.isFinite(v)) sums[k] = (sums[k] || 0) + v;
      n += 1;
      return result;
    },
    // The runtime's own video loop (web/src/video-loop.js): `inFlight` frames in flight, the rest dropped.
    track: (video, onResult, onError) => detector.track(video, (result, frame) => {
      for (const [k, v] of Object.entries(frame.timings || {})) if (Number.isFinite(v)) sums[k] = (sums[k] || 0) + v;
      const size = frame.inputSize?.join('x') ?? '?';
      bySize[size] = (bySize[size] || 0) + 1;
      n += 1;
      onResult(result, frame.latencyMs);
    }, { inFlight, start, onError, ...(roi ? { roi, roiInputSize } : {}) }),
    found: (result) => result.length > 0, // single pose (maxPoses 1), score >= 0.5 (the defaults)
    resetTimings: () => { for (const o of [sums, bySize]) for (const k of Object.keys(o)) delete o[k]; n = 0; },
    meanTimings: () => Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n])),
    inputSizes: () => ({ ...bySize }),
    memory: () => null,
    dispose: () => detector.dispose(),
  };
}

async function tfjsPosenetPipeline({ modelUrl, outputs, outputStride, inputResolution, multiplier, stillBytes }) {
  const t0 = performance.now();
  for (const src of TFJS_SCRIPTS) await loadScript(src);
  const scriptsMs = performance.now() - t0;
  const { tf, posenet } = globalThis;
  // As a TF.js user configures it: the wasm backend, as many threads as the machine offers.
  tf.wasm.setWasmPaths(new URL('/vendor/tfjs-backend-wasm/', location.href).href);
  const threadsAsked = navigator.hardwareConcurrency;
  tf.wasm.setThreadsCount(threadsAsked);
  await tf.setBackend('wasm');
  await tf.ready();
  const multithreadBuild = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  const net = await posenet.load({ architecture: 'MobileNetV1', outputStride, inputResolution, multiplier,
    modelUrl: posenetModelHandler(tf, new URL(modelUrl, location.href).href, outputs) });
  const loadMs = performance.now() - t0;
  const pose = await net.estimateSinglePose(await stillCanvas(new Uint8Array(stillBytes)), { flipHorizontal: false });
  return {
    info: { loadMs, scriptsMs, backend: tf.getBackend(), threads: tf.wasm.getThreadsCount(), threadsAsked,
      multithreadBuild, version: tf.version.tfjs, stillKeypoints: tfjsKeypoints(pose), stillScore: pose.score,
      reason: null },
    estimate: (video) => net.estimateSinglePose(video, { flipHorizontal: false }),
    found: (result) => result.score >= 0.5, // the same threshold as the Edgeward default
    resetTimings: () => {},
    meanTimings: () => null, // everything runs on the main thread: the frame time is the whole story
    memory: () => tf.memory(),
    dispose: () => net.dispose(),
  };
}

const PIPELINES = { edgeward: edgewardPipeline, 'tfjs-posenet': tfjsPosenetPipeline };

/** Load a pipeline, estimate the still image (parity), then the first and `warmup` more video frames. */
async function prepare(kind, options, warmup) {
  try {
    if (!state.video) throw new Error('openCamera() first');
    if (state.pipeline) throw new Error('one pipeline per page: reload the page');
    state.pipeline = await PIPELINES[kind](options);
    const s = performance.now();
    await state.pipeline.estimate(state.video);
    const firstFrameMs = performance.now() - s;
    for (let i = 0; i < warmup; i += 1) {
      await nextFrame(state.video);
      await state.pipeline.estimate(state.video);
    }
    return { status: 'ok', ...state.pipeline.info, firstFrameMs, memory: state.pipeline.memory() };
  } catch (err) {
    return errorResult(err);
  }
}

/**
 * The frame-dropping video loop until `frames` estimates are done and `minSeconds` have passed. Returns
 * the per-frame end-to-end times (video frame callback → pixels → pre-processing → inference →
 * decoding → poses on the main thread), video frames seen and dropped, and main-thread long tasks
 * (PerformanceObserver 'longtask') over the first `longTaskFrames` estimates and over the whole run.
 */
async function run({ frames, minSeconds, longTaskFrames }) {
  try {
    const { video, pipeline } = state;
    if (!pipeline) throw new Error('prepare() first');
    const longTasks = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push([e.startTime, e.duration]);
    });
    observer.observe({ type: 'longtask' });
    pipeline.resetTimings();
    const e2e = [];
    const ends = [];
    let busy = false;
    let stop = false;
    let firstPresented = null;
    let lastPresented = null;
    let started = 0;
    let withPose = 0;
    const t0 = performance.now();
    let lastProgress = t0;
    let tracker = null;
    await new Promise((resolve, reject) => {
      /** One finished estimate: `ms` from capture to poses on the main thread. */
      const record = (result, ms) => {
        const end = performance.now();
        e2e.push(ms);
        ends.push(end);
        if (pipeline.found(result)) withPose += 1;
        if (end - lastProgress >= 2000) {
          lastProgress = end;
          progress(`${ends.length}/${frames} frames, ${(ends.length / ((end - t0) / 1000)).toFixed(1)} poses/s`);
        }
        if (ends.length >= frames && end - t0 >= minSeconds * 1000) {
          stop = true;
          tracker?.stop();
          resolve();
        }
      };
      const fail = (err) => {
        stop = true;
        tracker?.stop();
        reject(err);
      };
      // While the main thread is busy (TF.js runs there) callbacks coalesce: count video frames by
      // metadata.presentedFrames, not by callbacks.
      const count = (meta) => {
        firstPresented ??= meta.presentedFrames;
        lastPresented = meta.presentedFrames;
      };
      if (pipeline.track) { // the runtime's own loop decides which frames to take
        const watch = (now, meta) => {
          if (stop) return;
          count(meta);
          video.requestVideoFrameCallback(watch);
        };
        video.requestVideoFrameCallback(watch);
        tracker = pipeline.track(video, record, fail);
        return;
      }
      const tick = (now, meta) => { // at most one estimate in flight, as a TF.js app runs
        if (stop) return;
        count(meta);
        if (!busy) {
          started += 1;
          busy = true;
          const s = performance.now();
          pipeline.estimate(video).then((result) => record(result, performance.now() - s), fail)
            .finally(() => { busy = false; });
        }
        video.requestVideoFrameCallback(tick);
      };
      video.requestVideoFrameCallback(tick);
    });
    if (tracker) started = tracker.stats.frames;
    const t1 = ends[ends.length - 1];
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the observer deliver the last entries
    for (const e of observer.takeRecords()) longTasks.push([e.startTime, e.duration]);
    observer.disconnect();
    const windowEnd = ends[Math.min(longTaskFrames, ends.length) - 1];
    const during = longTasks.filter(([start]) => start >= t0 && start <= t1).map(([, d]) => d);
    const inWindow = longTasks.filter(([start]) => start >= t0 && start <= windowEnd).map(([, d]) => d);
    const videoFrames = lastPresented - firstPresented + 1;
    return { status: 'ok', frames: ends.length, seconds: (t1 - t0) / 1000, e2eMs: e2e, videoFrames,
      dropped: Math.max(0, videoFrames - started), withPose,
      longTaskFrames: Math.min(longTaskFrames, ends.length), longTasksMs: inWindow, allLongTasksMs: during,
      workerTimingsMs: pipeline.meanTimings(), inputSizes: pipeline.inputSizes?.() ?? null, memory: pipeline.memory() };
  } catch (err) {
    return errorResult(err);
  }
}

async function dispose() {
  try {
    await state.pipeline?.dispose();
    for (const track of state.stream?.getTracks() ?? []) track.stop();
    return { status: 'ok' };
  } catch (err) {
    return errorResult(err);
  }
}

window.edgewardLive = { openCamera, prepare, run, dispose,
  memory: () => ({ usedJSHeapSize: performance.memory?.usedJSHeapSize ?? null, pipeline: state.pipeline?.memory() ?? null }) };
document.body.dataset.status = 'ready';
