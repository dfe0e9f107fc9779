// PoseNet decoding (single and multi-pose): an exact mirror of src/edgeward/tasks/posenet.py.
// Tensors are one image's outputs, NHWC without the batch axis, given as {data, h, w, c}:
//   scores   [H, W, K]   keypoint probabilities (float32 values)
//   offsets  [H, W, 2K]  channel k is dy, channel K + k is dx
//   dispFwd / dispBwd [H, W, 2E]  edge e: dy at e, dx at E + e
// Positions are in model-input pixels (cell * outputStride + offset); arithmetic is float64.

export const LOCAL_MAX_RADIUS = 1;

/** float32 logits → float32 probabilities, computed in float64 like the oracle. */
export function sigmoid(x, out = new Float32Array(x.length)) {
  for (let i = 0; i < x.length; i++) out[i] = 1.0 / (1.0 + Math.exp(-x[i]));
  return out;
}

// numpy's float64 add.reduce on a contiguous array (pairwise, 8 accumulators), so means match bit
// for bit.
function pairwiseSum(a, start, n) {
  if (n < 8) {
    let res = 0.0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = [];
    for (let j = 0; j < 8; j++) r.push(a[start + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

export function npMean(a) {
  return pairwiseSum(a, 0, a.length) / a.length;
}

export function decodeSingle(scores, offsets, stride) {
  const { h, w, c: k } = scores;
  const s = scores.data;
  const off = offsets.data;
  const oc = offsets.c;
  const ys = new Float64Array(k);
  const xs = new Float64Array(k);
  const kp = new Float64Array(k);
  for (let kk = 0; kk < k; kk++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let cell = 0; cell < h * w; cell++) {
      const v = s[cell * k + kk];
      if (v > bestScore) { bestScore = v; best = cell; } // first maximum, like np.argmax
    }
    const cy = Math.floor(best / w);
    const cx = best % w;
    const base = (cy * w + cx) * oc;
    ys[kk] = cy * stride + off[base + kk];
    xs[kk] = cx * stride + off[base + k + kk];
    kp[kk] = s[best * k + kk];
  }
  return { score: npMean(kp), ys, xs, scores: kp };
}

function candidates(scores, threshold) {
  const { h, w, c: k, data: s } = scores;
  const r = LOCAL_MAX_RADIUS;
  const t32 = Math.fround(threshold); // numpy compares a float32 array with a Python float in float32
  const out = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let kk = 0; kk < k; kk++) {
        const v = s[(y * w + x) * k + kk];
        if (!(v >= t32)) continue;
        let isMax = true;
        for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r) && isMax; yy++) {
          for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
            if (s[(yy * w + xx) * k + kk] > v) { isMax = false; break; }
          }
        }
        if (isMax) out.push([-v, y, x, kk]);
      }
    }
  }
  // The oracle pops a min-heap keyed (-score, y, x, k); keys are unique, so popping it yields
  // exactly this sorted order.
  out.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3]);
  return out;
}

function cellOf(pos, stride, size) {
  return Math.min(Math.max(Math.floor(pos / stride + 0.5), 0), size - 1);
}

function hop(srcY, srcX, edge, target, disp, scores, offsets, stride, refineSteps) {
  const { h, w, c: k } = scores;
  const nEdges = disp.c / 2;
  let cy = cellOf(srcY, stride, h);
  let cx = cellOf(srcX, stride, w);
  let base = (cy * w + cx) * disp.c;
  let y = srcY + disp.data[base + edge];
  let x = srcX + disp.data[base + nEdges + edge];
  for (let i = 0; i < refineSteps; i++) {
    cy = cellOf(y, stride, h);
    cx = cellOf(x, stride, w);
    base = (cy * w + cx) * offsets.c;
    y = cy * stride + offsets.data[base + target];
    x = cx * stride + offsets.data[base + k + target];
  }
  cy = cellOf(y, stride, h);
  cx = cellOf(x, stride, w);
  return [y, x, scores.data[(cy * w + cx) * k + target]];
}

function nearEarlier(poses, y, x, k, sqRadius) {
  for (const p of poses) {
    const dy = p.ys[k] - y;
    const dx = p.xs[k] - x;
    if (dy * dy + dx * dx <= sqRadius) return true;
  }
  return false;
}

export function decodeMultiple(scores, offsets, dispFwd, dispBwd, stride, chain, maxPoses,
  scoreThreshold, nmsRadius, refineSteps = 2) {
  const { w, c: k } = scores;
  const sqRadius = nmsRadius * nmsRadius;
  const queue = candidates(scores, scoreThreshold);
  const poses = [];
  for (let q = 0; q < queue.length && poses.length < maxPoses; q++) {
    const [negScore, cy, cx, root] = queue[q];
    const base = (cy * w + cx) * offsets.c;
    const ry = cy * stride + offsets.data[base + root];
    const rx = cx * stride + offsets.data[base + k + root];
    if (nearEarlier(poses, ry, rx, root, sqRadius)) continue;
    const ys = new Float64Array(k);
    const xs = new Float64Array(k);
    const kp = new Float64Array(k);
    const found = new Uint8Array(k);
    ys[root] = ry; xs[root] = rx; kp[root] = -negScore; found[root] = 1;
    for (let e = chain.length - 1; e >= 0; e--) {
      const [parent, child] = chain[e];
      if (found[child] && !found[parent]) {
        [ys[parent], xs[parent], kp[parent]] = hop(ys[child], xs[child], e, parent, dispBwd,
          scores, offsets, stride, refineSteps);
        found[parent] = 1;
      }
    }
    for (let e = 0; e < chain.length; e++) {
      const [parent, child] = chain[e];
      if (found[parent] && !found[child]) {
        [ys[child], xs[child], kp[child]] = hop(ys[parent], xs[parent], e, child, dispFwd,
          scores, offsets, stride, refineSteps);
        found[child] = 1;
      }
    }
    let total = 0;
    for (let j = 0; j < k; j++) if (!nearEarlier(poses, ys[j], xs[j], j, sqRadius)) total += kp[j];
    if (total / k >= scoreThreshold) poses.push({ score: total / k, ys, xs, scores: kp });
  }
  return poses;
}
