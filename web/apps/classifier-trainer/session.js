// The trainer as the kit's DemoController wants a model handle (kit/controller.js, DemoApp.create):
// a trainer on the base model's embedding (the runtime's createTrainer, in its worker) with the
// handle's fields (manifest, backend, cache, dispose) and a track() on the runtime's pipelined video
// loop — at most two frames in flight, the rest dropped, never queued. Each accepted frame is either
// recorded as an example of the class whose button is held, or predicted; while nothing can be
// predicted (no example yet) or the worker trains, frames are skipped without a round trip.

import { createTrainer, openTrainedModel, runVideoLoop } from '/runtime/edgeward.js';

/**
 * What the next load opens: a new trainer (with these class names, in this order), a model saved in
 * this browser, or an imported package's head ({manifest, files}) with its report.
 * @typedef {{kind: 'new', labels: string[]} | {kind: 'saved', name: string}
 *   | {kind: 'package', pkg: {manifest: any, files: Record<string, Uint8Array>}, report: object | null}} Origin
 */

export class TrainerSession {
  constructor() {
    /** @type {Origin | null} what the next create() opens; null: a new trainer on labels() */ this.next = null;
    /** @type {() => string[]} the class names a new trainer starts with (the cards') */ this.labels = () => [];
    /** @type {string | null} the class whose record button is held */ this.recording = null;
    this.training = false; // the worker is busy with train(): predicting would only queue behind it
    /** @type {() => boolean} */ this.canPredict = () => false;
    /** @type {() => number} */ this.topK = () => 3;
  }

  /**
   * DemoApp.create: open what `next` says on the base package at `url`.
   * @param {string} url @param {object} options the controller's load options (progress, worker URL…)
   */
  async create(url, options) {
    const next = this.next ?? { kind: 'new', labels: this.labels() };
    this.next = null;
    let trainer;
    if (next.kind === 'saved') {
      trainer = await openTrainedModel(next.name, options);
    } else if (next.kind === 'package') {
      trainer = await createTrainer(url, { ...options, labels: next.pkg.manifest.labels });
      try {
        await trainer.restore(next.pkg, next.report, `package '${next.pkg.manifest.name}'`);
      } catch (err) {
        trainer.dispose();
        throw err;
      }
    } else {
      trainer = await createTrainer(url, { ...options, labels: next.labels });
    }
    return this.handle(trainer, next);
  }

  /** @param {any} trainer @param {Origin} origin */
  handle(trainer, origin) {
    return {
      trainer, origin, manifest: trainer.manifest, backend: trainer.backend, cache: trainer.cache,
      loadTimings: null, lastTimings: null,
      dispose: async () => trainer.dispose(),
      track: (video, onResult, options) => this.track(trainer, video, onResult, options),
    };
  }

  /**
   * The video loop (kit controller's handle.track contract): onResult(result, {width, height, roi, ms}).
   * @param {any} trainer @param {HTMLVideoElement} video
   * @param {(result: object, frame: object) => void} onResult
   * @param {{inFlight?: number, onError?: (err: any) => void}} [options]
   */
  track(trainer, video, onResult, { inFlight, onError } = {}) {
    const stats = { frames: 0, dropped: 0 };
    let stopped = false; // results still in flight at stop() are not delivered
    const loop = runVideoLoop(video, {
      inFlight, onError,
      onDrop: () => { stats.dropped += 1; },
      run: async () => {
        const t0 = performance.now();
        const result = await this.step(trainer, video);
        if (stopped || !result) return;
        stats.frames += 1;
        onResult(result, { width: video.videoWidth, height: video.videoHeight, roi: null, ms: performance.now() - t0 });
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

  /**
   * One frame (or still image): an example of the held class, else a prediction over every class,
   * else null (nothing to predict with yet, or the worker is training).
   */
  async step(trainer, source) {
    const label = this.recording; // read once: the button may be released while the frame is embedded
    if (label) return { kind: 'recorded', label, ...(await trainer.addExample(source, label)) };
    if (this.training || !this.canPredict()) return null;
    return { kind: 'predicted', classes: await trainer.predict(source, { topK: this.topK() }) };
  }

  /** A still image ("try an image"): its prediction, or {kind: 'idle'} while there is nothing to predict with. */
  async predictImage(trainer, image) {
    if (!this.canPredict()) {
      image.close?.();
      return { kind: 'idle' };
    }
    return { kind: 'predicted', classes: await trainer.predict(image, { topK: this.topK() }) };
  }
}
