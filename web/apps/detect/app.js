// Detection playground: webcam / image / video → object detector (in a worker) → boxes, labels, scores.
// The shared demo controller (/apps/kit/controller.js) loads the package, runs the source and shows
// the numbers; this page adds its detection options, the boxes and the list of detections.
// Query params: the controller's (?model=/models/centernet/latest/ &backend= &threads= &variant=).

import { createDetector, detectionColor, drawDetections } from '/runtime/edgeward.js';
import { DemoController } from '/apps/kit/controller.js';
import { $, overlayContext } from '/apps/kit/page.js';

function detectOptions() {
  return {
    scoreThreshold: parseFloat($('score-threshold').value),
    iouThreshold: parseFloat($('iou-threshold').value),
    maxDetections: Math.min(100, Math.max(1, parseInt($('max-detections').value, 10) || 1)),
  };
}

function listDetections(detections) {
  $('detections').replaceChildren(...detections.map((d) => {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = detectionColor(d.class_id);
    const box = document.createElement('span');
    box.className = 'box';
    box.textContent = ` [${d.box.map((v) => Math.round(v)).join(', ')}]`;
    li.append(swatch, `${d.label} ${(d.score * 100).toFixed(1)}%`, box);
    return li;
  }));
}

function render(detections, { width, height }) {
  demo.state.lastDetections = detections;
  $('count').textContent = String(detections.length);
  const ctx = overlayContext(width, height);
  drawDetections(ctx, detections, { lineWidth: Math.max(2, Math.round(width / 250)), fontSize: Math.max(12, Math.round(width / 40)) });
  listDetections(detections);
}

const demo = new DemoController({
  hook: 'detectPage',
  state: { lastDetections: [] },
  task: 'detect',
  create: createDetector,
  defaultModel: '/models/centernet/latest/',
  words: { centernet: 'CenterNet', nanodet: 'NanoDet', ssd: 'SSD', yolo: 'YOLO' },
  options: detectOptions,
  estimate: (detector, image, options) => detector.detect(image, options),
  render,
});

demo.watchOptions(['score-threshold', 'iou-threshold', 'max-detections']);
demo.start();
