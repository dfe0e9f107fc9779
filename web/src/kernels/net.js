// A `.ewk` net (src/edgeward/kernels/plan.py writes it) on Edgeward's own WASM kernels (web/kernels/kernels.ts,
// compiled to ./kernels.wasm): one thread, NHWC, the 1×1 convolutions int8 on WASM's relaxed dot product.
// Its outputs equal src/edgeward/kernels/oracle.py's bit for bit (web/test/kernels.test.js).

import { ModelFormatError, ToolMissingError } from '../errors.js';

export const KERNELS_URL = new URL('./kernels.wasm', import.meta.url).href;
const MAGIC = 'EWK1';
const FORMAT = 'edgeward-kernels';
const PAGE = 65536;
const MODE = { 'f32-padded': 0, u7: 1, f32: 2 };
const pad8 = (n) => Math.ceil(n / 8) * 8;
const align = (n) => Math.ceil(n / 64) * 64;

/**
 * @typedef {{op: 'conv3x3', stride: number, cin: number, n: number, weight: number[], bias: number[]}
 *   | {op: 'depthwise', stride: number, c: number, weight: number[], bias: number[], out_scale: number}
 *   | {op: 'pointwise', k: number, n: number, mode: 'f32-padded' | 'u7' | 'f32', weight: number[], scale: number[],
 *      bias: number[], out_scale: number, outputs?: {name: string, start: number, count: number}[]}} Layer
 * @typedef {{input: {name: string}, outputs: string[], layers: Layer[]}} Header
 */

/** The header and blob of a `.ewk` file; a ModelFormatError naming the field when it is not one. */
export function parsePlan(bytes, where = 'the model file') {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const fail = (what) => new ModelFormatError(`${where}: ${what}`);
  if (u8.length < 8 || String.fromCharCode(...u8.subarray(0, 4)) !== MAGIC) throw fail(`not an Edgeward kernels file (no '${MAGIC}' magic)`);
  const length = new DataView(u8.buffer, u8.byteOffset, 8).getUint32(4, true);
  if (8 + length > u8.length) throw fail(`truncated: the header claims ${length} bytes, the file has ${u8.length - 8}`);
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + length)));
  } catch (err) {
    throw fail(`the header is not JSON (${err.message})`);
  }
  if (header?.format !== FORMAT || header.version !== 1) throw fail(`field 'format'/'version': expected '${FORMAT}' version 1`);
  const start = 8 + length + ((16 - ((8 + length) % 16)) % 16);
  const blob = u8.subarray(start);
  if (!Array.isArray(header.layers) || !header.layers.length) throw fail("field 'layers': no layers");
  const check = (i, layer, key, bytesWanted) => {
    const w = layer[key];
    if (!Array.isArray(w) || w.length !== 2 || !w.every(Number.isInteger) || w[0] < 0 || w[0] % 16
        || w[1] !== bytesWanted || w[0] + w[1] > blob.length) {
      throw fail(`layers[${i}].${key}: ${JSON.stringify(w)} is not ${bytesWanted} bytes at a 16-byte offset inside the ${blob.length}-byte blob`);
    }
  };
  const count = (i, layer, key, allowed) => {
    const v = layer[key];
    if (!Number.isInteger(v) || v <= 0 || (allowed && !allowed.includes(v))) {
      throw fail(`layers[${i}].${key}: ${JSON.stringify(v)} is not ${allowed ? `one of ${allowed}` : 'a count'}`);
    }
    return v;
  };
  let channels = 0;
  let gives = null;
  header.layers.forEach((layer, i) => {
    const takes = { conv3x3: null, depthwise: 'f32-padded', pointwise: 'u7' }[layer?.op];
    if (takes === undefined) throw fail(`layers[${i}].op: ${JSON.stringify(layer?.op)} is not conv3x3, depthwise or pointwise`);
    if ((i === 0) !== (layer.op === 'conv3x3')) throw fail(`layers[${i}]: conv3x3 runs first, and only first`);
    if (i > 0 && takes !== gives) throw fail(`layers[${i}]: takes ${takes} input, the layer before gives ${gives}`);
    if (layer.op !== 'conv3x3' && (layer.op === 'depthwise' ? layer.c : layer.k) !== channels) {
      throw fail(`layers[${i}]: takes ${layer.op === 'depthwise' ? layer.c : layer.k} channels, the layer before gives ${channels}`);
    }
    if (layer.op !== 'conv3x3' && !(layer.out_scale > 0 && Number.isFinite(layer.out_scale))) {
      throw fail(`layers[${i}].out_scale: ${JSON.stringify(layer.out_scale)} is not a positive number`);
    }
    if (layer.op === 'conv3x3') {
      const cin = count(i, layer, 'cin');
      const n = count(i, layer, 'n');
      if (n % 4) throw fail(`layers[${i}].n: ${n} is not a multiple of 4`);
      count(i, layer, 'stride', [1, 2]);
      check(i, layer, 'weight', 36 * cin * n);
      check(i, layer, 'bias', 4 * n);
      [channels, gives] = [n, 'f32-padded'];
    } else if (layer.op === 'depthwise') {
      const c = count(i, layer, 'c');
      if (c % 4) throw fail(`layers[${i}].c: ${c} is not a multiple of 4`);
      count(i, layer, 'stride', [1, 2]);
      check(i, layer, 'weight', 36 * c);
      check(i, layer, 'bias', 4 * c);
      gives = 'u7';
    } else {
      const k = count(i, layer, 'k');
      const n = count(i, layer, 'n');
      if (k % 4) throw fail(`layers[${i}].k: ${k} is not a multiple of 4`);
      if (!(layer.mode in MODE)) throw fail(`layers[${i}].mode: ${JSON.stringify(layer.mode)} is not one of ${Object.keys(MODE)}`);
      if (layer.mode !== 'f32' && n % 8) throw fail(`layers[${i}].n: ${n} is not a multiple of 8 (a 1×1 convolution another layer reads)`);
      check(i, layer, 'weight', k * pad8(n));
      check(i, layer, 'scale', 4 * pad8(n));
      check(i, layer, 'bias', 4 * pad8(n));
      [channels, gives] = [n, layer.mode];
    }
  });
  const last = header.layers[header.layers.length - 1];
  if (last.op !== 'pointwise' || last.mode !== 'f32') throw fail(`layers[${header.layers.length - 1}]: the last layer must be a pointwise one in mode f32 (the outputs)`);
  const outs = last.outputs ?? [];
  if (!Array.isArray(header.outputs) || header.outputs.length !== outs.length
      || !header.outputs.every((name) => outs.some((o) => o.name === name))) {
    throw fail(`field 'outputs' ${JSON.stringify(header.outputs)} does not name the last layer's outputs`);
  }
  for (const o of outs) {
    if (!Number.isInteger(o.start) || !Number.isInteger(o.count) || o.start < 0 || o.count <= 0 || o.start + o.count > last.n) {
      throw fail(`output '${o.name}' (channels ${o.start}..${o.start + o.count}) is outside the last layer's ${last.n} channels`);
    }
  }
  if (typeof header.input?.name !== 'string') throw fail("field 'input.name' is missing");
  return { header: /** @type {Header} */ (header), blob };
}

let compiled = null;
/** The kernels' compiled module (once per worker); a ToolMissingError when this browser lacks relaxed SIMD. */
export async function kernelsModule(url = KERNELS_URL) {
  compiled ??= (async () => {
    const response = await fetch(url);
    if (!response.ok) throw new ToolMissingError(`Edgeward's kernels could not be fetched from ${url} (HTTP ${response.status})`);
    const bytes = await response.arrayBuffer();
    if (!WebAssembly.validate(bytes)) {
      throw new ToolMissingError('this browser\'s WebAssembly has no relaxed SIMD, which Edgeward\'s kernels need (Chrome 114+, Firefox 120+)');
    }
    return WebAssembly.compile(bytes);
  })();
  compiled.catch(() => { compiled = null; });
  return compiled;
}

/** The spatial size after a 3×3 layer at `stride` (padding 1). */
const down = (h, stride) => Math.floor((h - 1) / stride) + 1;

export class KernelNet {
  /**
   * @param {WebAssembly.Module} module  kernelsModule()'s
   * @param {ArrayBuffer | Uint8Array} bytes  the .ewk file
   * @param {string} [where]  the file's name, for errors
   */
  static async create(module, bytes, where) {
    const { header, blob } = parsePlan(bytes, where);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = await WebAssembly.instantiate(module, { env: { memory, abort: () => { throw new Error('kernels: abort'); } } });
    if (!/** @type {any} */ (instance.exports).selfTest()) {
      throw new ToolMissingError('this browser\'s relaxed dot product does not give the exact sums Edgeward\'s kernels need');
    }
    return new KernelNet(header, blob, memory, instance.exports);
  }

  constructor(header, blob, memory, exports) {
    this.header = header;
    this.memory = memory;
    this.k = exports;
    this.inputNames = [header.input.name];
    this.outputNames = [...header.outputs];
    this.top = PAGE; // the first 64 kB stay free
    // the weights, copied once into WASM memory: each layer's arrays by their blob offsets
    const base = this.alloc(blob.length);
    new Uint8Array(this.memory.buffer, base, blob.length).set(blob);
    this.layers = header.layers.map((l) => {
      const at = (key) => base + l[key][0];
      return { ...l, w: at('weight'), b: at('bias'), s: l.op === 'pointwise' ? at('scale') : 0 };
    });
    /** @type {Map<string, any>} buffers per input size */
    this.sizes = new Map();
  }

  alloc(bytes) {
    const at = this.top;
    this.top = align(at + bytes);
    const need = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
    return at;
  }

  /** The activation buffers for an H×W input (fresh memory: the borders stay zero, nothing writes them). */
  plan(H, W) {
    const id = `${H}x${W}`;
    let made = this.sizes.get(id);
    if (made) return made;
    const cin = this.layers[0].cin;
    const input = this.alloc(H * W * cin * 4);
    const steps = [];
    let h = H;
    let w = W;
    let from = input;
    for (const l of this.layers) {
      let out;
      let bytes;
      if (l.op === 'conv3x3' || l.op === 'depthwise') {
        const ho = down(h, l.stride);
        const wo = down(w, l.stride);
        const c = l.op === 'conv3x3' ? l.n : l.c;
        bytes = l.op === 'conv3x3' ? (ho + 2) * (wo + 2) * c * 4 : (ho * wo + 3) * c; // u7: 3 pixels of slack for the 4-pixel tiles
        out = this.alloc(bytes);
        steps.push({ l, from, out, h, w });
        [h, w] = [ho, wo];
      } else {
        const n = pad8(l.n);
        bytes = l.mode === 'f32-padded' ? (h + 2) * (w + 2) * n * 4 : l.mode === 'u7' ? (h * w + 3) * n : h * w * n * 4;
        out = this.alloc(bytes);
        steps.push({ l, from, out, h, w });
      }
      from = out;
    }
    made = { input, steps, out: from, h, w };
    this.sizes.set(id, made);
    return made;
  }

  /**
   * Run on `image` (Float32Array, [1, H, W, C] NHWC): {name: {data: Float32Array, dims}} in the model's output order.
   * @param {Float32Array} image @param {number} H @param {number} W
   */
  runImage(image, H, W) {
    const p = this.plan(H, W);
    const { k } = this;
    new Float32Array(this.memory.buffer, p.input, image.length).set(image);
    for (const { l, from, out, h, w } of p.steps) {
      if (l.op === 'conv3x3') k.conv3x3(from, l.w, l.b, out, h, w, l.cin, l.n, l.stride);
      else if (l.op === 'depthwise') k.depthwise(from, l.w, l.b, out, h, w, l.c, l.stride, l.out_scale);
      else k.pointwise(from, l.w, l.s, l.b, out, h, w, l.k, pad8(l.n), MODE[l.mode], l.out_scale);
    }
    const last = this.layers[this.layers.length - 1];
    const n = pad8(last.n);
    const pixels = p.h * p.w;
    const all = new Float32Array(this.memory.buffer, p.out, pixels * n);
    const result = {};
    for (const name of this.outputNames) {
      const { start, count } = last.outputs.find((o) => o.name === name);
      const data = new Float32Array(pixels * count);
      for (let i = 0; i < pixels; i++) data.set(all.subarray(i * n + start, i * n + start + count), i * count);
      result[name] = { data, dims: [1, p.h, p.w, count] };
    }
    return result;
  }

  /** onnxruntime-web's InferenceSession.run, as the worker calls it: feeds {name: {data, dims}}. */
  async run(feeds) {
    const feed = feeds[this.inputNames[0]];
    if (!feed) throw new TypeError(`input '${this.inputNames[0]}' is missing`);
    const [, H, W, C] = feed.dims;
    if (feed.dims.length !== 4 || C !== this.layers[0].cin || feed.data.length !== H * W * C) {
      throw new RangeError(`input '${this.inputNames[0]}': dims [${feed.dims}] are not [1, H, W, ${this.layers[0].cin}]`);
    }
    return this.runImage(feed.data, H, W);
  }

  async release() {
    this.sizes.clear();
  }
}
