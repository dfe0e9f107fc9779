// The frame loop for video sources, shared by the runtime's track() and the demo apps.
//
// On every new video frame (requestVideoFrameCallback; requestAnimationFrame where it is missing)
// one estimate starts if fewer than `inFlight` are running, else the frame is dropped — frames are
// never queued without bound. inFlight = 1 is the lowest-latency mode: each frame is captured only
// after the previous result, but the worker idles while a frame is captured and sent.
//
// With inFlight = 2 (the default) the next frame waits in the worker while the current one is
// inferred, so the worker never idles between frames. When that next frame is captured decides its
// latency: 'eager' takes the first frame after a run starts, which then waits a whole inference
// (results one inference older); 'just-in-time' (the default) drops frames until the running
// inference is due to end within about one frame interval, then takes the freshest frame — the same
// throughput, with latency close to a single inference. "Due to end" comes from the loop's own
// measurements: a moving average of each run's service time (from when the worker could start it to
// its result) and of the interval between video frames; until both exist it behaves eagerly.

export const DEFAULT_IN_FLIGHT = 2;
export const START_MODES = Object.freeze(['just-in-time', 'eager']);
const EMA = 0.2; // weight of the newest measurement in the moving averages

/**
 * @typedef {object} VideoLoopOptions
 * @property {() => unknown} run  one estimate on the current frame (may return a promise)
 * @property {() => boolean} [ready]  false: skip this frame (counted as dropped)
 * @property {number} [inFlight]  most runs at once (default DEFAULT_IN_FLIGHT)
 * @property {'just-in-time' | 'eager'} [start]  when a run may start while another runs (default 'just-in-time')
 * @property {() => void} [onDrop]
 * @property {(err: any) => void} [onError]
 * @property {() => number} [now]  the clock, ms (default performance.now; tests pass their own)
 */

/**
 * Start the loop on `video`: `run()` (returns a promise) per accepted frame; `ready()` false skips
 * frames (counted as dropped); `onError(err)` gets a failed run's error while the loop is running.
 * Returns {stop(), inFlight, estimates: {serviceMs, frameIntervalMs}}.
 * @param {Pick<HTMLVideoElement, 'readyState' | 'videoWidth'> & {requestVideoFrameCallback?: (fn: () => void) => number}} video
 * @param {VideoLoopOptions} options
 * @returns {{stop(): void, readonly inFlight: number, readonly estimates: {serviceMs: number | null, frameIntervalMs: number | null}}}
 */
export function runVideoLoop(video, {
  run, ready = () => true, inFlight = DEFAULT_IN_FLIGHT, start = 'just-in-time', onDrop = () => {},
  onError = () => {}, now = () => performance.now(),
}) {
  if (!Number.isInteger(inFlight) || inFlight < 1) throw new RangeError(`inFlight must be an integer >= 1, got ${inFlight}`);
  if (!START_MODES.includes(start)) throw new RangeError(`start must be one of ${START_MODES.join(', ')}, got ${start}`);
  let stopped = false;
  let active = 0;
  /** @type {number | null} */ let serviceMs = null; // moving average of one run's service time
  /** @type {number | null} */ let frameIntervalMs = null; // moving average of the time between video frames
  /** @type {number | null} */ let lastTick = null;
  let lastEnd = -Infinity; // when the latest run ended
  let freeAt = -Infinity; // when the runs already started are expected to be done
  const average = (old, x) => (old === null ? x : old + EMA * (x - old));
  const schedule = video.requestVideoFrameCallback
    ? (fn) => video.requestVideoFrameCallback(fn)
    : (fn) => requestAnimationFrame(fn);
  /** Just in time: while runs are going, wait for the frame that arrives as they are about to end. */
  const tooEarly = (t) => start === 'just-in-time' && active > 0 && serviceMs !== null && frameIntervalMs !== null
    && t < freeAt - frameIntervalMs;
  const launch = (t) => {
    active += 1;
    freeAt = Math.max(t, freeAt) + (serviceMs ?? 0);
    Promise.resolve()
      .then(run)
      .then(() => {
        const end = now();
        serviceMs = average(serviceMs, end - Math.max(t, lastEnd)); // this run's own time, not its wait
        lastEnd = end;
        freeAt = active > 1 ? end + (serviceMs ?? 0) * (active - 1) : end;
      }, (err) => { if (!stopped) onError(err); })
      .finally(() => { active -= 1; });
  };
  const tick = () => {
    if (stopped) return;
    const t = now();
    if (lastTick !== null) frameIntervalMs = average(frameIntervalMs, t - lastTick);
    lastTick = t;
    if (video.readyState >= 2 && video.videoWidth) {
      if (active >= inFlight || !ready() || tooEarly(t)) {
        onDrop();
      } else {
        launch(t);
      }
    }
    schedule(tick);
  };
  schedule(tick);
  return {
    stop() { stopped = true; },
    get inFlight() { return active; },
    get estimates() { return { serviceMs, frameIntervalMs }; },
  };
}
