// Update norms as a histogram on a <canvas> (the dashboard's second chart): equal-width bins from 0 to
// the largest norm (or the clipping norm, if larger), with the clipping norm marked — updates right of
// the line were shortened by the server before they were averaged.

/**
 * Counts of `values` in `bins` equal bins over [0, top]; `top` is max(values, clip) rounded up a little.
 * @param {number[]} values @param {number} [bins] @param {number | null} [clip]
 * @returns {{edges: number[], counts: number[]}}
 */
export function histogram(values, bins = 12, clip = null) {
  const finite = values.filter(Number.isFinite);
  const top = Math.max(...finite, clip ?? 0, 1e-9) * 1.05;
  const width = top / bins;
  const counts = new Array(bins).fill(0);
  for (const v of finite) counts[Math.min(bins - 1, Math.max(0, Math.floor(v / width)))] += 1;
  return { edges: Array.from({ length: bins + 1 }, (_, i) => i * width), counts };
}

const PAD = { left: 34, right: 10, top: 24, bottom: 22 };

/**
 * Draw `hist` (see histogram) with the clipping norm as a dashed line; the aria-label says the numbers.
 * @param {HTMLCanvasElement} canvas @param {{edges: number[], counts: number[]}} hist
 * @param {{title: string, clip?: number | null, empty?: string}} options
 */
export function drawHistogram(canvas, hist, { title, clip = null, empty = 'no updates yet' }) {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const { width: w, height: h } = canvas;
  const plotW = w - PAD.left - PAD.right;
  const plotH = h - PAD.top - PAD.bottom;
  const n = hist.counts.reduce((a, b) => a + b, 0);
  const top = hist.edges[hist.edges.length - 1];
  const maxCount = Math.max(1, ...hist.counts);
  ctx.clearRect(0, 0, w, h);
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = '#e6e9ec';
  ctx.fillText(title, PAD.left, 15);
  ctx.fillStyle = '#9aa3ab';
  ctx.fillText(String(maxCount), 4, PAD.top + 10);
  ctx.fillText('0', 4, h - PAD.bottom);
  ctx.fillText('0', PAD.left, h - 6);
  ctx.fillText(top.toPrecision(2), w - PAD.right - 28, h - 6);
  if (n === 0) {
    ctx.fillText(empty, PAD.left + plotW / 2 - 40, PAD.top + plotH / 2);
    canvas.setAttribute('aria-label', `${title}: ${empty}`);
    return;
  }
  const barW = plotW / hist.counts.length;
  ctx.fillStyle = '#40c4ff';
  hist.counts.forEach((c, i) => {
    const bh = (c / maxCount) * plotH;
    ctx.fillRect(PAD.left + i * barW + 1, PAD.top + plotH - bh, barW - 2, bh);
  });
  if (clip !== null && clip > 0 && clip <= top) {
    const x = PAD.left + (clip / top) * plotW;
    ctx.strokeStyle = '#ff5252';
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x, PAD.top);
    ctx.lineTo(x, PAD.top + plotH);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#ff5252';
    ctx.fillText(`clip ${clip}`, Math.min(x + 3, w - 60), PAD.top + 10);
  }
  const over = clip === null ? 0 : hist.counts.filter((_, i) => hist.edges[i] >= clip).reduce((a, b) => a + b, 0);
  canvas.setAttribute('aria-label', `${title}: ${n} updates from 0 to ${top.toPrecision(2)}` +
    (clip === null ? '' : `, about ${over} above the clipping norm ${clip}`));
}
