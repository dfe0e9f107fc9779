// web/src/tasks/outputs.js: named outputs for decoders; a missing or misshapen one is the manifest's fault.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ManifestError } from '../../src/errors.js';
import { hwc, output } from '../../src/tasks/outputs.js';

test('hwc drops the batch axis; output returns the tensor', () => {
  const t = { dims: [1, 2, 3, 4], data: new Float32Array(24) };
  assert.deepEqual(hwc({ heat: t }, 'heat', 'postprocess.outputs.heatmap'), { data: t.data, h: 2, w: 3, c: 4 });
  assert.equal(output({ heat: t }, 'heat', 'f'), t);
});

test('missing or misshapen outputs name the output and the field', () => {
  assert.throws(() => output({}, 'heat', 'postprocess.outputs.heatmap'),
    (e) => e instanceof ManifestError && /'heat'/.test(e.message) && /postprocess.outputs.heatmap/.test(e.message));
  assert.throws(() => hwc({ heat: { dims: [2, 1, 1, 1], data: [] } }, 'heat', 'f'), /expected \[1, H, W, C\]/);
});
