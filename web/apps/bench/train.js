// The browser side of bench/train_speed.py: the same head trained by the Edgeward trainer (our JS in
// the worker) and by TF.js `model.fit()` on tfjs-backend-wasm, on the same features, in one page.
// Every function returns plain numbers (ms from performance.now()) or {status: 'error', reason}.
/* global tf */
import * as edgeward from '/runtime/edgeward.js';

function errorResult(err) {
  return { status: 'error', reason: `${err && err.name ? `${err.name}: ` : ''}${(err && err.message) || err}` };
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/**
 * Edgeward: a trainer on feature vectors, the dataset imported, then `train()`; ms per epoch from the
 * onEpochEnd timestamps (each epoch also scores both splits, as TF.js's validationData does).
 */
async function edgewardFit(dataset, options) {
  try {
    const trainer = await edgeward.createTrainer(null, { labels: dataset.labels });
    await trainer.importDataset(dataset);
    const stamps = [];
    const t0 = performance.now();
    const report = await trainer.train({ ...options, onEpochEnd: () => stamps.push(performance.now()) });
    const totalMs = performance.now() - t0;
    const epochMs = stamps.map((t, i) => t - (i ? stamps[i - 1] : t0));
    trainer.dispose();
    return { status: 'ok', totalMs, epochMs, epochMsMedian: median(epochMs), accuracy: report.accuracy };
  } catch (err) {
    return errorResult(err);
  }
}

/** KNN before training: ms per predict() round trip (page → worker → page) with all examples stored. */
async function knnPredict(dataset, queries, runs) {
  try {
    const trainer = await edgeward.createTrainer(null, { labels: dataset.labels });
    await trainer.importDataset(dataset);
    const { dim } = dataset;
    await trainer.predict(queries.slice(0, dim)); // builds the index
    const ms = [];
    for (let i = 0; i < runs; i++) {
      const q = queries.slice((i % (queries.length / dim)) * dim, ((i % (queries.length / dim)) + 1) * dim);
      const t = performance.now();
      await trainer.predict(q, { topK: 3 });
      ms.push(performance.now() - t);
    }
    trainer.dispose();
    return { status: 'ok', ms, msMedian: median(ms) };
  } catch (err) {
    return errorResult(err);
  }
}

/** TF.js: the same head (dense softmax, or dense relu + dense softmax) with Adam, fit() on WASM. */
async function tfjsFit(dataset, split, options, threads) {
  try {
    tf.wasm.setWasmPaths(new URL('/vendor/tfjs-backend-wasm/', location.href).href);
    tf.wasm.setThreadsCount(threads);
    await tf.setBackend('wasm');
    await tf.ready();
    const { dim, labels } = dataset;
    const rows = (idx) => tf.tensor2d(idx.flatMap((i) => dataset.x.slice(i * dim, (i + 1) * dim)), [idx.length, dim]);
    const onehot = (idx) => tf.oneHot(tf.tensor1d(idx.map((i) => dataset.y[i]), 'int32'), labels.length);
    const [xTrain, yTrain, xTest, yTest] = [rows(split.train), onehot(split.train), rows(split.test), onehot(split.test)];
    const model = tf.sequential();
    if (options.head === 'mlp') {
      model.add(tf.layers.dense({ units: options.hidden, activation: 'relu', inputShape: [dim] }));
      model.add(tf.layers.dense({ units: labels.length, activation: 'softmax' }));
    } else {
      model.add(tf.layers.dense({ units: labels.length, activation: 'softmax', inputShape: [dim] }));
    }
    model.compile({ optimizer: tf.train.adam(options.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const stamps = [];
    const t0 = performance.now();
    const history = await model.fit(xTrain, yTrain, {
      epochs: options.epochs, batchSize: options.batchSize, shuffle: true, validationData: [xTest, yTest], verbose: 0,
      callbacks: { onEpochEnd: async () => { stamps.push(performance.now()); } },
    });
    const totalMs = performance.now() - t0;
    const epochMs = stamps.map((t, i) => t - (i ? stamps[i - 1] : t0));
    const accuracy = history.history.val_acc?.at(-1) ?? history.history.val_accuracy?.at(-1) ?? null;
    tf.dispose([xTrain, yTrain, xTest, yTest]);
    model.dispose();
    return { status: 'ok', totalMs, epochMs, epochMsMedian: median(epochMs), accuracy,
      backend: tf.getBackend(), threads: tf.wasm.getThreadsCount(), threadsAsked: threads, version: tf.version.tfjs };
  } catch (err) {
    return errorResult(err);
  }
}

window.edgewardTrainBench = { edgewardFit, knnPredict, tfjsFit };
document.body.dataset.status = 'ready';
