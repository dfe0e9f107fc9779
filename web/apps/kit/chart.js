// A small line chart on a <canvas>: a few series over one x axis (e.g. epochs), drawn with the 2D
// API — no chart library (the pages' CSP allows no eval, and nothing is downloaded at run time).
// The trainer apps draw their live training curves with it: loss and accuracy, train (solid) and
// held-out (dashed), one point added per epoch while the worker trains.
//
//   const chart = new LineChart(canvas, {title: 'Loss', series: [{label: 'train', color: '#00e676'},
//     {label: 'held-out', color: '#40c4ff', dashed: true}]});
//   chart.add(epoch, [trainLoss, testLoss]);   // null: no value for that series at this x
//   chart.clear();
//
// The canvas's aria-label says the latest values, so the chart is not only pixels.

/**
 * @typedef {{label: string, color: string, dashed?: boolean}} Series
 * @typedef {object} ChartOptions
 * @property {string} [title]
 * @property {Series[]} series
 * @property {number} [yMin]  fixed bottom of the y axis (default: 0, or the data's minimum if below)
 * @property {number} [yMax]  fixed top (default: the data's maximum, rounded up)
 * @property {string} [xLabel]  what x counts, for the aria-label (default 'epoch')
 * @property {string} [empty]  drawn in the middle while there is no point (e.g. 'no training yet')
 * @property {(v: number) => string} [format]  y tick and aria-label values (default 2 significant digits)
 */

const PAD = { left: 40, right: 10, top: 24, bottom: 22 };
const GRID = '#333a41';
const TEXT = '#9aa3ab';

const defaultFormat = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(2)).toString());

/** A tidy top for the y axis: max rounded up to 1, 2 or 5 × a power of ten. */
function niceCeil(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max) ?? 10 * p;
}

export class LineChart {
  /** @param {HTMLCanvasElement} canvas @param {ChartOptions} options */
  constructor(canvas, options) {
    this.canvas = canvas;
    this.options = { xLabel: 'epoch', format: defaultFormat, ...options };
    /** @type {{x: number, ys: (number | null)[]}[]} */ this.points = [];
    canvas.setAttribute('role', 'img');
    this.draw();
  }

  /** Add one x with a value per series (null where a series has none), and redraw. */
  add(x, ys) {
    this.points.push({ x, ys: ys.map((y) => (typeof y === 'number' && Number.isFinite(y) ? y : null)) });
    this.draw();
  }

  /** Replace every point: rows of [x, y1, y2, …]. */
  setData(rows) {
    this.points = [];
    for (const [x, ...ys] of rows) this.points.push({ x, ys: ys.map((y) => (Number.isFinite(y) ? y : null)) });
    this.draw();
  }

  clear() {
    this.points = [];
    this.draw();
  }

  /** The y range: the options' fixed ends, else from the data. */
  range() {
    const values = this.points.flatMap((p) => p.ys).filter((y) => y !== null);
    const lo = this.options.yMin ?? Math.min(0, ...values);
    const hi = this.options.yMax ?? (values.length ? niceCeil(Math.max(...values)) : lo + 1);
    return [lo, hi > lo ? hi : lo + 1];
  }

  /** Size the backing store to the element (crisp on high-DPI screens) and draw everything. */
  draw() {
    const { canvas } = this;
    const dpr = globalThis.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const height = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const plot = { x: PAD.left, y: PAD.top, w: Math.max(1, width - PAD.left - PAD.right), h: Math.max(1, height - PAD.top - PAD.bottom) };
    const [lo, hi] = this.range();
    const xs = this.points.map((p) => p.x);
    const x0 = xs.length ? Math.min(...xs) : 0;
    const x1 = xs.length ? Math.max(...xs, x0 + 1) : 1;
    const px = (x) => plot.x + ((x - x0) / (x1 - x0)) * plot.w;
    const py = (y) => plot.y + plot.h - ((y - lo) / (hi - lo)) * plot.h;
    this.drawFrame(ctx, plot, lo, hi, x0, x1, px);
    this.drawLegend(ctx, width);
    this.options.series.forEach((s, i) => this.drawSeries(ctx, s, i, px, py));
    this.describe();
  }

  drawFrame(ctx, plot, lo, hi, x0, x1, px) {
    const { format, title } = this.options;
    ctx.font = '11px system-ui, sans-serif';
    ctx.lineWidth = 1;
    ctx.strokeStyle = GRID;
    ctx.fillStyle = TEXT;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const y = plot.y + plot.h - (i / 4) * plot.h;
      ctx.beginPath();
      ctx.moveTo(plot.x, Math.round(y) + 0.5);
      ctx.lineTo(plot.x + plot.w, Math.round(y) + 0.5);
      ctx.stroke();
      ctx.fillText(format(lo + (i / 4) * (hi - lo)), plot.x - 4, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const step = Math.max(1, Math.ceil((x1 - x0) / 8)); // at most ~8 x ticks
    for (let x = Math.ceil(x0); x <= x1; x += step) ctx.fillText(String(x), px(x), plot.y + plot.h + 4);
    if (!this.points.length && this.options.empty) {
      ctx.textBaseline = 'middle';
      ctx.fillText(this.options.empty, plot.x + plot.w / 2, plot.y + plot.h / 2);
    }
    if (title) {
      ctx.textAlign = 'left';
      ctx.fillStyle = '#e6e9ec';
      ctx.fillText(title, 4, 4);
    }
  }

  drawLegend(ctx, width) {
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    let x = width - PAD.right;
    for (const s of [...this.options.series].reverse()) {
      const w = ctx.measureText(s.label).width;
      x -= w;
      ctx.fillStyle = TEXT;
      ctx.fillText(s.label, x, 4);
      x -= 22;
      this.stroke(ctx, s, () => { ctx.moveTo(x, 10); ctx.lineTo(x + 16, 10); });
      x -= 10;
    }
  }

  drawSeries(ctx, s, i, px, py) {
    const pts = this.points.filter((p) => p.ys[i] !== null && p.ys[i] !== undefined);
    if (!pts.length) return;
    this.stroke(ctx, s, () => pts.forEach((p, k) => (k ? ctx.lineTo : ctx.moveTo).call(ctx, px(p.x), py(p.ys[i]))));
    if (pts.length <= 30) { // dots while the points are few enough to tell apart
      ctx.fillStyle = s.color;
      for (const p of pts) {
        ctx.beginPath();
        ctx.arc(px(p.x), py(p.ys[i]), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }

  /** Stroke the path `trace` builds, in the series' colour and dash. */
  stroke(ctx, s, trace) {
    ctx.save();
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [6, 4] : []);
    ctx.beginPath();
    trace();
    ctx.stroke();
    ctx.restore();
  }

  /** The aria-label: the title and the last point's values. */
  describe() {
    const { title = 'chart', series, format, xLabel } = this.options;
    const last = this.points.at(-1);
    const values = last ? series.map((s, i) => `${s.label} ${last.ys[i] === null ? '–' : format(last.ys[i])}`).join(', ') : 'no data yet';
    this.canvas.setAttribute('aria-label', last ? `${title}, ${xLabel} ${last.x}: ${values}` : `${title}: ${values}`);
  }
}
