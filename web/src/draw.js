// Drawing helpers for the page: skeleton edges come from manifest.postprocess.skeleton.

export function drawPoses(ctx, poses, manifest, { minScore = 0.3, color = '#00e676', lineWidth = 3, radius = 4 } = {}) {
  const skeleton = manifest.postprocess.skeleton;
  ctx.save();
  ctx.lineWidth = lineWidth;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  for (const pose of poses) {
    const kp = pose.keypoints;
    ctx.beginPath();
    for (const [a, b] of skeleton) {
      if (kp[a].score < minScore || kp[b].score < minScore) continue;
      ctx.moveTo(kp[a].x, kp[a].y);
      ctx.lineTo(kp[b].x, kp[b].y);
    }
    ctx.stroke();
    for (const p of kp) {
      if (p.score < minScore) continue;
      ctx.beginPath();
      ctx.arc(p.x, p.y, radius, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.restore();
}

const DETECTION_COLORS = ['#00e676', '#ffca28', '#40c4ff', '#ff4081', '#b388ff', '#ff6e40', '#69f0ae', '#eeff41'];

/** A stable colour per class id, so a class keeps its colour from frame to frame. */
export function detectionColor(classId) {
  const i = Number.isInteger(classId) ? classId : 0;
  return DETECTION_COLORS[((i % DETECTION_COLORS.length) + DETECTION_COLORS.length) % DETECTION_COLORS.length];
}

/**
 * Boxes with "label score" tags. `detections`: [{label, class_id, score, box: [x1, y1, x2, y2]}] in
 * the canvas's pixels (what createDetector().detect returns); those scoring under `minScore` are skipped.
 * The best detection is drawn last, so its tag is on top where tags overlap.
 */
export function drawDetections(ctx, detections, { minScore = 0, lineWidth = 3, fontSize = null, color = null } = {}) {
  const px = fontSize || Math.max(12, Math.round(lineWidth * 6));
  ctx.save();
  ctx.lineWidth = lineWidth;
  ctx.font = `600 ${px}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const d of [...detections].sort((a, b) => a.score - b.score)) {
    if (!(d.score >= minScore)) continue;
    const [x1, y1, x2, y2] = d.box;
    const c = color || detectionColor(d.class_id);
    ctx.strokeStyle = c;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${d.label} ${(d.score * 100).toFixed(0)}%`;
    const pad = Math.round(px * 0.25);
    const w = ctx.measureText(text).width + 2 * pad;
    const h = px + 2 * pad;
    // The tag sits above the box, or inside it when the box touches the top edge.
    const ty = y1 - h >= 0 ? y1 - h : y1;
    const tx = Math.min(Math.max(0, x1 - lineWidth / 2), Math.max(0, ctx.canvas.width - w));
    ctx.fillStyle = c;
    ctx.fillRect(tx, ty, w, h);
    ctx.fillStyle = '#111417';
    ctx.fillText(text, tx + pad, ty + pad);
  }
  ctx.restore();
}
