// The frame loop for video sources, shared by the runtime's track() and the demo apps.
//
// On every new video frame (requestVideoFrameCallback; requestAnimationFrame where it is missing)
// one estimate starts if fewer than `inFlight` are running, else the frame is dropped — frames are
// never queued without bound. With inFlight = 2 (the default) the next frame already waits in the
// worker while the current one is inferred, so the worker never idles between frames (capture,
// transfer and drawing overlap inference), at the cost of results up to one inference older.
// inFlight = 1 is the lowest-latency mode: each frame is captured only after the previous result.

export const DEFAULT_IN_FLIGHT = 2;

/**
 * @typedef {object} VideoLoopOptions
 * @property {() => unknown} run  one estimate on the current frame (may return a promise)
 * @property {() => boolean} [ready]  false: skip this frame (counted as dropped)
 * @property {number} [inFlight]  most runs at once (default DEFAULT_IN_FLIGHT)
 * @property {() => void} [onDrop]
 * @property {(err: any) => void} [onError]
 */

/**
 * Start the loop on `video`: `run()` (returns a promise) per accepted frame; `ready()` false skips
 * frames (counted as dropped); `onError(err)` gets a failed run's error while the loop is running.
 * Returns {stop(), inFlight}.
 * @param {Pick<HTMLVideoElement, 'readyState' | 'videoWidth'> & {requestVideoFrameCallback?: (fn: () => void) => number}} video
 * @param {VideoLoopOptions} options
 * @returns {{stop(): void, readonly inFlight: number}}
 */
export function runVideoLoop(video, { run, ready = () => true, inFlight = DEFAULT_IN_FLIGHT, onDrop = () => {}, onError = () => {} }) {
  if (!Number.isInteger(inFlight) || inFlight < 1) throw new RangeError(`inFlight must be an integer >= 1, got ${inFlight}`);
  let stopped = false;
  let active = 0;
  const schedule = video.requestVideoFrameCallback
    ? (fn) => video.requestVideoFrameCallback(fn)
    : (fn) => requestAnimationFrame(fn);
  const tick = () => {
    if (stopped) return;
    if (video.readyState >= 2 && video.videoWidth) {
      if (active >= inFlight || !ready()) {
        onDrop();
      } else {
        active += 1;
        Promise.resolve()
          .then(run)
          .catch((err) => { if (!stopped) onError(err); })
          .finally(() => { active -= 1; });
      }
    }
    schedule(tick);
  };
  schedule(tick);
  return {
    stop() { stopped = true; },
    get inFlight() { return active; },
  };
}
