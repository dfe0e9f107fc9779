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
