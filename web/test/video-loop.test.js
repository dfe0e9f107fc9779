// web/src/video-loop.js: at most `inFlight` runs at once, other frames dropped (never queued),
// a failed run reported while running, stop() stops. A fake <video> fires frame callbacks by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DEFAULT_IN_FLIGHT, runVideoLoop } from '../src/video-loop.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function fakeVideo() {
  const callbacks = [];
  const video = { readyState: 4, videoWidth: 640, requestVideoFrameCallback: (fn) => callbacks.push(fn) };
  /** Fire one video frame: every pending callback runs, then microtasks settle. */
  const frame = async () => { callbacks.splice(0).forEach((fn) => fn()); await tick(); };
  return { video, frame, callbacks };
}

/** A run() whose promises stay pending until the test settles them by hand. */
function controlledRuns() {
  const state = { running: 0, maxRunning: 0, runs: 0, pending: [] };
  state.run = () => {
    state.runs += 1;
    state.running += 1;
    state.maxRunning = Math.max(state.maxRunning, state.running);
    return new Promise((resolve, reject) => state.pending.push((fail) => {
      state.running -= 1;
      if (fail) reject(new Error(fail)); else resolve();
    }));
  };
  return state;
}

for (const inFlight of [1, 2]) {
  test(`inFlight ${inFlight}: at most ${inFlight} runs at once, the rest dropped, stop() stops`, async () => {
    const { video, frame } = fakeVideo();
    const runs = controlledRuns();
    let dropped = 0;
    const errors = [];
    const loop = runVideoLoop(video, {
      inFlight, start: 'eager', run: runs.run, onDrop: () => { dropped += 1; }, onError: (e) => errors.push(e.message),
    });
    for (let i = 0; i < 6; i++) await frame(); // 6 frames while nothing finishes
    assert.deepEqual({ runs: runs.runs, dropped, inFlight: loop.inFlight }, { runs: inFlight, dropped: 6 - inFlight, inFlight });
    runs.pending.splice(0).forEach((done, i) => done(i === 0 ? 'boom' : null)); // all finish, the first fails
    await tick();
    assert.equal(loop.inFlight, 0);
    await frame();
    await frame();
    // once released, the next two frames start new runs again, up to inFlight of them
    assert.deepEqual({ runs: runs.runs, dropped }, { runs: 2 * inFlight, dropped: 6 - inFlight + 2 - inFlight });
    loop.stop();
    const afterStop = { runs: runs.runs, dropped };
    runs.pending.splice(0).forEach((done) => done('late')); // failures after stop() are not reported
    for (let i = 0; i < 3; i++) await frame();
    assert.deepEqual({ runs: runs.runs, dropped }, afterStop);
    assert.equal(runs.maxRunning, inFlight);
    assert.deepEqual(errors, ['boom']);
  });
}

test('the default is two frames in flight', async () => {
  assert.equal(DEFAULT_IN_FLIGHT, 2);
  const { video, frame } = fakeVideo();
  const runs = controlledRuns();
  const loop = runVideoLoop(video, { run: runs.run });
  for (let i = 0; i < 4; i++) await frame();
  assert.equal(runs.runs, 2);
  loop.stop();
  runs.pending.splice(0).forEach((done) => done(null));
});

test('ready() false and a video without a frame yet: frames skipped', async () => {
  const { video, frame } = fakeVideo();
  const runs = controlledRuns();
  let ready = false;
  let dropped = 0;
  const loop = runVideoLoop(video, { run: runs.run, ready: () => ready, onDrop: () => { dropped += 1; } });
  await frame();
  assert.deepEqual({ runs: runs.runs, dropped }, { runs: 0, dropped: 1 }); // not ready: counted as dropped
  ready = true;
  video.readyState = 1; // HAVE_METADATA: no frame to read, neither run nor dropped
  await frame();
  assert.deepEqual({ runs: runs.runs, dropped }, { runs: 0, dropped: 1 });
  video.readyState = 4;
  await frame();
  assert.equal(runs.runs, 1);
  loop.stop();
  runs.pending.splice(0).forEach((done) => done(null));
});

test('without requestVideoFrameCallback the loop runs on requestAnimationFrame', async (t) => {
  const callbacks = [];
  globalThis.requestAnimationFrame = (fn) => callbacks.push(fn); // Node has none: a fake one
  t.after(() => { delete globalThis.requestAnimationFrame; });
  const video = { readyState: 4, videoWidth: 320 };
  let runs = 0;
  const loop = runVideoLoop(video, { run: async () => { runs += 1; } });
  assert.equal(callbacks.length, 1);
  callbacks.splice(0).forEach((fn) => fn());
  await tick();
  assert.equal(runs, 1);
  loop.stop();
  callbacks.splice(0).forEach((fn) => fn());
  assert.equal(callbacks.length, 0); // stopped: nothing rescheduled
});

for (const bad of [0, -1, 1.5, '2', null]) {
  test(`inFlight ${JSON.stringify(bad)} is a RangeError`, () => {
    assert.throws(() => runVideoLoop({}, { run: () => {}, inFlight: bad }),
      { name: 'RangeError', message: `inFlight must be an integer >= 1, got ${bad}` });
  });
}

/**
 * A fake clock and video: frames every `interval` ms; runs that take `service` ms of worker time each,
 * reaching the worker `capture` ms after their frame (capture, transfer) and answering `reply` ms after
 * the worker is done.
 */
function timedLoop({ start, interval = 33, service = 100, inFlight = 2, capture = 0, reply = 0 }) {
  let t = 0;
  const { video, frame } = fakeVideo();
  const runs = [];
  let busyUntil = 0; // one worker: runs are served one after another
  const loop = runVideoLoop(video, {
    inFlight, start, now: () => t,
    run: () => {
      const started = t;
      const done = Math.max(started + capture, busyUntil) + service;
      busyUntil = done;
      return new Promise((resolve) => runs.push({ started, end: done + reply, resolve }));
    },
  });
  // events in time order: a result at its run's end (a worker replies at once), a frame every `interval`
  const advance = async (ms) => {
    const target = t + ms;
    let nextFrame = Math.floor(t / interval) * interval + interval;
    while (t < target) {
      const pending = runs.filter((r) => !r.done);
      const nextEnd = Math.min(...pending.map((r) => r.end));
      if (nextEnd <= nextFrame) {
        t = nextEnd;
        for (const r of pending) if (r.end <= t) { r.done = true; r.resolve(); }
        await tick();
      } else {
        t = nextFrame;
        nextFrame += interval;
        await frame();
      }
    }
  };
  return { loop, runs, advance };
}

test('just in time: the same throughput as eager, each result about one inference after its frame', async () => {
  const latency = {};
  const throughput = {};
  for (const start of ['eager', 'just-in-time']) {
    const { loop, runs, advance } = timedLoop({ start });
    await advance(5000);
    loop.stop();
    const done = runs.filter((r) => r.done).slice(5); // after the averages settle
    latency[start] = done.reduce((a, r) => a + (r.end - r.started), 0) / done.length;
    throughput[start] = done.length;
  }
  // eager: a frame waits behind the running inference (≈ 2 inferences); just in time: ≈ 1 (+ < 1 frame)
  assert.ok(latency.eager > 180, JSON.stringify(latency));
  assert.ok(latency['just-in-time'] < 100 + 2 * 33, JSON.stringify(latency));
  assert.ok(throughput['just-in-time'] >= throughput.eager - 2, JSON.stringify(throughput));
});

test('just in time with capture and reply costs (a 30 fps camera, a 50 ms inference): eager\'s throughput, lower latency', async () => {
  const latency = {};
  const throughput = {};
  for (const start of ['eager', 'just-in-time']) {
    const { loop, runs, advance } = timedLoop({ start, interval: 33, service: 50, capture: 6, reply: 2 });
    await advance(10000);
    loop.stop();
    const done = runs.filter((r) => r.done).slice(10);
    latency[start] = done.reduce((a, r) => a + (r.end - r.started), 0) / done.length;
    throughput[start] = done.length;
  }
  const seen = JSON.stringify({ latency, throughput });
  assert.ok(throughput['just-in-time'] >= 0.95 * throughput.eager, seen);
  // a frame still waits behind the running inference for part of a frame interval: the camera's 33 ms
  // are the grain of when a frame can be taken
  assert.ok(latency['just-in-time'] < 0.9 * latency.eager && latency['just-in-time'] < 50 + 6 + 2 + 33, seen);
});

test('just in time learns the service time and the frame interval', async () => {
  const { loop, advance } = timedLoop({ start: 'just-in-time', interval: 20, service: 70 });
  assert.deepEqual(loop.estimates, { serviceMs: null, frameIntervalMs: null });
  await advance(2000);
  loop.stop();
  assert.ok(Math.abs(loop.estimates.frameIntervalMs - 20) < 1, JSON.stringify(loop.estimates));
  assert.ok(Math.abs(loop.estimates.serviceMs - 70) < 15, JSON.stringify(loop.estimates));
});

test('an unknown start mode is a RangeError', () => {
  assert.throws(() => runVideoLoop({}, { run: () => {}, start: 'later' }),
    { name: 'RangeError', message: 'start must be one of just-in-time, eager, got later' });
});
