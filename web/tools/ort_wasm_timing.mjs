// onnxruntime-web's WASM backend in Node — the same .wasm Chromium runs — timing ONNX models against each
// other: what `edgeward quantize --target wasm` and bench/int8_wasm.py measure (src/edgeward/optimize/wasm_timing.py).
// Usage: node ort_wasm_timing.mjs REQUEST.json
// REQUEST: {ortDir: ".../onnxruntime-web/dist/", models: ["a.onnx", ...], threads, runs, warmup, profileRuns,
//           inputs: {name: {shape, file}} (raw little-endian float32), out: "result.json",
//           outputsFor: [{name: {shape, file}}, ...], outputsDir}   (optional: outputs of each model on these)
// Writes `out`: {ortVersion, threads, ms: [[per-run ms of model 0], ...], outputs: [[{name: {shape, file}}]]
// per model per input set (float32 raw files in outputsDir)}. The models take turns run by run
// (the order reversed every other run), so background load hits all alike. With profileRuns > 0, each
// model then runs that many times in a session with onnxruntime's profiler on; its WASM prints the profile
// (Chrome trace JSON) to stdout at endProfiling(), framed here by the marker lines below.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const BEGIN = '@@edgeward-profile-begin';
const END = '@@edgeward-profile-end';

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const ort = await import(pathToFileURL(path.join(req.ortDir, 'ort.wasm.min.mjs')).href);
ort.env.wasm.wasmPaths = req.ortDir.endsWith('/') ? req.ortDir : `${req.ortDir}/`;
ort.env.wasm.numThreads = req.threads;
ort.env.logLevel = 'error';

function readFeeds(specs) {
  const out = {};
  for (const [name, spec] of Object.entries(specs)) {
    const bytes = fs.readFileSync(spec.file);
    out[name] = new ort.Tensor('float32', new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), spec.shape);
  }
  return out;
}
const feeds = readFeeds(req.inputs);

// The options web/src/backends.js gives the WASM backend.
const create = (file, profile) => ort.InferenceSession.create(fs.readFileSync(file), {
  executionProviders: ['wasm'], graphOptimizationLevel: 'all', enableProfiling: profile,
});

async function run(session) {
  const t0 = performance.now();
  const out = await session.run(feeds);
  const ms = performance.now() - t0;
  for (const t of Object.values(out)) t.dispose?.();
  return ms;
}

const sessions = [];
for (const file of req.models) sessions.push(await create(file, false));
for (const s of sessions) for (let i = 0; i < req.warmup; i++) await run(s);
const ms = sessions.map(() => []);
for (let i = 0; i < req.runs; i++) {
  const order = sessions.map((_, j) => (i % 2 === 0 ? j : sessions.length - 1 - j));
  for (const j of order) ms[j].push(await run(sessions[j]));
}
const outputs = sessions.map(() => []);
for (const [k, specs] of (req.outputsFor ?? []).entries()) {
  const x = readFeeds(specs);
  for (const [j, s] of sessions.entries()) {
    const got = {};
    for (const [name, t] of Object.entries(await s.run(x))) {
      if (t.type !== 'float32') throw new Error(`output '${name}' is ${t.type}; only float32 outputs are written`);
      const file = path.join(req.outputsDir, `out-m${j}-i${k}-${Object.keys(got).length}.bin`);
      fs.writeFileSync(file, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      got[name] = { shape: t.dims, file };
      t.dispose?.();
    }
    outputs[j].push(got);
  }
}
for (const s of sessions) await s.release();

if (req.profileRuns > 0) {
  for (const [j, file] of req.models.entries()) {
    const s = await create(file, true);
    for (let i = 0; i < req.profileRuns; i++) await run(s);
    fs.writeSync(1, `${BEGIN} ${j}\n`);
    s.endProfiling(); // the WASM writes the trace to fd 1 synchronously
    fs.writeSync(1, `${END} ${j}\n`);
    await s.release();
  }
}
const version = JSON.parse(fs.readFileSync(path.join(req.ortDir, '..', 'package.json'), 'utf8')).version;
fs.writeFileSync(req.out, JSON.stringify({ ortVersion: version, threads: req.threads, ms, outputs }));
process.exit(0); // onnxruntime-web's thread pool keeps Node alive otherwise
