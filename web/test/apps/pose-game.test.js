// The pose trainer's game (web/apps/pose-trainer/game.js): hold timer, points, target sequence, and the
// checks of its two settings.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkHoldSeconds, parseSequence, PoseGame } from '../../apps/pose-trainer/game.js';

const see = (label, score = 0.9) => ({ label, score });

/** Feed `frames` [[best, at], …]; the awards they gave. */
function play(game, frames) {
  return frames.map(([best, at]) => game.update(best, at).award).filter(Boolean);
}

test('holding the target for N seconds scores once, at the frame that completes the hold', () => {
  const game = new PoseGame({ sequence: ['tree'], holdSeconds: 2, pointsPerHold: 10 });
  const frames = [];
  for (let t = 0; t <= 2000; t += 100) frames.push([see('tree'), 1000 + t]);
  const awards = play(game, frames.slice(0, -1));
  assert.deepEqual(awards, []);
  const s = game.update(...frames.at(-1));
  assert.deepEqual(s.award, { pose: 'tree', points: 10, total: 10, from: 1000, to: 3000 });
  assert.equal(s.points, 10);
  assert.equal(s.holds, 1);
  assert.equal(s.heldMs, 0); // the next hold starts afresh
  // held on: the same (only) target scores again after 2 s more, counted from the next frame
  const more = [];
  for (let t = 3100; t <= 5100; t += 100) more.push([see('tree'), t]);
  assert.deepEqual(play(game, more), [{ pose: 'tree', points: 10, total: 20, from: 3100, to: 5100 }]);
});

test('the hold timer reports progress and resets when the pose is lost for longer than the grace', () => {
  const game = new PoseGame({ sequence: ['tree'], holdSeconds: 1, graceMs: 300 });
  game.update(see('tree'), 0);
  let s = game.update(see('tree'), 500);
  assert.equal(s.heldMs, 500);
  assert.equal(s.progress, 0.5);
  assert.equal(s.matching, true);
  s = game.update(see('warrior'), 700); // 200 ms since the last match: within the grace, the hold goes on
  assert.equal(s.matching, false);
  assert.equal(s.heldMs, 500);
  s = game.update(see('tree'), 900);
  assert.equal(s.heldMs, 900);
  s = game.update(null, 1250); // no pose for 350 ms since the last match: the hold is over
  assert.equal(s.heldMs, 0);
  assert.deepEqual(play(game, [[see('tree'), 1300], [see('tree'), 2200]]), []);
  assert.deepEqual(play(game, [[see('tree'), 2300]]), [{ pose: 'tree', points: 10, total: 10, from: 1300, to: 2300 }]);
});

test('no points while another pose, no pose or a weak guess is on screen, however long', () => {
  const game = new PoseGame({ sequence: ['tree'], holdSeconds: 1, minScore: 0.6 });
  const frames = [];
  for (let t = 0; t < 10_000; t += 100) frames.push([[see('warrior'), null, see('tree', 0.55)][(t / 100) % 3], t]);
  assert.deepEqual(play(game, frames), []);
  assert.equal(game.update(see('tree', 0.6), 10_000).matching, true); // the minimum itself is enough
});

test('a sequence: each target in turn, then the first again; points only for the current target', () => {
  const game = new PoseGame({ sequence: ['tree', 'warrior', 'tree'], holdSeconds: 1, pointsPerHold: 5 });
  const hold = (label, from) => Array.from({ length: 11 }, (_, i) => [see(label), from + 100 * i]);
  assert.deepEqual(play(game, hold('warrior', 0)), []); // not the target yet
  assert.deepEqual(play(game, hold('tree', 2000)).map((a) => a.pose), ['tree']);
  assert.equal(game.target, 'warrior');
  assert.deepEqual(play(game, hold('tree', 4000)), []);
  assert.deepEqual(play(game, hold('warrior', 6000)).map((a) => [a.pose, a.total]), [['warrior', 10]]);
  assert.deepEqual(play(game, hold('tree', 8000)).map((a) => [a.pose, a.total]), [['tree', 15]]);
  assert.equal(game.target, 'tree'); // round again
  assert.equal(game.state(null).step, 0);
});

test('frames older than the last are ignored', () => {
  const game = new PoseGame({ sequence: ['tree'], holdSeconds: 1 });
  game.update(see('tree'), 1000);
  assert.equal(game.update(see('tree'), 2500).award.to, 2500);
  const late = game.update(see('tree'), 2400);
  assert.equal(late.award, null);
  assert.equal(late.points, 10);
});

test('parseSequence: names separated by commas, each one of the poses', () => {
  assert.deepEqual(parseSequence(' tree,  warrior pose ,tree,', ['tree', 'warrior pose']), ['tree', 'warrior pose', 'tree']);
  assert.throws(() => parseSequence(' , ', ['tree']), /^RangeError: Target sequence is empty/);
  assert.throws(() => parseSequence('tree, lotus', ['tree', 'warrior']),
    (e) => e instanceof RangeError && e.message === "Target sequence: 'lotus' is not one of your poses ('tree', 'warrior')");
  assert.throws(() => parseSequence('a, b', []), /'a', 'b' are not of your poses \(none yet\)/);
});

test('checkHoldSeconds and the constructor refuse what cannot be played', () => {
  assert.equal(checkHoldSeconds('2.5'), 2.5);
  assert.equal(checkHoldSeconds(1), 1);
  for (const bad of ['', 'abc', 0, 0.2, 61, Number.NaN, null]) {
    assert.throws(() => checkHoldSeconds(bad), /^RangeError: Hold time must be a number of seconds from 0.5 to 60/);
  }
  assert.throws(() => new PoseGame({ sequence: [] }), RangeError);
  assert.throws(() => new PoseGame({ sequence: ['a'], minScore: 0 }), /Minimum confidence/);
  assert.throws(() => new PoseGame({ sequence: ['a'], graceMs: -1 }), /graceMs/);
});
