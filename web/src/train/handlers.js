// The worker's training operations (MSG.TRAIN {id, op, ...}): one Trainer per worker, fed feature
// vectors or frames (turned by the worker into the base classifier's embedding, or into the pose
// features of a pose base's best pose). A running 'fit' posts an EPOCH event per epoch, yields
// between batches and stops at a CANCEL naming its id.
import { TaskError, TrainingError } from '../errors.js';
import * as protocol from '../protocol.js';
import { exportPackage } from './package.js';
import { bestPoseFeatures, POSE_FEATURE_DIM } from './pose-features.js';
import { restoreHead } from './restore.js';
import { Trainer } from './trainer.js';

/** Yield to the worker's event loop (a message task, not a clamped timer) so a CANCEL can arrive. */
function yieldingPause() {
  const channel = new MessageChannel();
  return () => new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });
}

/** The head as plain data: what export and the parity tests read. */
function headData(head) {
  if (!head) return null;
  if (head.kind === 'knn') {
    return { kind: 'knn', labels: head.labels, k: head.k, examples: Array.from(head.knn.examples),
      exampleLabels: Array.from(head.knn.exampleLabels), dim: head.knn.dims };
  }
  return { kind: head.kind, labels: head.labels, mean: Array.from(head.mean), std: Array.from(head.std), bestEpoch: head.bestEpoch,
    layers: head.layers.map(({ W, b }) => ({ rows: W.rows, cols: W.cols, W: Array.from(W.data), b: Array.from(b) })) };
}

/**
 * The length of the features a base package gives a frame: its embedding's, or the pose features'.
 * @param {any} manifest
 */
function baseDim(manifest) {
  if (manifest.task === 'pose') return POSE_FEATURE_DIM;
  const post = manifest.postprocess;
  const spec = post?.embedding && manifest.outputs.find((o) => o.name === post.embedding);
  if (!spec) {
    throw new TaskError(`base package '${manifest.name}' has no embedding output (postprocess.embedding) to train on, `
      + 'and is not a pose package');
  }
  return spec.shape[spec.shape.length - 1];
}

/**
 * @param {{base: () => any, embed: (frame: any, options: {mirrored: boolean}) => Promise<Float32Array>,
 *   estimatePoses?: (frame: any, options: {mirrored: boolean}) => Promise<{poses: any[], timings: object}>,
 *   post: (message: object) => void}} io
 *   base(): the base package's manifest (null: feature vectors only); embed(frame, {mirrored}): the base's
 *   features of a frame — its embedding, or a pose base's pose features (`mirrored`: the frame is a mirror
 *   picture of its subject, train/pose-features.js); estimatePoses(frame, {mirrored}): a pose base's poses
 *   of a frame, estimated as for training (op 'predictPose')
 */
export function trainingHandlers({ base, embed, estimatePoses, post }) {
  /** @type {Trainer | null} */ let trainer = null;
  const running = new Map(); // fit request id → {aborted}
  const pause = yieldingPause();

  async function features(msg) {
    if (msg.mirrored && (msg.features || base()?.task !== 'pose')) {
      throw new RangeError('mirrored applies to images given to a trainer on a pose base');
    }
    if (msg.features) return msg.features;
    if (!msg.frame) throw new TypeError("give 'features' (numbers) or an image / video frame");
    const manifest = base();
    if (!manifest) throw new TaskError('this trainer has no base model: give feature vectors, not images');
    return embed(msg.frame, { mirrored: Boolean(msg.mirrored) });
  }

  function need() {
    if (!trainer) throw new TrainingError("the trainer is not initialised (op 'init' first)");
    return trainer;
  }

  const ops = {
    init: ({ dim = null, labels = [], k }) => {
      const manifest = base();
      if (manifest) dim = baseDim(manifest);
      trainer = new Trainer({ dim, labels, k });
      return { dim: trainer.dim, labels: trainer.labels };
    },
    add: async (msg) => {
      const t = need();
      const id = t.addExample(await features(msg), msg.label);
      return { exampleId: id, counts: t.counts() };
    },
    remove: (msg) => { need().removeExample(msg.exampleId); return { counts: need().counts() }; },
    counts: () => ({ counts: need().counts() }),
    renameClass: (msg) => { need().renameLabel(msg.from, msg.to); return { counts: need().counts() }; },
    removeClass: (msg) => { need().removeLabel(msg.label); return { counts: need().counts(), trained: Boolean(need().head) }; },
    predict: async (msg) => ({ classes: need().predict(await features(msg), msg.topK ?? 3), trained: Boolean(need().head) }),
    // A pose base's reading of one frame in one round trip: its best pose (null: nobody), that pose's
    // features (null when it is not confident enough to learn from: `reason` says why) and, when there is
    // something to predict with (an example or a trained head), its top classes — else [].
    predictPose: async (msg) => {
      const t = need();
      if (base()?.task !== 'pose' || !estimatePoses) throw new TaskError('predictPose needs a trainer on a pose package (PoseNet, MoveNet)');
      if (!msg.frame) throw new TypeError('predictPose takes an image / video frame');
      const mirrored = Boolean(msg.mirrored);
      const { poses, timings } = await estimatePoses(msg.frame, { mirrored });
      let features = null;
      let reason = null;
      try {
        features = bestPoseFeatures(poses, { flipHorizontal: mirrored, mirrored });
      } catch (err) {
        if (!(err instanceof TrainingError)) throw err;
        reason = err.message;
      }
      const classes = features && (t.head || t.examples.size) ? t.predict(features, msg.topK ?? 3) : [];
      return { pose: poses[0] ?? null, features, reason, classes, trained: Boolean(t.head), timings };
    },
    fit: async (msg) => {
      const signal = { aborted: false };
      running.set(msg.id, signal);
      try {
        return await need().fit(msg.options ?? {}, { signal, pause, onEpochEnd: (record) => post(protocol.epoch(msg.id, record)) });
      } finally {
        running.delete(msg.id);
      }
    },
    evaluate: () => {
      if (!need().report) throw new TrainingError('nothing trained yet: train() first');
      return need().report;
    },
    model: () => headData(need().head),
    exportDataset: () => need().exportDataset(),
    importDataset: (msg) => ({ exampleIds: need().importDataset(msg.dataset), counts: need().counts() }),
    // The trained head as a model package (package.js); 'restore' puts a saved one's head back (restore.js).
    export: (msg) => exportPackage({ head: headData(need().head), report: need().report, dataset: need().dataset(), base: base() }, msg.options),
    restore: async (msg) => {
      const t = need();
      const head = await restoreHead(msg.package, msg.where);
      if (head.labels.join('\u0000') !== t.labels.join('\u0000')) throw new TrainingError(`${msg.where}: labels [${head.labels}] are not this trainer's [${t.labels}]`);
      t.head = head;
      t.report = msg.report ?? null;
      return { kind: head.kind, labels: head.labels };
    },
  };

  return {
    async handleTrain(msg) {
      const op = ops[msg.op];
      if (!op) throw new TypeError(`unknown training op '${msg.op}' (known: ${Object.keys(ops).join(', ')})`);
      return protocol.trained(msg.id, await op(msg));
    },
    /** CANCEL {id}: stop that fit between two batches (it rejects with an AbortError). */
    cancel(id) {
      const signal = running.get(id);
      if (signal) signal.aborted = true;
    },
  };
}
