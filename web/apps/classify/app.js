// Classification page: webcam / image / video → classifier (in the runtime's worker) → top-k list.
// The shared demo controller (/apps/kit/controller.js) loads the package, runs the source (video on
// classifier.track()) and shows the numbers; this page adds its top-k option and the ranked list.
// Query params: the controller's (?model=/models/efficientnet-lite0/latest/ &backend= &threads= &variant=).
// window.classifyApp exposes the page's state (tests read it).

import { createClassifier } from '/runtime/edgeward.js';
import { DemoController } from '/apps/kit/controller.js';
import { $, setStatus } from '/apps/kit/page.js';

function classifyOptions() {
  const k = parseInt($('top-k').value, 10);
  return { topK: Number.isInteger(k) && k >= 1 ? Math.min(k, 20) : 5 };
}

function render(classes) {
  const state = demo.state;
  state.lastClasses = classes;
  state.results = state.framesDone;
  $('classes').replaceChildren(...classes.map((c) => {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.label;
    name.title = `class ${c.class_id}: ${c.label}`;
    const score = document.createElement('span');
    score.className = 'score';
    score.textContent = `${(c.score * 100).toFixed(1)} %`;
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('span');
    fill.style.width = `${Math.max(0, Math.min(1, c.score)) * 100}%`;
    bar.append(fill);
    li.append(name, score, bar);
    li.dataset.classId = String(c.class_id);
    return li;
  }));
  setStatus('classified', 'ready'); // tests wait on body[data-status=classified]
}

const demo = new DemoController({
  hook: 'classifyApp',
  state: { lastClasses: [], results: 0 },
  task: 'classify',
  create: createClassifier,
  defaultModel: '/models/efficientnet-lite0/latest/',
  words: { efficientnet: 'EfficientNet', lite0: 'Lite0' },
  options: classifyOptions,
  estimate: (classifier, image, options) => classifier.classify(image, options),
  render,
});

demo.watchOptions(['top-k']);
demo.start();
