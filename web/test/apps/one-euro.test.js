// The One-Euro filter of the try-on app (web/apps/try-on/one-euro.js): the smoothing factor, the
// plain low-pass it is at beta 0, less jitter at rest and little lag in motion, scale-free speeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { OneEuroFilter, smoothingFactor } from '../../apps/try-on/one-euro.js';

const RATE = 30; // Hz, a webcam's frame rate

/** A seeded uniform noise source in [-1, 1) (a linear congruential generator). */
function noise(seed = 7) {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 2147483648 - 1;
  };
}

const std = (xs) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
};

test('the smoothing factor is 1 / (1 + tau / dt) with tau = 1 / (2 pi fc)', () => {
  assert.equal(smoothingFactor(1 / (2 * Math.PI), 1), 0.5);
  assert.ok(Math.abs(smoothingFactor(1.5, 1 / 30) - 1 / (1 + 1 / (2 * Math.PI * 1.5) * 30)) < 1e-15);
  assert.ok(smoothingFactor(1e6, 1 / 30) > 0.9999);
});

test('the first sample passes as it is; a constant stays constant; a repeated time changes nothing', () => {
  const f = new OneEuroFilter({ minCutoff: 1, beta: 1 });
  assert.equal(f.filter(42, 10), 42);
  for (let i = 1; i < 10; i++) assert.equal(f.filter(42, 10 + i / RATE), 42);
  const before = f.filter(50, 11);
  assert.equal(f.filter(1000, 11), before);
  assert.equal(f.filter(1000, 10.5), before);
  f.reset();
  assert.equal(f.filter(-3, 0), -3);
});

test('with beta 0 it is the exponential low-pass at minCutoff', () => {
  const f = new OneEuroFilter({ minCutoff: 2, beta: 0 });
  const rand = noise(3);
  let expected = null;
  for (let i = 0; i < 50; i++) {
    const x = 10 * rand();
    const t = i / RATE;
    expected = expected === null ? x : expected + smoothingFactor(2, 1 / RATE) * (x - expected);
    assert.ok(Math.abs(f.filter(x, t) - expected) < 1e-12, `sample ${i}`);
  }
});

test('at rest it removes most of the jitter (variance under a fifth); in motion it lags far less than a low-pass that steady', () => {
  const options = { minCutoff: 1.5, beta: 2, dCutoff: 1 };
  const unit = 40; // px: the eye distance of a face near the camera
  const rand = noise(11);
  const still = new OneEuroFilter(options);
  const raw = [];
  const out = [];
  for (let i = 0; i < 90; i++) {
    const x = 300 + 1.5 * rand(); // keypoint jitter of a pixel or two
    raw.push(x);
    out.push(still.filter(x, i / RATE, unit));
  }
  assert.ok(std(out.slice(30)) < 0.45 * std(raw.slice(30)), `${std(out.slice(30))} vs ${std(raw.slice(30))}`);

  const speed = 300; // px/s: a head moving across the frame in about two seconds
  const moving = new OneEuroFilter(options);
  const lowPass = new OneEuroFilter({ ...options, beta: 0 });
  let lag = 0;
  let lowLag = 0;
  for (let i = 0; i <= RATE; i++) {
    const t = i / RATE;
    lag = speed * t - moving.filter(speed * t, t, unit);
    lowLag = speed * t - lowPass.filter(speed * t, t, unit);
  }
  assert.ok(lag > 0 && lag < 4, `lag after 1 s: ${lag} px`); // under a tenth of the eye distance
  assert.ok(lag < lowLag / 5, `${lag} vs the steady low-pass's ${lowLag}`);
});

test('speeds are measured in units: the same motion at twice the size is filtered the same, twice as large', () => {
  const options = { minCutoff: 1, beta: 3 };
  const a = new OneEuroFilter(options);
  const b = new OneEuroFilter(options);
  const rand = noise(5);
  for (let i = 0; i < 40; i++) {
    const x = 100 * Math.sin(i / 5) + rand();
    const t = i / RATE;
    assert.ok(Math.abs(2 * a.filter(x, t, 20) - b.filter(2 * x, t, 40)) < 1e-9);
  }
});

test('bad settings are refused with the setting named', () => {
  assert.throws(() => new OneEuroFilter({ minCutoff: 0 }), /minCutoff must be > 0/);
  assert.throws(() => new OneEuroFilter({ dCutoff: -1 }), /dCutoff must be > 0/);
  assert.throws(() => new OneEuroFilter({ beta: Number.NaN }), /beta must be >= 0/);
});
