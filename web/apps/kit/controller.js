// The one controller of the demo pages (pose playground, detection, classification). It loads a
// package (progress bar, status, model / backend / cache display), keeps the model picker and
// ?model= in step, runs the source (webcam, image file, video file), shows FPS, ms and dropped
// frames, and shows errors. An app gives only what is its own: how to create its handle, its task
// options, and how to draw a result.
//
// Video runs on the runtime's handle.track(): the pipelined, frame-dropping loop (two frames in
// flight, the rest dropped, never queued). A still image is estimated once, and again when an
// option or the model changes (at most one more waits while one runs).
// Query params: ?model= &backend=wasm|webgpu &threads=N &variant=fp32|fp16|int8.
// Ids: #model #model-info #webcam #file #stop, and those of page.js, stats.js and sources.js.

import { listTaskModels, fillModelPicker, syncModelParam } from './models.js';
import { $, clearOverlay, errorDisplay, readBitmap, runtimeOptions, setStatus, withSlash } from './page.js';
import { FrameSource } from './sources.js';
import { fpsWindow, showBackend, showCache, showProgress, showTimings } from './stats.js';

const RESTART_MS = 150; // a dragged slider restarts the video loop once it rests, not on every step
const QUIET_MS = 2000; // quietAfter: at most this long after start() for a first result

/**
 * @typedef {object} DemoApp what an app gives the controller
 * @property {string} hook the test hook: `window[hook]` is the controller's state
 * @property {object} [state] the app's own fields of that state (e.g. lastPoses: [])
 * @property {string} task the package task the picker lists ('pose' | 'detect' | 'classify')
 * @property {(url: string, options: object) => Promise<object>} create e.g. createPoseDetector
 * @property {string} defaultModel the package without ?model= (if the server lists none of the task, still tried)
 * @property {Record<string, string>} [words] how model titles spell name parts ({posenet: 'PoseNet'})
 * @property {object} [runtime] more runtime options (e.g. workerUrl)
 * @property {() => object} options the task options the controls say now
 * @property {() => object} [videoOptions] more track() options for video (e.g. {roi: true})
 * @property {(handle: object, image: ImageBitmap, options: object) => Promise<any>} estimate one still image
 * @property {(result: any, frame: {width: number, height: number, roi: number[] | null}) => void} render
 * @property {(handle: object, url: string) => void} [onModel] after each load, before status 'ready'
 */

export class DemoController {
  /** @param {DemoApp} app */
  constructor(app) {
    this.app = app;
    this.params = new URLSearchParams(location.search);
    this.requested = this.params.get('model') ? withSlash(this.params.get('model')) : null;
    this.modelUrl = null;
    this.state = {
      framesDone: 0, droppedFrames: 0, lastTimings: null, backend: null, manifest: null, cache: null,
      errors: [], source: null, modelUrl: null, models: [], switches: 0, progress: [],
      readyMs: null, loadTimings: null, firstEstimateMs: null, // ms since navigation start (bench/first_pose.py)
      ...app.state,
    };
    window[app.hook] = this.state;
    this.firstResult = new Promise((resolve) => { this.resolveFirstResult = resolve; });
    this.handle = null; // null while a package (re)loads: frames are then not estimated
    this.loadToken = 0; // bumped on every load, so a superseded one is disposed
    this.tracker = null; // handle.track()'s loop while a video plays
    this.droppedBefore = 0; // frames dropped by trackers already stopped
    this.restartTimer = null;
    this.image = null; // the still image's file, estimated again after a model or option change
    this.busy = false; // a still image is being estimated
    this.pending = false; // and another estimate of it waits for that one
    const { showError, clearError } = errorDisplay(this.state, app.hook);
    this.showError = showError;
    this.clearError = clearError;
    this.source = new FrameSource(this.state, () => {
      this.stopTracking();
      this.image = null;
      clearOverlay();
    });
    this.fps = fpsWindow();
  }

  /** Wire the shared controls, fill the picker and load the first package. */
  async start() {
    window.addEventListener('unhandledrejection', (e) => this.showError(e.reason));
    $('webcam').addEventListener('click', () => this.startVideo(() => this.source.playWebcam()));
    $('file').addEventListener('change', (e) => this.startFile(e.target.files[0]));
    $('stop').addEventListener('click', () => this.source.stop());
    $('model').addEventListener('change', (e) => { if (e.target.value) this.switchModel(e.target.value); });
    const tag = `[${this.app.hook}]`;
    const listing = listTaskModels(this.app.task, this.app.words,
      (err) => console.warn(tag, 'cannot list the models; offering the current one only:', err));
    // in parallel with the listing: ?model=, else the default (the server's first package of the task
    // instead when it lists packages of the task but not the default: that load then supersedes this one)
    this.modelUrl = this.requested ?? this.app.defaultModel;
    let loaded = this.load(this.modelUrl);
    this.state.models = await listing;
    const first = this.state.models[0]?.url;
    if (!this.requested && first && !this.state.models.some((m) => m.url === this.modelUrl)) {
      this.modelUrl = first;
      this.clearError(); // the default's failure, if it came first
      loaded = this.load(first);
    }
    fillModelPicker(this.state.models, this.modelUrl);
    await loaded;
  }

  /**
   * Resolves once `started` (start()) has settled and then the first result is drawn or QUIET_MS pass,
   * whichever comes first: the moment for work that would otherwise compete with the first result. A
   * first install of the service workers stores the whole app and onnxruntime-web's 14 MB .wasm; begun
   * at 'ready', it ran beside the first estimate (bench/first_pose.py, cold).
   * @param {Promise<unknown>} started
   */
  async quietAfter(started) {
    await Promise.resolve(started).catch(() => {});
    await Promise.race([this.firstResult, new Promise((resolve) => { setTimeout(resolve, QUIET_MS); })]);
  }

  /**
   * Options change on these controls: sliders on 'input' (their <output id="ID-value"> follows),
   * the rest on 'change' (a number field mid-typing is not an option yet).
   */
  watchOptions(ids) {
    for (const id of ids) {
      const el = $(id);
      const slider = el.type === 'range';
      el.addEventListener(slider ? 'input' : 'change', () => {
        const output = $(`${id}-value`);
        if (slider && output) output.textContent = Number(el.value).toFixed(2);
        this.optionsChanged();
      });
    }
  }

  /** The task options changed: the still image is estimated again, the video loop restarted with them. */
  optionsChanged() {
    if (this.state.source === 'image') this.estimateImage().catch(this.showError);
    else if (this.source.playing) {
      clearTimeout(this.restartTimer);
      this.restartTimer = setTimeout(() => this.track(), RESTART_MS);
    }
  }

  /** The picker's change: load the chosen package, keep ?model= in sync; the source goes on with it. */
  async switchModel(url) {
    if (url === this.modelUrl && this.handle) return;
    this.modelUrl = url;
    this.state.switches += 1;
    syncModelParam(this.params, url);
    this.clearError();
    await this.load(url);
  }

  /** Load the package at `url` as the current handle (disposing the previous one); true when ready. */
  async load(url) {
    const token = ++this.loadToken;
    const old = this.handle;
    this.handle = null;
    this.stopTracking();
    old?.dispose().catch((err) => console.warn(`[${this.app.hook}] dispose:`, err));
    this.enableSources(false);
    setStatus('loading');
    $('model-info').textContent = url;
    let handle;
    try {
      handle = await this.app.create(url, {
        ...runtimeOptions(this.params), ...this.app.runtime, onProgress: (p) => this.progress(p),
      });
    } catch (err) {
      if (token === this.loadToken) {
        $('progress').hidden = true;
        this.showError(err);
        setStatus('error');
        this.enableSources(true); // another model may be picked; the sources stay usable
      }
      return false;
    }
    if (token !== this.loadToken) { // superseded by a later pick while loading
      handle.dispose().catch(() => {});
      return false;
    }
    this.handle = handle;
    this.showModel(handle, url);
    this.app.onModel?.(handle, url);
    this.enableSources(true);
    if (this.state.readyMs === null) {
      this.state.readyMs = performance.now();
      this.state.loadTimings = handle.loadTimings; // {loadMs, warmupMs} inside the worker
    }
    setStatus('ready');
    this.resume();
    return true;
  }

  progress(p) {
    this.state.progress.push(p);
    showProgress(p);
  }

  showModel(handle, url) {
    const s = this.state;
    Object.assign(s, { backend: handle.backend, manifest: handle.manifest, cache: handle.cache, modelUrl: url });
    $('progress').hidden = true;
    showBackend(handle.backend);
    showCache(handle.cache, this.showError);
    $('model-info').textContent = `${handle.manifest.name}@${handle.manifest.version} (${handle.backend.variant})`;
  }

  enableSources(on) {
    $('file').disabled = !on;
    $('webcam').disabled = !on || !navigator.mediaDevices?.getUserMedia;
  }

  /** A new model is ready: the running source goes on with it. */
  resume() {
    if (this.state.source === 'image') this.estimateImage().catch(this.showError);
    else if (this.source.playing) this.track();
  }

  /** Start a video source (`play()`: the webcam or a file), then track it. */
  async startVideo(play) {
    this.clearError();
    try {
      await play();
      this.track();
    } catch (err) {
      this.source.stop();
      this.showError(err);
    }
  }

  /** An image or video file from #file. */
  async startFile(file) {
    if (!file) return;
    if (file.type.startsWith('video/')) return this.startVideo(() => this.source.playFile(file));
    this.source.stop();
    this.clearError();
    try {
      const bitmap = await readBitmap(file); // a non-image fails here, before anything is shown
      this.source.showImage(file);
      this.image = file;
      await this.estimateImage(bitmap);
    } catch (err) {
      this.source.stop();
      this.showError(err);
    }
  }

  /**
   * (Re)start handle.track() on the playing video with the current options; without a handle it
   * starts once the package is loaded (load → resume).
   */
  track() {
    this.stopTracking();
    if (!this.handle || !this.source.playing) return;
    try {
      this.tracker = this.handle.track(this.source.video, (result, frame) => this.deliver(result, frame), {
        ...this.app.options(), ...this.app.videoOptions?.(), onError: (err) => this.showError(err),
      });
    } catch (err) { // options the task rejects
      this.showError(err);
    }
  }

  stopTracking() {
    clearTimeout(this.restartTimer);
    if (!this.tracker) return;
    this.tracker.stop(); // results still in flight are not delivered
    this.droppedBefore += this.tracker.stats.dropped;
    this.tracker = null;
  }

  /**
   * Estimate the still image (decoded again unless `decoded` is given). While one estimate runs the
   * next waits, one at most; an answer for a model or source switched away from is dropped.
   */
  async estimateImage(decoded = null) {
    const handle = this.handle;
    if (!handle || !this.image || this.busy) {
      decoded?.close();
      if (handle && this.image) this.pending = true; // without a handle: load → resume runs it
      return;
    }
    this.busy = true;
    const token = this.source.token;
    const current = () => handle === this.handle && token === this.source.token;
    try {
      const bitmap = decoded || await readBitmap(this.image);
      const frame = { width: bitmap.width, height: bitmap.height, roi: null }; // before the bitmap is transferred
      const t0 = performance.now();
      const result = await this.app.estimate(handle, bitmap, this.app.options());
      if (current()) {
        this.state.firstEstimateMs ??= performance.now() - t0;
        this.deliver(result, { ...frame, timings: handle.lastTimings });
      }
    } catch (err) {
      if (current()) throw err;
    } finally {
      this.busy = false;
      if (this.pending) {
        this.pending = false;
        this.estimateImage().catch(this.showError);
      }
    }
  }

  /** One result: the shared numbers first, then the app draws it. */
  deliver(result, frame) {
    const s = this.state;
    s.framesDone += 1;
    this.resolveFirstResult();
    s.lastTimings = frame.timings;
    s.droppedFrames = this.droppedBefore + (this.tracker?.stats.dropped ?? 0);
    $('dropped').textContent = String(s.droppedFrames);
    const fps = this.fps();
    $('fps').textContent = s.source === 'image' ? '–' : String(fps);
    showTimings(frame.timings);
    this.app.render(result, frame);
  }
}
