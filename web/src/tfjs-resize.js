// TF.js's bilinear resize and @tensorflow-models/posenet's pre-processing built on it (the pose option
// `resize: 'tfjs-posenet'`): an exact mirror of src/edgeward/runtime/tfjs_resize.py (the oracle; the rule
// is written out there). In short, as @tensorflow-models/posenet 2.2.2 does (dist/util.js):
//   pad the image with black to the model input's aspect (Math.round(0.5 * (aspect gap)) pixels each
//   side), tf.image.resizeBilinear(padded, [outH, outW]) with alignCorners = halfPixelCenters = false,
//   then the manifest's scale / offset; back: x = xIn * (W + 2 padX) / outW - padX (no half pixels).
// TF.js's axis: src = ratio * i (ratio = nIn / nOut), i0 = max(0, floor(src)), frac = src - i0,
// i1 = min(nIn - 1, ceil(src)); value = top + (bottom - top) * fy, top = tl + (tr - tl) * fx (float64,
// then float32). The padding is never materialised: a pad pixel reads as 0.

/** The rule's name, as the pose option `resize` takes it. */
export const TFJS_POSENET = 'tfjs-posenet';

/**
 * TF.js's sampling of one axis (tfjs-backend-cpu ResizeBilinear): i0, i1, frac per output index.
 * @param {number} nOut @param {number} nIn @param {boolean} [alignCorners] @param {boolean} [halfPixelCenters]
 */
export function tfAxis(nOut, nIn, alignCorners = false, halfPixelCenters = false) {
  if (alignCorners && halfPixelCenters) throw new RangeError('resizeBilinear: halfPixelCenters needs alignCorners false');
  const corners = alignCorners && nOut > 1;
  const ratio = corners ? (nIn - 1) / (nOut - 1) : nIn / nOut;
  const i0 = new Int32Array(nOut);
  const i1 = new Int32Array(nOut);
  const frac = new Float64Array(nOut);
  for (let i = 0; i < nOut; i++) {
    const src = halfPixelCenters ? ratio * (i + 0.5) - 0.5 : ratio * i;
    const lo = Math.max(0, Math.floor(src));
    i0[i] = lo;
    i1[i] = Math.min(nIn - 1, Math.ceil(src));
    frac[i] = src - lo;
  }
  return { i0, i1, frac };
}

/** [padTop, padLeft] of @tensorflow-models/posenet's padAndResizeTo (the same again bottom / right). */
export function posenetPads(imageW, imageH, outW, outH) {
  const targetAspect = outW / outH;
  if (imageW / imageH < targetAspect) return [0, Math.round(0.5 * (targetAspect * imageH - imageW))];
  return [Math.round(0.5 * ((1.0 / targetAspect) * imageW - imageH)), 0];
}

/** How an image was padded and resized into the model input, and the way back (posenet's scaleAndFlipPoses). */
export class PaddedResize {
  /**
   * @param {number} stepX  image pixels per model-input pixel across
   * @param {number} stepY
   * @param {number} padX  black columns left (and right) of the image
   * @param {number} padY
   * @param {number} imageW
   * @param {number} imageH
   */
  constructor(stepX, stepY, padX, padY, imageW, imageH) {
    this.stepX = stepX;
    this.stepY = stepY;
    this.padX = padX;
    this.padY = padY;
    this.imageW = imageW;
    this.imageH = imageH;
    /** Model-input pixels per image pixel (the axes' geometric mean: they differ by the pads' rounding). */
    this.scale = 1 / Math.sqrt(stepX * stepY);
  }

  static fit(imageW, imageH, outW, outH) {
    const [padY, padX] = posenetPads(imageW, imageH, outW, outH);
    return new PaddedResize((imageW + 2 * padX) / outW, (imageH + 2 * padY) / outH, padX, padY, imageW, imageH);
  }

  /** Model-input pixel coordinates → image pixel coordinates. */
  toImage(x, y) {
    return [x * this.stepX - this.padX, y * this.stepY - this.padY];
  }
}

/** TF.js's axis over the padded length, as indices into the unpadded image (-1: a pad pixel). */
function paddedAxis(nOut, nIn, pad) {
  const { i0, i1, frac } = tfAxis(nOut, nIn + 2 * pad);
  const inside = (i) => (i - pad >= 0 && i - pad < nIn ? i - pad : -1);
  return { i0: i0.map(inside), i1: i1.map(inside), frac };
}

/**
 * Fill `out` (Float32Array [outH * outW * 3], NHWC) from RGBA `image` ({width, height, data}) the way
 * @tensorflow-models/posenet pre-processes, then `* scale + offset`. Returns the PaddedResize.
 */
export function tfjsPosenet(image, outH, outW, scale, offset, out) {
  const { width: w, height: h, data: px } = image;
  const box = PaddedResize.fit(w, h, outW, outH);
  const ay = paddedAxis(outH, h, box.padY);
  const ax = paddedAxis(outW, w, box.padX);
  const at = (row, col, c) => (row < 0 || col < 0 ? 0 : px[(row * w + col) * 4 + c]);
  let o = 0;
  for (let i = 0; i < outH; i++) {
    const fy = ay.frac[i];
    for (let j = 0; j < outW; j++) {
      const fx = ax.frac[j];
      for (let c = 0; c < 3; c++) {
        const tl = at(ay.i0[i], ax.i0[j], c);
        const top = tl + (at(ay.i0[i], ax.i1[j], c) - tl) * fx;
        const bl = at(ay.i1[i], ax.i0[j], c);
        const bottom = bl + (at(ay.i1[i], ax.i1[j], c) - bl) * fx;
        out[o + c] = Math.fround(top + (bottom - top) * fy) * scale + offset; // TF.js's float32 tensor, then normalised
      }
      o += 3;
    }
  }
  return box;
}
