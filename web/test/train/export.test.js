// The browser's export of a trained head (web/src/train/): the ONNX writer gives the bytes Python's
// onnx_graphs writes (fixture train_onnx: sha256 and size of Python's bytes), the reader gives the
// head back, the data hash is Python's data_hash (fixture train_digits), the report takes the
// manifest's snake_case fields, and the tar writer makes a ustar archive.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';

import { headFromOnnx } from '../../src/train/onnx-reader.js';
import { headGraph } from '../../src/train/onnx-writer.js';
import { dataHash, trainingReport } from '../../src/train/package.js';
import { ProtoWriter, readFields, repeatedInts } from '../../src/train/protobuf.js';
import { tarFolder } from '../../src/train/tar.js';
import { loadFixture } from '../helpers.js';

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const f32 = (values) => Array.from(Float32Array.from(values));

/** The manifest fields headFromOnnx checks, as export writes them for `head`. */
function manifestOf(head) {
  const knn = head.kind === 'knn';
  return { labels: head.labels, head: { kind: head.kind, dim: knn ? head.dim : head.mean.length, input: 'features', output: 'probabilities',
    k: knn ? head.k : null, hidden: head.kind === 'mlp' ? head.layers[0].cols : null } };
}

test('the ONNX writer gives the bytes Python writes for linear, MLP and KNN heads', () => {
  for (const { head, sha256: expected, bytes } of loadFixture('train_onnx').cases) {
    const onnx = headGraph(head);
    assert.equal(onnx.length, bytes, `${head.kind}: size`);
    assert.equal(sha256(onnx), expected, `${head.kind}: sha256`);
  }
});

test('the reader gives back the head the writer wrote (weights as float32)', () => {
  for (const { head } of loadFixture('train_onnx').cases) {
    const back = headFromOnnx(headGraph(head), manifestOf(head), 'model.fp32.onnx');
    if (head.kind === 'knn') {
      assert.deepEqual(back, { ...head, examples: f32(head.examples) });
    } else {
      assert.deepEqual(back.mean, f32(head.mean));
      assert.deepEqual(back.std, f32(head.std));
      back.layers.forEach((l, i) => {
        assert.deepEqual([l.rows, l.cols], [head.layers[i].rows, head.layers[i].cols]);
        assert.deepEqual(l.W, f32(head.layers[i].W));
        assert.deepEqual(l.b, f32(head.layers[i].b));
      });
    }
  }
});

test('the reader refuses a graph that does not match the manifest, naming the file and field', () => {
  const [linear, mlp, knn] = loadFixture('train_onnx').cases.map((c) => c.head);
  const m = manifestOf(mlp);
  assert.throws(() => headFromOnnx(headGraph(mlp), { ...m, head: { ...m.head, hidden: 7 } }, 'x.onnx'),
    { name: 'ManifestError', message: /x\.onnx: field 'head\.hidden' is 7, the graph has 16/ });
  assert.throws(() => headFromOnnx(headGraph(linear), manifestOf(knn), 'x.onnx'), { name: 'ModelFormatError', message: /x\.onnx: op\(s\) Sub, Add, Softmax are not in a 'knn' head's graph/ });
  assert.throws(() => headFromOnnx(headGraph(linear), { ...manifestOf(linear), labels: ['a', 'b'] }, 'x.onnx'), { name: 'ModelFormatError' });
  assert.throws(() => headFromOnnx(new Uint8Array([0x0a, 0x05, 1]), manifestOf(linear), 'x.onnx'), { name: 'ModelFormatError', message: /x\.onnx: not an ONNX model/ });
});

test('protobuf: negative int64 varints take 10 bytes; packed and unpacked repeated ints read alike', () => {
  const w = new ProtoWriter().int(1, -1).int(1, 300);
  const bytes = w.finish();
  assert.equal(bytes.length, 1 + 10 + 1 + 2);
  assert.deepEqual(repeatedInts(readFields(bytes, 't'), 1), [-1, 300]);
  const packed = new ProtoWriter().bytes(1, Uint8Array.from([0x01, 0xac, 0x02])).finish();
  assert.deepEqual(repeatedInts(readFields(packed, 't'), 1), [1, 300]);
});

test('the data hash is Python data_hash', async () => {
  const d = loadFixture('train_digits');
  const hash = await dataHash({ x: { rows: d.rows, cols: d.cols, data: d.x }, y: d.y, labels: d.labels });
  assert.equal(hash, d.dataHash);
});

test('the training report takes the manifest\'s snake_case fields', async () => {
  const dataset = { x: { rows: 4, cols: 1, data: [0, 1, 2, 3] }, y: [0, 1, 0, 1], labels: ['a', 'b'] };
  const report = { kind: 'mlp', examples: 4, trainExamples: 2, testExamples: 2, testSplit: 0.5, seed: 3,
    options: { head: 'mlp', epochs: 1, batchSize: 32, learningRate: 0.01, optimizer: 'adam', momentum: 0, hidden: 4, dropout: 0, seed: 3, patience: null },
    history: [{ epoch: 1, trainLoss: 0.5, trainAccuracy: 1, testLoss: 0.7, testAccuracy: 0.5 }], accuracy: 0.5,
    perClass: [{ label: 'a', count: 1, accuracy: 1 }, { label: 'b', count: 1, accuracy: 0 }], confusion: [[1, 0], [1, 0]] };
  const r = await trainingReport(report, { kind: 'mlp', bestEpoch: 1 }, dataset, 'rows');
  assert.deepEqual(r.options, { head: 'mlp', epochs: 1, batch_size: 32, learning_rate: 0.01, optimizer: 'adam', momentum: 0, hidden: 4, dropout: 0, seed: 3, patience: null });
  assert.deepEqual(r.history, [{ epoch: 1, train_loss: 0.5, train_accuracy: 1, test_loss: 0.7, test_accuracy: 0.5 }]);
  assert.deepEqual([r.train, r.test, r.test_split, r.class_counts, r.best_epoch, r.test_accuracy], [2, 2, 0.5, [2, 2], 1, 0.5]);
  assert.deepEqual(r.per_class_accuracy, { a: 1, b: 0 });
  const knn = await trainingReport({ ...report, kind: 'knn', options: { k: 3 }, history: [], testExamples: 0, accuracy: undefined,
    perClass: undefined, confusion: undefined }, { kind: 'knn' }, dataset, 'rows');
  assert.deepEqual([knn.options, knn.best_epoch, knn.test_accuracy], [{ head: 'knn', k: 3 }, null, null]);
  assert.deepEqual([knn.per_class_accuracy, knn.confusion], [{ a: null, b: null }, [[0, 0], [0, 0]]]);
});

/** Walk a tar: [{name, size, type, data}] (checks each header's checksum and the ustar magic). */
function untar(bytes) {
  const out = [];
  const str = (at, n) => new TextDecoder().decode(bytes.subarray(at, at + n)).replace(/\0.*$/s, '');
  for (let at = 0; at < bytes.length; at += 512) {
    const h = bytes.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const sum = h.reduce((a, b, i) => a + (i >= 148 && i < 156 ? 0x20 : b), 0);
    assert.equal(parseInt(str(at + 148, 8), 8), sum, 'header checksum');
    assert.equal(str(at + 257, 6), 'ustar');
    const size = parseInt(str(at + 124, 12), 8);
    const prefix = str(at + 345, 155);
    out.push({ name: (prefix ? `${prefix}/` : '') + str(at, 100), size, type: String.fromCharCode(h[156]), data: bytes.subarray(at + 512, at + 512 + size) });
    at += Math.ceil(size / 512) * 512;
  }
  return out;
}

test('tar: a ustar folder with its files, padded to 512-byte blocks, two zero blocks at the end', () => {
  const files = { 'manifest.json': new TextEncoder().encode('{}\n'), 'model.fp32.onnx': Uint8Array.from({ length: 1000 }, (_, i) => i % 251) };
  const tar = tarFolder('my-model-1.0.0', files);
  assert.equal(tar.length % 512, 0);
  assert.equal(tar.length, 512 + 512 + 512 + 512 + 1024 + 1024);
  const entries = untar(tar);
  assert.deepEqual(entries.map((e) => [e.name, e.type, e.size]),
    [['my-model-1.0.0/', '5', 0], ['my-model-1.0.0/manifest.json', '0', 3], ['my-model-1.0.0/model.fp32.onnx', '0', 1000]]);
  assert.deepEqual(entries[2].data, files['model.fp32.onnx']);
  const long = `${'n'.repeat(120)}-1.0.0`;
  assert.equal(untar(tarFolder(long, files))[0].name, `${long}/manifest.json`); // the name goes to ustar's prefix
  assert.throws(() => tarFolder('m', { '../x': new Uint8Array() }), { name: 'TrainingError', message: /'\.\.\/x' is not a plain file name/ });
});
