// Letterbox pre-processing: an exact mirror of src/edgeward/runtime/preprocess.py (the oracle).
//   s     = min(out_w / W, out_h / H)
//   pad_x = (out_w - W * s) / 2,  pad_y = (out_h - H * s) / 2
//   for output pixel (i, j):  sx = (j + 0.5 - pad_x) / s - 0.5,  sy = (i + 0.5 - pad_y) / s - 0.5
//   outside [-0.5, W - 0.5] x [-0.5, H - 0.5] → pad_value; else bilinear sample of the RGB image at
//   (clamp(sx, 0, W-1), clamp(sy, 0, H-1)), then pixel * scale + offset (float64, stored float32).
// resize 'center_crop' uses s = max(out_w / W, out_h / H) instead (scale to cover; pads <= 0, nothing
// is padded), the rule otherwise the same.
// The image's alpha channel is dropped. Buffers are reused across frames of the same size.
// `run(image, 'tfjs-posenet')` pre-processes as @tensorflow-models/posenet does instead (./tfjs-resize.js).

import { ManifestError } from './errors.js';
import { TFJS_POSENET, tfjsPosenet } from './tfjs-resize.js';

export class Letterbox {
  /**
   * @param {number} scale  image pixels → model-input pixels
   * @param {number} padX  model-input pixels left of the image (negative: cropped)
   * @param {number} padY
   * @param {number} imageW
   * @param {number} imageH
   */
  constructor(scale, padX, padY, imageW, imageH) {
    this.scale = scale;
    this.padX = padX;
    this.padY = padY;
    this.imageW = imageW;
    this.imageH = imageH;
  }

  static fit(imageW, imageH, outW, outH, cover = false) {
    const s = cover ? Math.max(outW / imageW, outH / imageH) : Math.min(outW / imageW, outH / imageH);
    return new Letterbox(s, (outW - imageW * s) / 2, (outH - imageH * s) / 2, imageW, imageH);
  }

  /** Model-input pixel coordinates → image pixel coordinates. */
  toImage(x, y) {
    return [(x + 0.5 - this.padX) / this.scale - 0.5, (y + 0.5 - this.padY) / this.scale - 0.5];
  }
}

function axis(nOut, pad, s, nIn) {
  const i0 = new Int32Array(nOut);
  const i1 = new Int32Array(nOut);
  const f = new Float64Array(nOut);
  const inside = new Uint8Array(nOut);
  for (let j = 0; j < nOut; j++) {
    const src = (j + 0.5 - pad) / s - 0.5;
    inside[j] = src >= -0.5 && src <= nIn - 0.5 ? 1 : 0;
    const c = Math.min(Math.max(src, 0.0), nIn - 1);
    const a = Math.floor(c);
    i0[j] = a;
    i1[j] = Math.min(a + 1, nIn - 1);
    f[j] = c - a;
  }
  return { i0, i1, f, inside };
}

/**
 * A reusable letterbox for one preprocess spec ({size: [h, w], scale, offset, pad_value}).
 * `run(imageData)` fills and returns the same Float32Array [1, h, w, 3] (NHWC) every call, so
 * the caller must consume it (e.g. await the inference) before the next call.
 */
export class Preprocessor {
  constructor(spec) {
    if (spec.resize !== undefined && spec.resize !== 'letterbox' && spec.resize !== 'center_crop') {
      throw new ManifestError(`field 'preprocess.resize': '${spec.resize}' is not supported`);
    }
    this.cover = spec.resize === 'center_crop';
    this.outH = spec.size[0];
    this.outW = spec.size[1];
    this.scale = spec.scale;
    this.offset = spec.offset;
    this.padValue = spec.pad_value ?? 0.0;
    this.output = new Float32Array(this.outH * this.outW * 3);
    this._key = '';
    this._box = null;
    this._ax = null;
    this._ay = null;
  }

  /**
   * `image`: {width, height, data} with RGBA bytes (ImageData). Returns {data, box}. `resize`: null for
   * the manifest's rule, or 'tfjs-posenet' (box: a PaddedResize, with the same toImage / scale / imageW).
   */
  run(image, resize = null) {
    if (resize === TFJS_POSENET) {
      const box = tfjsPosenet(image, this.outH, this.outW, this.scale, this.offset, this.output);
      return { data: this.output, box };
    }
    if (resize !== null && resize !== undefined) throw new RangeError(`resize must be '${TFJS_POSENET}' or null, got ${resize}`);
    const { width: w, height: h, data: px } = image;
    const key = `${w}x${h}`;
    if (key !== this._key) {
      this._box = Letterbox.fit(w, h, this.outW, this.outH, this.cover);
      this._ax = axis(this.outW, this._box.padX, this._box.scale, w);
      this._ay = axis(this.outH, this._box.padY, this._box.scale, h);
      this._key = key;
    }
    const { outW, outH, scale, offset, padValue, output: out } = this;
    const ax = this._ax;
    const ay = this._ay;
    let o = 0;
    for (let i = 0; i < outH; i++) {
      const fy = ay.f[i];
      const rowIn = ay.inside[i] === 1;
      const r0 = ay.i0[i] * w * 4;
      const r1 = ay.i1[i] * w * 4;
      for (let j = 0; j < outW; j++) {
        if (!rowIn || ax.inside[j] !== 1) {
          out[o] = padValue; out[o + 1] = padValue; out[o + 2] = padValue;
          o += 3;
          continue;
        }
        const fx = ax.f[j];
        const c0 = ax.i0[j] * 4;
        const c1 = ax.i1[j] * 4;
        for (let c = 0; c < 3; c++) {
          const top = px[r0 + c0 + c] * (1 - fx) + px[r0 + c1 + c] * fx;
          const bottom = px[r1 + c0 + c] * (1 - fx) + px[r1 + c1 + c] * fx;
          out[o + c] = (top * (1 - fy) + bottom * fy) * scale + offset;
        }
        o += 3;
      }
    }
    return { data: out, box: this._box };
  }
}

/**
 * A Preprocessor for `spec` whose code has run once, on a blank square image: the first pre-processing
 * runs cold JS (tens of ms, ten times a warm one), better while the model loads than on the first frame.
 */
export function warmPreprocessor(spec) {
  const pre = new Preprocessor(spec);
  const side = 64;
  pre.run({ width: side, height: side, data: new Uint8ClampedArray(side * side * 4) });
  return pre;
}

/** One-shot convenience: a fresh Preprocessor (allocates). */
export function letterbox(image, spec) {
  const p = new Preprocessor(spec);
  return p.run(image);
}

/**
 * Integer model inputs (MoveNet's int32 pixels) get floor(v + 0.5) of the float32 letterbox, as
 * src/edgeward/runtime/preprocess.py `to_input_dtype` does; `out` (an Int32Array) is reused.
 */
export function toInt32Input(src, out = new Int32Array(src.length)) {
  for (let i = 0; i < src.length; i++) out[i] = Math.floor(src[i] + 0.5);
  return out;
}
