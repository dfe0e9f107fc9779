// A blank page the Python side drives through Playwright (`edgeward pose --browser`, parity tests,
// benchmarks). It only exposes the public runtime API; detectors are cached per package + options.
import * as edgeward from '/runtime/edgeward.js';

const detectors = new Map();

async function detector(packageUrl, runtimeOptions = {}) {
  const key = JSON.stringify([packageUrl, runtimeOptions]);
  if (!detectors.has(key)) detectors.set(key, edgeward.createPoseDetector(packageUrl, runtimeOptions));
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
  /** Time `runs` inferences on one image after `warmup` runs (ms per inference and per stage). */
  async time(packageUrl, bytes, runs = 20, warmup = 3, runtimeOptions = {}) {
    const d = await detector(packageUrl, runtimeOptions);
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    const totals = [];
    const inference = [];
    for (let i = 0; i < warmup + runs; i += 1) {
      const copy = await createImageBitmap(bitmap);
      const t0 = performance.now();
      await d.estimatePoses(copy, {});
      if (i >= warmup) {
        totals.push(performance.now() - t0);
        inference.push(d.lastTimings.inferenceMs);
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return { backend: d.backend, medianTotalMs: median(totals), medianInferenceMs: median(inference), runs };
  },
};
document.body.dataset.status = 'ready';
