// Shared by the JS tests: the fixtures the Python oracle writes, and a tolerance check.
//
//   .venv/bin/python -m tests.web.write_fixtures DIR     # tests/web/write_fixtures.py
//   EDGEWARD_FIXTURES=DIR node --test web/test/
//
// `node --test web/test/` also runs this file on its own: it then checks that the fixture folder
// holds every fixture the writer lists in index.json (imported by a test file, it registers no test).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const HOW = 'write them with `.venv/bin/python -m tests.web.write_fixtures DIR` and run '
  + '`EDGEWARD_FIXTURES=DIR node --test web/test/` (scripts/test.sh does both)';

/** The fixture `name` (DIR/name.json), parsed; a clear error when the folder or the file is missing. */
export function loadFixture(name) {
  const dir = process.env.EDGEWARD_FIXTURES;
  if (!dir) throw new Error(`EDGEWARD_FIXTURES is not set: the JS tests read the Python oracle's fixtures; ${HOW}`);
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing (EDGEWARD_FIXTURES=${dir}); ${HOW}`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** A fixture tensor {dims, data} as {dims, data: Float32Array, h, w, c} (the last three axes). */
export function tensor(t, { batch = false } = {}) {
  const dims = batch ? t.dims.slice(1) : t.dims;
  const [h, w, c] = dims.slice(-3);
  return { dims: t.dims, data: Float32Array.from(t.data), h, w, c };
}

/** |actual[i] - expected[i]| <= tol * max(1, |expected[i]|) for every i (arrays or numbers). */
export function assertClose(actual, expected, tol, what = 'value') {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${what}: length ${a.length}, expected ${e.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i] - e[i]) / Math.max(1, Math.abs(e[i]));
    if (Number.isNaN(err)) assert.fail(`${what}[${i}]: ${a[i]}, expected ${e[i]}`);
    if (err > worstErr) { worst = i; worstErr = err; }
  }
  if (worst >= 0 && worstErr > tol) {
    assert.fail(`${what}[${worst}]: ${a[worst]}, expected ${e[worst]} (error ${worstErr} > ${tol})`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  test('EDGEWARD_FIXTURES holds every fixture the Python writer made (index.json)', () => {
    const names = loadFixture('index');
    assert.ok(names.length > 0);
    for (const name of names) assert.equal(typeof loadFixture(name), 'object', name);
  });
}
