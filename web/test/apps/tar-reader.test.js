// The classifier trainer's tar reader (web/apps/classifier-trainer/tar-reader.js) on archives other people
// made: what tarFolder writes reads back; an archive mutated byte by byte (seeded) reads or throws a
// TypeError naming the archive, and never hangs (each batch runs in a worker that is stopped at a deadline).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

import { packageFromTar, readTar } from '../../apps/classifier-trainer/tar-reader.js';
import { tarFolder } from '../../src/train/tar.js';

const encoder = new TextEncoder();
const FILES = { 'manifest.json': encoder.encode('{"name": "m"}'), 'model.fp32.onnx': new Uint8Array(700).fill(7) };
const TAR = tarFolder('m-1.0.0', FILES);
const HEADERS = [0, 512, 3 * 512]; // the folder's, manifest.json's and model.fp32.onnx's headers in TAR
const READER = new URL('../../apps/classifier-trainer/tar-reader.js', import.meta.url).href;

/** Run readTar on each archive in a worker: [{ok, error}] per archive, or a rejection past `ms`. */
function readInWorker(archives, ms = 10_000) {
  const code = `
    import { workerData, parentPort } from 'node:worker_threads';
    const { readTar } = await import(workerData.reader);
    parentPort.postMessage(workerData.archives.map((a) => {
      try { readTar(a, 'fuzz.tar'); return { ok: true }; }
      catch (err) { return { ok: false, name: err.name, message: err.message }; }
    }));`;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: { reader: READER, archives } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { worker.terminate(); reject(new Error(`readTar did not return within ${ms} ms: a hang`)); }, ms);
    worker.once('message', (out) => { clearTimeout(timer); worker.terminate(); resolve(out); });
    worker.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

/** A copy of TAR with the octal size field of its first file entry (at byte 512) set to `digits`. */
function withSize(digits) {
  const out = TAR.slice();
  out.fill(0, 512 + 124, 512 + 136);
  out.set(encoder.encode(digits), 512 + 124);
  return out;
}

/** A copy of TAR with its first file entry named `path`. */
function withName(path) {
  const out = TAR.slice();
  out.fill(0, 512, 512 + 100);
  out.fill(0, 512 + 345, 512 + 500);
  out.set(encoder.encode(path), 512);
  return out;
}

test('what tarFolder writes reads back', () => {
  const { manifest, files } = packageFromTar(TAR, 'm.tar');
  assert.deepEqual(manifest, { name: 'm' });
  assert.deepEqual(files['model.fp32.onnx'], FILES['model.fp32.onnx']);
});

test('a negative size is refused (it hung: parseInt read "-1750" as -1000 and the reader never moved on)', async () => {
  const [out] = await readInWorker([withSize('-1750')]);
  assert.equal(out.ok, false);
  assert.match(out.message, /'fuzz\.tar' has an entry whose size '-1750' is not an octal number/);
  assert.throws(() => readTar(withSize('9'), 'x.tar'), /size '9' is not an octal number/);
});

test('entries outside their folder are refused', () => {
  for (const path of ['../../evil', '/etc/passwd', 'm-1.0.0/../../x']) {
    assert.throws(() => readTar(withName(path), 'x.tar'), (err) => err instanceof TypeError
      && err.message === `'x.tar' has an entry '${path}' outside its folder`);
  }
});

// EDGEWARD_FUZZ_TARS: how many (default 2,000; the long run takes 10,000 or more).
const CASES = Number(process.env.EDGEWARD_FUZZ_TARS || 2000);

test(`${CASES} seeded mutations: each reads or throws a TypeError naming the archive, none hangs`, async () => {
  let state = 12345;
  const next = () => { state = (Math.imul(state, 1664525) + 1013904223) >>> 0; return state; };
  const archives = [];
  for (let i = 0; i < CASES; i++) {
    const a = TAR.slice(0, next() % 8 === 0 ? next() % TAR.length : TAR.length);
    for (let k = 1 + (next() % 4); k > 0 && a.length; k--) {
      const header = HEADERS[next() % HEADERS.length];
      const field = next() % 3 === 0 ? header + 124 + (next() % 12) : -1; // an entry's size field
      const at = field >= 0 ? field : next() % 2 ? 512 + (next() % 512) : next() % a.length; // headers most often
      const digits = '01234567- x';
      a[Math.min(at, a.length - 1)] = field >= 0 ? digits.charCodeAt(next() % digits.length) : next() & 0xff;
    }
    archives.push(a);
  }
  const results = await readInWorker(archives, 30_000 + CASES * 5);
  const bad = results.filter((r) => !r.ok && (r.name !== 'TypeError' || !r.message.startsWith("'fuzz.tar'")));
  assert.deepEqual(bad, []);
  assert.ok(results.some((r) => r.ok) && results.some((r) => !r.ok), 'both outcomes are reached');
});
