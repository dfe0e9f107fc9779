// A blank page the Python side drives through Playwright (`edgeward pose --browser`, parity tests,
// benchmarks). It only exposes the public runtime API; detectors are cached per package + options.
import * as edgeward from '/runtime/edgeward.js';

const detectors = new Map();

async function detector(packageUrl, runtimeOptions = {}, create = edgeward.createPoseDetector) {
  const key = JSON.stringify([create.name, packageUrl, runtimeOptions]);
  if (!detectors.has(key)) detectors.set(key, create(packageUrl, runtimeOptions));
  try {
    return await detectors.get(key);
  } catch (err) {
    detectors.delete(key);
    throw err;
  }
}

window.edgewardHarness = {
  edgeward,
  /** Estimate poses on image bytes (a Uint8Array or an array of numbers); returns poses + backend. */
  async estimate(packageUrl, bytes, poseOptions = {}, runtimeOptions = {}) {
    const d = await detector(packageUrl, runtimeOptions);
    const blob = new Blob([bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)]);
    const poses = await d.estimatePoses(blob, poseOptions);
    return { poses, backend: d.backend, timings: d.lastTimings };
  },
  /** Detect objects on image bytes with a 'detect' package; returns detections + backend. */
  async detect(packageUrl, bytes, detectOptions = {}, runtimeOptions = {}) {
    const d = await detector(packageUrl, runtimeOptions, edgeward.createDetector);
    const blob = new Blob([bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)]);
    const detections = await d.detect(blob, detectOptions);
    return { detections, backend: d.backend, timings: d.lastTimings };
  },
  /**
   * Classify image bytes with a 'classify' package: {classes, backend, timings}; with
   * `{embedding: true}` also `embedding` (a plain array of the penultimate features).
   */
  async classify(packageUrl, bytes, classifyOptions = {}, runtimeOptions = {}) {
    const c = await detector(packageUrl, runtimeOptions, edgeward.createClassifier);
    const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    const { embedding = false, ...options } = classifyOptions;
    const classes = await c.classify(new Blob([data]), options);
    const out = { classes, backend: c.backend, timings: c.lastTimings };
    if (embedding) out.embedding = Array.from(await c.embed(new Blob([data])));
    return out;
  },
  /** Time `runs` pose estimates (or classifications, for a classify package) of one image after
   * `warmup` runs: medians of the whole call and of the inference alone. */
  async time(packageUrl, bytes, runs = 20, warmup = 3, runtimeOptions = {}, task = 'pose') {
    const handle = task === 'classify'
      ? await detector(packageUrl, runtimeOptions, edgeward.createClassifier)
      : await detector(packageUrl, runtimeOptions);
    const call = task === 'classify' ? (src) => handle.classify(src, {}) : (src) => handle.estimatePoses(src, {});
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    const totals = [];
    const inference = [];
    for (let i = 0; i < warmup + runs; i += 1) {
      const copy = await createImageBitmap(bitmap); // transferred to the worker, so one per call
      const t0 = performance.now();
      await call(copy);
      if (i >= warmup) {
        totals.push(performance.now() - t0);
        inference.push(handle.lastTimings.inferenceMs);
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return { backend: handle.backend, medianTotalMs: median(totals), medianInferenceMs: median(inference), runs };
  },
};
document.body.dataset.status = 'ready';
