// web/src/train/prng.js against src/edgeward/train/prng.py: the same uniforms (bit for bit), normals
// and Fisher–Yates permutations for several seeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Rng } from '../../src/train/prng.js';
import { assertClose, loadFixture } from '../helpers.js';

const fx = loadFixture('train_prng');

for (const c of fx.cases) {
  test(`Rng(${c.seed}): 1000 uniforms equal Python's exactly`, () => {
    const rng = new Rng(c.seed);
    assert.deepEqual(Array.from({ length: 1000 }, () => rng.uniform()), c.uniforms);
  });

  test(`Rng(${c.seed}): 1000 Box–Muller normals`, () => {
    const rng = new Rng(c.seed);
    // Math.log/cos and libm may differ in the last place; the uniforms under them are identical.
    assertClose(Array.from({ length: 1000 }, () => rng.normal()), c.normals, 1e-14, 'normals');
  });

  test(`Rng(${c.seed}): Fisher–Yates shuffles`, () => {
    const rng = new Rng(c.seed);
    for (const s of c.shuffles) assert.deepEqual(Array.from(rng.shuffle(s.n)), s.perm, `n ${s.n}`);
    assert.equal(rng.state, c.stateAfterShuffles);
  });
}

test('a bad seed is a RangeError', () => {
  for (const seed of [-1, 2 ** 32, 1.5, '1', null, true]) assert.throws(() => new Rng(/** @type {any} */ (seed)), RangeError);
});
