// Edgeward's own WASM kernels for MobileNet-style convolution nets (AssemblyScript; web/tools/build.mjs
// compiles this to web/src/kernels/kernels.wasm). The Python oracle, src/edgeward/kernels/oracle.py, computes
// the same numbers bit for bit: every sum below is taken in a fixed order, with separate multiply and add
// (never a fused multiply-add, whose rounding differs between CPUs), and the int8 dot products are exact.
//
// Layout: NHWC throughout. Activations that feed a 3×3 convolution are fp32 with a one-pixel zero border
// ([H+2][W+2][C]; the border is never written), so no tap needs a bounds check. Activations that feed a
// 1×1 convolution are 7-bit unsigned bytes (0..127), so i32x4.relaxed_dot_i8x16_i7x16_add_s is exact and
// the same on every CPU (its result is only implementation-defined for bytes ≥ 128, and its pairwise sums
// never saturate: 2 × 128 × 127 < 32768). That instruction is what makes the 1×1 convolutions fast: 16
// multiply-adds per instruction (one VPDPBUSD where the CPU has AVX-VNNI), against 4 for fp32.

// ---- the 1×1 convolution: int8 weights × u7 activations → fp32 ------------------------------------------

/** out modes of pointwise() */
const OUT_F32_PADDED: i32 = 0; // ReLU6, fp32 into a bordered [H+2][W+2][N] buffer (feeds a 3×3 convolution)
const OUT_U7: i32 = 1;         // ReLU6, quantized to u7 bytes [H][W][N] (feeds another 1×1 convolution)
const OUT_F32: i32 = 2;        // no activation, fp32 [H][W][N] (a model output)

/**
 * y[p, n] = f32(Σ_k x[p, k] · w[k, n]) · scale[n] + bias[n] for P = H·W pixels; K % 4 == 0, N % 8 == 0.
 * x: u7 [P][K] (readable up to 3 pixels past P); w: i8 packed [N/8][K/4][8][4]; scale, bias: f32 [N].
 * outScale: 1 / the u7 scale of the output (OUT_U7 only).
 */
export function pointwise(x: usize, w: usize, scale: usize, bias: usize, out: usize,
                          H: i32, W: i32, K: i32, N: i32, mode: i32, outScale: f32): void {
  const P = H * W;
  const zero = i32x4.splat(0);
  for (let n0 = 0; n0 < N; n0 += 8) {
    const wb = w + <usize>(n0 * K);
    const s0 = v128.load(scale + <usize>n0 * 4), s1 = v128.load(scale + <usize>n0 * 4, 16);
    const b0 = v128.load(bias + <usize>n0 * 4), b1 = v128.load(bias + <usize>n0 * 4, 16);
    const ob = out + <usize>(mode == OUT_U7 ? n0 : n0 * 4); // this block's channels in each output pixel
    for (let p = 0; p < P; p += 4) {
      let a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
      let r0 = x + <usize>(p * K);
      const r1 = <usize>K, r2 = <usize>(2 * K), r3 = <usize>(3 * K);
      let wp = wb;
      for (let k = 0; k < K; k += 4) {
        const w0 = v128.load(wp), w1 = v128.load(wp, 16);
        const x0 = v128.load32_splat(r0), x1 = v128.load32_splat(r0 + r1);
        const x2 = v128.load32_splat(r0 + r2), x3 = v128.load32_splat(r0 + r3);
        a00 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x0, a00); a01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x0, a01);
        a10 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x1, a10); a11 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x1, a11);
        a20 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x2, a20); a21 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x2, a21);
        a30 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w0, x3, a30); a31 = i32x4.relaxed_dot_i8x16_i7x16_add_s(w1, x3, a31);
        wp += 32; r0 += 4;
      }
      store8(ob, p, W, N, mode, outScale, a00, a01, s0, s1, b0, b1, P);
      store8(ob, p + 1, W, N, mode, outScale, a10, a11, s0, s1, b0, b1, P);
      store8(ob, p + 2, W, N, mode, outScale, a20, a21, s0, s1, b0, b1, P);
      store8(ob, p + 3, W, N, mode, outScale, a30, a31, s0, s1, b0, b1, P);
    }
  }
}

// @ts-ignore: decorator
@inline function store8(out: usize, p: i32, W: i32, N: i32, mode: i32, outScale: f32,
                        a0: v128, a1: v128, s0: v128, s1: v128, b0: v128, b1: v128, P: i32): void {
  if (p >= P) return;
  let y0 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a0), s0), b0);
  let y1 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a1), s1), b1);
  if (mode == OUT_F32) {
    const o = out + <usize>p * <usize>N * 4;
    v128.store(o, y0); v128.store(o, y1, 16);
    return;
  }
  y0 = relu6(y0); y1 = relu6(y1);
  if (mode == OUT_F32_PADDED) {
    const q = p + (p / W) * 2 + W + 3; // (y + 1)·(W + 2) + (x + 1)
    const o = out + <usize>q * <usize>N * 4;
    v128.store(o, y0); v128.store(o, y1, 16);
  } else {
    v128.store64_lane(out + <usize>p * <usize>N, toU7x8(y0, y1, f32x4.splat(outScale)), 0);
  }
}

// @ts-ignore: decorator
@inline function relu6(v: v128): v128 {
  return f32x4.min(f32x4.max(v, f32x4.splat(0)), f32x4.splat(6));
}

/** round-half-even(y · inv), clamped to 0..127, as 8 bytes (the low half of the result); y ≥ 0. */
// @ts-ignore: decorator
@inline function toU7x8(y0: v128, y1: v128, inv: v128): v128 {
  const q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(y0, inv)));
  const q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(y1, inv)));
  const h = i16x8.min_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.splat(127));
  return i8x16.narrow_i16x8_u(h, h);
}

// ---- the 3×3 depthwise convolution: fp32, ReLU6, → u7 ----------------------------------------------------

/**
 * Depthwise 3×3, stride 1 or 2, over x: f32 bordered [H+2][W+2][C] (C % 4 == 0); w: f32 [9][C] (tap-major,
 * ky·3 + kx); bias f32 [C]. Each output is bias + tap 0 + … + tap 8 in that order, ReLU6, then u7 with
 * 1/scale outScale, into out [Ho][Wo][C] bytes.
 */
export function depthwise(x: usize, w: usize, bias: usize, out: usize, H: i32, W: i32, C: i32, stride: i32,
                          outScale: f32): void {
  const Ho = (H - 1) / stride + 1, Wo = (W - 1) / stride + 1;
  const row = <usize>((W + 2) * C) * 4, px = <usize>C * 4, step = px * <usize>stride;
  const inv = f32x4.splat(outScale);
  // row by row, then channel block: the three input rows a block reads stay in cache across its blocks
  for (let oy = 0; oy < Ho; oy++) {
    for (let c = 0; c < C; c += 4) {
      const cb = <usize>c * 4;
      const k0 = v128.load(w + cb), k1 = v128.load(w + px + cb), k2 = v128.load(w + 2 * px + cb);
      const k3 = v128.load(w + 3 * px + cb), k4 = v128.load(w + 4 * px + cb), k5 = v128.load(w + 5 * px + cb);
      const k6 = v128.load(w + 6 * px + cb), k7 = v128.load(w + 7 * px + cb), k8 = v128.load(w + 8 * px + cb);
      const b = v128.load(bias + cb);
      let i = x + <usize>(oy * stride) * row + cb;
      let o = out + <usize>(oy * Wo) * <usize>C + <usize>c;
      let ox = 0;
      for (; ox + 2 <= Wo; ox += 2) { // two pixels at a time: two independent chains of adds
        const j = i + step;
        let y = f32x4.add(b, f32x4.mul(v128.load(i), k0));
        let z = f32x4.add(b, f32x4.mul(v128.load(j), k0));
        y = f32x4.add(y, f32x4.mul(v128.load(i + px), k1)); z = f32x4.add(z, f32x4.mul(v128.load(j + px), k1));
        y = f32x4.add(y, f32x4.mul(v128.load(i + 2 * px), k2)); z = f32x4.add(z, f32x4.mul(v128.load(j + 2 * px), k2));
        y = f32x4.add(y, f32x4.mul(v128.load(i + row), k3)); z = f32x4.add(z, f32x4.mul(v128.load(j + row), k3));
        y = f32x4.add(y, f32x4.mul(v128.load(i + row + px), k4)); z = f32x4.add(z, f32x4.mul(v128.load(j + row + px), k4));
        y = f32x4.add(y, f32x4.mul(v128.load(i + row + 2 * px), k5)); z = f32x4.add(z, f32x4.mul(v128.load(j + row + 2 * px), k5));
        y = f32x4.add(y, f32x4.mul(v128.load(i + 2 * row), k6)); z = f32x4.add(z, f32x4.mul(v128.load(j + 2 * row), k6));
        y = f32x4.add(y, f32x4.mul(v128.load(i + 2 * row + px), k7)); z = f32x4.add(z, f32x4.mul(v128.load(j + 2 * row + px), k7));
        y = f32x4.add(y, f32x4.mul(v128.load(i + 2 * row + 2 * px), k8)); z = f32x4.add(z, f32x4.mul(v128.load(j + 2 * row + 2 * px), k8));
        const q = toU7x8(relu6(y), relu6(z), inv);
        v128.store32_lane(o, q, 0);
        v128.store32_lane(o + <usize>C, q, 1);
        i += 2 * step; o += 2 * <usize>C;
      }
      if (ox < Wo) {
        let y = f32x4.add(b, f32x4.mul(v128.load(i), k0));
        y = f32x4.add(y, f32x4.mul(v128.load(i + px), k1));
        y = f32x4.add(y, f32x4.mul(v128.load(i + 2 * px), k2));
        y = f32x4.add(y, f32x4.mul(v128.load(i + row), k3));
        y = f32x4.add(y, f32x4.mul(v128.load(i + row + px), k4));
        y = f32x4.add(y, f32x4.mul(v128.load(i + row + 2 * px), k5));
        y = f32x4.add(y, f32x4.mul(v128.load(i + 2 * row), k6));
        y = f32x4.add(y, f32x4.mul(v128.load(i + 2 * row + px), k7));
        y = f32x4.add(y, f32x4.mul(v128.load(i + 2 * row + 2 * px), k8));
        y = relu6(y);
        v128.store32_lane(o, toU7x8(y, y, inv), 0);
      }
    }
  }
}

// ---- the first convolution: full 3×3 over the image, fp32, ReLU6 → bordered fp32 -------------------------

/**
 * Full 3×3 convolution, padding 1, stride 1 or 2, over the image x: f32 [H][W][Cin] (no border); w: f32
 * [3][3][Cin][N] (N % 4 == 0); bias f32 [N]. Each output is bias + the in-bounds taps in (ky, kx, ci) order,
 * ReLU6, into out, bordered [Ho+2][Wo+2][N].
 */
export function conv3x3(x: usize, w: usize, bias: usize, out: usize, H: i32, W: i32, Cin: i32, N: i32,
                        stride: i32): void {
  const Ho = (H - 1) / stride + 1, Wo = (W - 1) / stride + 1;
  const tapStride = <usize>(Cin * N) * 4, pxIn = <usize>(Cin * 4), pxStep = pxIn * <usize>stride;
  for (let oy = 0; oy < Ho; oy++) {
    const o = out + <usize>(((oy + 1) * (Wo + 2) + 1) * N) * 4;
    let ox = 0;
    // four output pixels at a time where all their taps are inside the image, eight channels at a time
    if (N % 8 == 0) {
      for (; ox + 4 <= Wo; ox += 4) {
        if (ox * stride - 1 < 0 || (ox + 3) * stride + 1 >= W) { conv3x3Pixel(x, w, bias, o, oy, ox, H, W, Cin, N, stride); conv3x3Pixel(x, w, bias, o, oy, ox + 1, H, W, Cin, N, stride); conv3x3Pixel(x, w, bias, o, oy, ox + 2, H, W, Cin, N, stride); conv3x3Pixel(x, w, bias, o, oy, ox + 3, H, W, Cin, N, stride); continue; }
        for (let n = 0; n < N; n += 8) {
          const b0 = v128.load(bias + <usize>n * 4), b1 = v128.load(bias + <usize>n * 4, 16);
          let a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
          for (let ky = 0; ky < 3; ky++) {
            const iy = oy * stride + ky - 1;
            if (iy < 0 || iy >= H) continue;
            let xi = x + <usize>((iy * W + ox * stride - 1) * Cin) * 4;
            let wi = w + <usize>((ky * 3) * Cin * N + n) * 4;
            for (let kx = 0; kx < 3; kx++) {
              for (let ci = 0; ci < Cin; ci++) {
                const w0 = v128.load(wi), w1 = v128.load(wi, 16);
                const x0 = v128.load32_splat(xi), x1 = v128.load32_splat(xi + pxStep);
                const x2 = v128.load32_splat(xi + 2 * pxStep), x3 = v128.load32_splat(xi + 3 * pxStep);
                a00 = f32x4.add(a00, f32x4.mul(x0, w0)); a01 = f32x4.add(a01, f32x4.mul(x0, w1));
                a10 = f32x4.add(a10, f32x4.mul(x1, w0)); a11 = f32x4.add(a11, f32x4.mul(x1, w1));
                a20 = f32x4.add(a20, f32x4.mul(x2, w0)); a21 = f32x4.add(a21, f32x4.mul(x2, w1));
                a30 = f32x4.add(a30, f32x4.mul(x3, w0)); a31 = f32x4.add(a31, f32x4.mul(x3, w1));
                xi += 4; wi += <usize>N * 4;
              }
            }
          }
          const p = o + <usize>(ox * N + n) * 4, s = <usize>N * 4;
          v128.store(p, relu6(a00)); v128.store(p, relu6(a01), 16);
          v128.store(p + s, relu6(a10)); v128.store(p + s, relu6(a11), 16);
          v128.store(p + 2 * s, relu6(a20)); v128.store(p + 2 * s, relu6(a21), 16);
          v128.store(p + 3 * s, relu6(a30)); v128.store(p + 3 * s, relu6(a31), 16);
        }
      }
    }
    for (; ox < Wo; ox++) conv3x3Pixel(x, w, bias, o, oy, ox, H, W, Cin, N, stride);
  }
}

/** One output pixel of conv3x3 (o: its output row), every channel, taps bounds-checked. */
function conv3x3Pixel(x: usize, w: usize, bias: usize, o: usize, oy: i32, ox: i32, H: i32, W: i32, Cin: i32,
                      N: i32, stride: i32): void {
  for (let n = 0; n < N; n += 4) {
    let y = v128.load(bias + <usize>n * 4);
    for (let ky = 0; ky < 3; ky++) {
      const iy = oy * stride + ky - 1;
      if (iy < 0 || iy >= H) continue;
      for (let kx = 0; kx < 3; kx++) {
        const ix = ox * stride + kx - 1;
        if (ix < 0 || ix >= W) continue;
        const xi = x + <usize>((iy * W + ix) * Cin) * 4;
        const wi = w + <usize>(((ky * 3 + kx) * Cin) * N + n) * 4;
        for (let ci = 0; ci < Cin; ci++) {
          y = f32x4.add(y, f32x4.mul(v128.load32_splat(xi + <usize>ci * 4), v128.load(wi + <usize>(ci * N) * 4)));
        }
      }
    }
    v128.store(o + <usize>(ox * N + n) * 4, relu6(y));
  }
}

/** Whether this build's relaxed dot product gives the exact (CPU-independent) answer on u7 × i8 bytes. */
export function selfTest(): i32 {
  const a = i8x16(-128, 127, -1, 2, 3, -4, 5, 6, 7, 8, 9, 10, 11, 12, 13, -14);
  const b = i8x16(127, 127, 127, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
  const d = i32x4.relaxed_dot_i8x16_i7x16_add_s(a, b, i32x4.splat(1));
  return i32(i32x4.extract_lane(d, 0) == -128 * 127 + 127 * 127 - 127 + 2 + 1
    && i32x4.extract_lane(d, 1) == 0 - 4 + 10 + 18 + 1
    && i32x4.extract_lane(d, 2) == 28 + 40 + 54 + 70 + 1
    && i32x4.extract_lane(d, 3) == 88 + 108 + 130 - 154 + 1);
}
