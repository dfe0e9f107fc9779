// The accessories, drawn as vector art (Canvas 2D paths, no image files) in the face frame of
// placement.js: origin at the eyes' midpoint, x along the eye line, y down the face, one unit = the
// distance between the eyes. Each draw function gets the 2D context and the (smoothed) face.
// The sunglasses are nearly all lens, and the lenses are centred on the eyes (only the thin bridge and
// temples sit higher), so the centre of what is drawn is within 0.02 eye distances of the eyes'
// midpoint — what the browser test measures on the pixels.

/** @typedef {import('./placement.js').Face} Face */

/** ctx transformed into the face frame of `p` for `draw()`, then restored. */
function inFaceFrame(ctx, p, draw) {
  ctx.save();
  ctx.translate(p.cx, p.cy);
  ctx.rotate(p.angle);
  ctx.scale(p.scale, p.scale);
  try {
    draw();
  } finally {
    ctx.restore();
  }
}

/** A rounded rectangle path centred on (x, y). */
function roundedRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.roundRect(x - w / 2, y - h / 2, w, h, r);
}

const LENS = { x: 0.55, w: 0.96, h: 0.62, r: [0.14, 0.14, 0.3, 0.3] }; // centre offset, size, corner radii

/** Dark lenses over both eyes with a reflection, a bridge between them and the temples to the ears. */
export function drawSunglasses(ctx, { placement: p }) {
  inFaceFrame(ctx, p, () => {
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.strokeStyle = '#101214';
    ctx.lineWidth = 0.08;
    ctx.beginPath(); // temples: from the lenses' outer edges towards the ears
    ctx.moveTo(-LENS.x - LENS.w / 2, -0.14);
    ctx.lineTo(-1.3, -0.12);
    ctx.moveTo(LENS.x + LENS.w / 2, -0.14);
    ctx.lineTo(1.3, -0.12);
    ctx.stroke();
    ctx.beginPath(); // the bridge
    ctx.moveTo(-LENS.x + LENS.w / 2 - 0.02, -0.08);
    ctx.quadraticCurveTo(0, -0.2, LENS.x - LENS.w / 2 + 0.02, -0.08);
    ctx.stroke();
    for (const side of [-1, 1]) {
      const x = side * LENS.x;
      const glass = ctx.createLinearGradient(0, -LENS.h / 2, 0, LENS.h / 2);
      glass.addColorStop(0, '#2c3a4a');
      glass.addColorStop(1, '#07090c');
      roundedRect(ctx, x, 0, LENS.w, LENS.h, LENS.r);
      ctx.fillStyle = glass;
      ctx.fill();
      ctx.lineWidth = 0.07;
      ctx.stroke();
      ctx.save(); // a light streak across the glass (on opaque glass: the outline's coverage stays the same)
      roundedRect(ctx, x, 0, LENS.w, LENS.h, LENS.r);
      ctx.clip();
      ctx.strokeStyle = 'rgba(255, 255, 255, 0.22)';
      ctx.lineWidth = 0.09;
      ctx.beginPath();
      ctx.moveTo(x - 0.32, 0.25);
      ctx.lineTo(x + 0.06, -0.34);
      ctx.stroke();
      ctx.restore();
    }
  });
}

/** A felt fedora sitting on the head: crown, ribbon and brim, tilted with the head. */
export function drawHat(ctx, { placement: p }) {
  inFaceFrame(ctx, p, () => {
    ctx.translate(0, -1.4); // the brim rests about where the hairline is, 1.3-1.6 eye distances above the eyes
    ctx.scale(1.2, 1.2); // below: in the hat's own units (the crown about as wide as the head)
    const felt = ctx.createLinearGradient(0, -1.5, 0, 0);
    felt.addColorStop(0, '#6d4c41');
    felt.addColorStop(1, '#3e2723');
    ctx.fillStyle = felt;
    ctx.beginPath(); // the crown, pinched at the top
    ctx.moveTo(-1.15, 0);
    ctx.bezierCurveTo(-1.2, -0.9, -1.0, -1.45, -0.35, -1.4);
    ctx.quadraticCurveTo(0, -1.2, 0.35, -1.4);
    ctx.bezierCurveTo(1.0, -1.45, 1.2, -0.9, 1.15, 0);
    ctx.closePath();
    ctx.fill();
    ctx.fillStyle = '#1b1b1b'; // the ribbon
    ctx.beginPath();
    ctx.moveTo(-1.16, -0.05);
    ctx.lineTo(-1.17, -0.35);
    ctx.lineTo(1.17, -0.35);
    ctx.lineTo(1.16, -0.05);
    ctx.closePath();
    ctx.fill();
    ctx.fillStyle = '#4e342e'; // the brim, curled up at its ends
    ctx.beginPath();
    ctx.moveTo(-1.9, -0.22);
    ctx.quadraticCurveTo(-1.6, 0.12, 0, 0.12);
    ctx.quadraticCurveTo(1.6, 0.12, 1.9, -0.22);
    ctx.quadraticCurveTo(1.4, -0.08, 0, -0.1);
    ctx.quadraticCurveTo(-1.4, -0.08, -1.9, -0.22);
    ctx.closePath();
    ctx.fill();
  });
}

const LOBE = 0.5; // the earlobe: this far (eye distances) below the ear keypoint, along the face's "down"

/** A gold hoop on each ear the model sees (a turned head hides one: it gets none). */
export function drawEarrings(ctx, { placement: p, ears }) {
  for (const ear of ears) {
    inFaceFrame(ctx, { ...p, cx: ear.x, cy: ear.y }, () => {
      ctx.translate(0, LOBE);
      const gold = ctx.createLinearGradient(-0.2, 0, 0.2, 0.45);
      gold.addColorStop(0, '#fff3b0');
      gold.addColorStop(0.5, '#ffca28');
      gold.addColorStop(1, '#b8860b');
      ctx.strokeStyle = gold;
      ctx.lineWidth = 0.06;
      ctx.beginPath();
      ctx.arc(0, 0.2, 0.18, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillStyle = '#ffca28';
      ctx.beginPath();
      ctx.arc(0, 0, 0.05, 0, 2 * Math.PI);
      ctx.fill();
    });
  }
}

/** The accessories the page offers, in drawing order (a hat's brim never covers the glasses). */
export const ACCESSORIES = Object.freeze([
  { id: 'sunglasses', label: 'Sunglasses', draw: drawSunglasses },
  { id: 'hat', label: 'Hat', draw: drawHat },
  { id: 'earrings', label: 'Earrings', draw: drawEarrings },
]);

/**
 * Draw the accessories named in `ids` on the smoothed `face` (nothing when there is none, or no placement).
 * @param {CanvasRenderingContext2D} ctx @param {Face} face @param {Iterable<string>} ids
 * @returns {string[]} the ids drawn
 */
export function drawAccessories(ctx, face, ids) {
  if (!face?.placement) return [];
  const wanted = new Set(ids);
  const drawn = ACCESSORIES.filter((a) => wanted.has(a.id));
  ctx.save();
  ctx.translate(0.5, 0.5); // keypoints put pixel i's centre at i (as Python does), a canvas at i + 0.5
  try {
    for (const a of drawn) a.draw(ctx, face);
  } finally {
    ctx.restore();
  }
  return drawn.map((a) => a.id);
}
