// The pose trainer as the kit's DemoController wants a model handle (kit/controller.js, DemoApp.create):
// a trainer on the pose package (the runtime's createTrainer, in its worker: the pose model and the
// classifier of its pose features in one worker) with the handle's fields (manifest, backend, cache,
// dispose) and a track() on the runtime's pipelined video loop — at most two frames in flight, the rest
// dropped, never queued. Each accepted frame is one trainer.predictPose round trip (the skeleton and the
// classes of the same estimate); while a pose's record button is held, the frame's pose features are
// also added as an example of it (one more short round trip, no second estimate).

import { createTrainer, runVideoLoop } from '/runtime/edgeward.js';

/**
 * What one frame gave: the trainer's predictPose reading ({pose, features, reason, classes, trained,
 * timings}) and what was done with it — 'predicted', 'recorded' (an example of `label`, new `counts`)
 * or 'refused' (recording, but no confident pose: `reason`).
 * @typedef {{kind: 'predicted' | 'recorded' | 'refused', label?: string, counts?: Record<string, number>,
 *   pose: any, features: Float32Array | null, reason: string | null, classes: {label: string, score: number}[],
 *   trained: boolean, timings: object}} FrameResult
 */

export class PoseSession {
  constructor() {
    /** @type {() => string[]} the pose names a new trainer starts with (the cards') */ this.labels = () => [];
    /** @type {string | null} the pose whose record button is held */ this.recording = null;
    this.training = false; // the worker is busy with train(): frames would only queue behind it
    /** @type {() => number} */ this.topK = () => 3;
    this.pending = 0; // frames taken while a record button was held, not recorded (or refused) yet
    /** @type {(() => void)[]} */ this.waiting = [];
  }

  /** Resolves once every frame taken while a record button was held has landed (train after that). */
  settled() {
    return this.pending ? new Promise((resolve) => this.waiting.push(resolve)) : Promise.resolve();
  }

  /**
   * DemoApp.create: a new trainer on the pose package at `url`, with the cards' pose names.
   * @param {string} url @param {object} options the controller's load options (progress, worker URL…)
   */
  async create(url, options) {
    const trainer = await createTrainer(url, { ...options, labels: this.labels() });
    const handle = {
      trainer, manifest: trainer.manifest, backend: trainer.backend, cache: trainer.cache,
      loadTimings: null, lastTimings: null,
      dispose: async () => trainer.dispose(),
      track: (video, onResult, trackOptions) => this.track(handle, video, onResult, trackOptions),
    };
    return handle;
  }

  /**
   * The video loop (kit controller's handle.track contract): onResult(result, {width, height, roi, ms,
   * at, timings}) — `at`: when the frame was captured (performance.now()), the game's clock.
   * @param {any} handle @param {HTMLVideoElement} video
   * @param {(result: FrameResult, frame: object) => void} onResult
   * @param {{inFlight?: number, onError?: (err: any) => void}} [options]
   */
  track(handle, video, onResult, { inFlight, onError } = {}) {
    const stats = { frames: 0, dropped: 0 };
    let stopped = false; // results still in flight at stop() are not delivered
    const loop = runVideoLoop(video, {
      inFlight, onError,
      ready: () => !this.training,
      onDrop: () => { stats.dropped += 1; },
      run: async () => {
        const at = performance.now();
        const result = await this.step(handle.trainer, video);
        if (stopped) return;
        stats.frames += 1;
        handle.lastTimings = result.timings;
        onResult(result, { width: video.videoWidth, height: video.videoHeight, roi: null, ms: performance.now() - at, at, timings: result.timings });
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
   * One frame or still image: its reading, recorded as an example of the held pose when it has a
   * confident pose.
   * @returns {Promise<FrameResult>}
   */
  async step(trainer, source) {
    const label = this.recording; // read once: the button may be released while the frame is estimated
    if (!label) return { kind: 'predicted', ...(await trainer.predictPose(source, { topK: this.topK() })) };
    this.pending += 1;
    try {
      const reading = await trainer.predictPose(source, { topK: this.topK() });
      if (!reading.features) return { kind: 'refused', label, ...reading };
      const { counts } = await trainer.addExample(reading.features, label);
      return { kind: 'recorded', label, counts, ...reading };
    } finally {
      this.pending -= 1;
      if (!this.pending) this.waiting.splice(0).forEach((resolve) => resolve());
    }
  }

  /** A still image ("try an image"): its reading, never recorded (examples come from the webcam). */
  async predictImage(handle, image) {
    const reading = await handle.trainer.predictPose(image, { topK: this.topK() });
    handle.lastTimings = reading.timings;
    return { kind: 'predicted', ...reading };
  }
}
