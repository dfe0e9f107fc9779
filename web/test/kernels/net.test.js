// Edgeward's WASM kernels (src/kernels/net.js over kernels.wasm) give their oracle's outputs
// (src/edgeward/kernels/oracle.py) bit for bit: the zoo's PoseNet int8-kernels file on a real photo at both
// its sizes, and a small net whose shapes reach every edge of the kernels (tests/web/kernels_fixtures.py);
// and a damaged .ewk file is refused, naming its field, as src/edgeward/kernels/plan.py refuses it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ModelFormatError, ToolMissingError } from '../../src/errors.js';
import { KernelNet, parsePlan } from '../../src/kernels/net.js';
import { ASC, KERNELS_ASC_ARGS, WEB } from '../../tools/kernels.mjs';
import { loadFixture } from '../helpers.js';

const RELAXED = '--experimental-wasm-relaxed-simd';
const wasm = fs.readFileSync(new URL('../../src/kernels/kernels.wasm', import.meta.url));
const fixture = loadFixture('kernels');
const planBytes = (c) => (c.planFile ? fs.readFileSync(c.planFile) : Buffer.from(c.planBase64, 'base64'));

test('kernels.wasm is what web/kernels/kernels.ts compiles to (rebuild: node tools/build.mjs)', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'edgeward-kernels-')), 'kernels.wasm');
  const asc = spawnSync(process.execPath, [ASC, ...KERNELS_ASC_ARGS, '-o', out], { cwd: WEB, encoding: 'utf8' });
  assert.equal(asc.status, 0, asc.stderr);
  const built = fs.readFileSync(out);
  fs.rmSync(path.dirname(out), { recursive: true });
  assert.ok(built.equals(wasm), 'src/kernels/kernels.wasm is stale: run `node tools/build.mjs` in web/');
});

// Node 20's relaxed SIMD (behind a flag) is an early draft whose dot product gives other sums than the final
// one Chrome ships (twice the products, the addend dropped): its kernels must refuse to run, never answer
// wrong. Where a Node has the final instruction, the outputs must be the oracle's bit for bit. (Chromium runs
// the same comparison in tests/browser/test_kernels.py.)
if (!WebAssembly.validate(wasm) && !process.execArgv.includes(RELAXED)) {
  test(`the kernels run or refuse, in a child node with ${RELAXED}`, () => {
    const child = spawnSync(process.execPath, [RELAXED, fileURLToPath(import.meta.url)], { env: process.env, encoding: 'utf8' });
    assert.equal(child.status, 0, `${child.stdout}\n${child.stderr}`);
  });
} else {
  const module = await WebAssembly.compile(wasm);
  for (const [name, c] of Object.entries(fixture.cases)) {
    test(`the kernels give the oracle's outputs bit for bit, or refuse to run: ${name}`, async () => {
      let net;
      try {
        net = await KernelNet.create(module, planBytes(c), name);
      } catch (err) {
        assert.ok(err instanceof ToolMissingError && /relaxed dot product does not give the exact sums/.test(err.message), err);
        return;
      }
      const [, H, W] = c.input.dims;
      const out = await net.run({ [net.inputNames[0]]: { data: Float32Array.from(c.input.data), dims: c.input.dims } });
      assert.deepEqual(Object.keys(out), Object.keys(c.outputs));
      for (const [key, want] of Object.entries(c.outputs)) {
        assert.deepEqual(out[key].dims, want.dims, key);
        const expected = Float32Array.from(want.data);
        let differ = 0;
        for (let i = 0; i < expected.length; i++) if (out[key].data[i] !== expected[i]) differ++;
        assert.equal(differ, 0, `${key}: ${differ} of ${expected.length} values differ (${H}x${W})`);
      }
    });
  }
}

test('an input of the wrong shape is refused, naming it', async () => {
  const c = fixture.cases['a small net at 8x8'];
  const net = new KernelNet(parsePlan(planBytes(c)).header, parsePlan(planBytes(c)).blob, new WebAssembly.Memory({ initial: 1 }), {});
  await assert.rejects(net.run({ x: { data: new Float32Array(8 * 8 * 4), dims: [1, 8, 8, 4] } }),
    /input 'x': dims \[1,8,8,4\] are not \[1, H, W, 3\]/);
  await assert.rejects(net.run({ y: { data: new Float32Array(3), dims: [1, 1, 1, 3] } }), /input 'x' is missing/);
});

test('a damaged file is refused with a ModelFormatError naming the file and field', () => {
  const good = Buffer.from(fixture.cases['a small net at 8x8'].planBase64, 'base64');
  const length = good.readUInt32LE(4);
  const header = JSON.parse(good.subarray(8, 8 + length).toString());
  const withHeader = (edit) => {
    const h = structuredClone(header);
    edit(h);
    const text = Buffer.from(JSON.stringify(h));
    const head = Buffer.concat([Buffer.from('EWK1'), Buffer.alloc(4), text]);
    head.writeUInt32LE(text.length, 4);
    const pad = Buffer.alloc((16 - (head.length % 16)) % 16);
    return Buffer.concat([head, pad, good.subarray(8 + length + ((16 - ((8 + length) % 16)) % 16))]);
  };
  const cases = [
    [Buffer.from('not a plan'), /small\.ewk: not an Edgeward kernels file/],
    [good.subarray(0, 40), /truncated: the header claims/],
    [withHeader((h) => { h.version = 2; }), /field 'format'\/'version'/],
    [withHeader((h) => { h.layers[1].weight[1] += 4; }), /layers\[1\]\.weight: .* is not 432 bytes/],
    [withHeader((h) => { h.layers[2].k = 16; }), /layers\[2\]: takes 16 channels, the layer before gives 12/],
    [withHeader((h) => { h.layers[3].op = 'pool'; }), /layers\[3\]\.op: "pool" is not conv3x3/],
    [withHeader((h) => { h.layers[1].stride = 3; }), /layers\[1\]\.stride: 3 is not one of 1,2/],
    [withHeader((h) => { h.layers[2].mode = 'u7'; }), /layers\[3\]: takes f32-padded input, the layer before gives u7/],
    [withHeader((h) => { h.layers[5].outputs[0].count = 9; }), /output 'b' \(channels 5\.\.14\) is outside the last layer's 13 channels/],
    [withHeader((h) => { h.outputs = ['a']; }), /field 'outputs' \["a"\] does not name the last layer's outputs/],
    [withHeader((h) => { h.layers[1].out_scale = -1; }), /layers\[1\]\.out_scale: -1 is not a positive number/],
    [withHeader((h) => { h.layers[2].n = 12; }), /layers\[2\]\.n: 12 is not a multiple of 8 \(a 1×1 convolution another layer reads\)/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => parsePlan(bytes, 'small.ewk'), (err) => err instanceof ModelFormatError && message.test(err.message), String(message));
  }
  assert.doesNotThrow(() => parsePlan(withHeader(() => {}), 'small.ewk'));
});
