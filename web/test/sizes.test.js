// web/src/sizes.js and the size-key rules of web/src/manifest.js against the Python oracle
// (src/edgeward/package/sizes.py, size_key_errors in manifest.py; tests/web/size_fixtures.py):
// the same sizes, keys and files for PoseNet's real manifest set up several ways, the same verdict on
// manifests with size keys (and the same words for each size-key rule broken), the same inputSize values.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import { ManifestError, validateManifest } from '../src/manifest.js';
import { checkInputSize, fileForSize, inputSizes, sizeFiles, sizeKey, splitSizeKey } from '../src/sizes.js';
import { loadFixture } from './helpers.js';

const fx = loadFixture('sizes');
const schema = JSON.parse(fs.readFileSync(new URL('../src/manifest.schema.json', import.meta.url), 'utf8'));

/** pydantic's model_dump leaves out a FileEntry's `report` when it is None; the JS fills in null. */
function withoutNullReports(manifest) {
  const out = structuredClone(manifest);
  for (const entry of Object.values(out.files || {})) if (entry.report === null) delete entry.report;
  return out;
}

describe('the helpers give what Python gives', () => {
  for (const c of fx.helpers) {
    test(c.name, () => {
      const manifest = validateManifest(c.manifest, schema, c.name);
      assert.deepEqual(inputSizes(manifest), c.inputSizes);
      for (const [variant, keys] of Object.entries(c.sizeFiles)) assert.deepEqual(sizeFiles(manifest, variant), keys, variant);
      assert.ok(c.asked.length >= 20);
      for (const a of c.asked) {
        const what = `${a.variant} at ${a.size}`;
        assert.equal(sizeKey(manifest, a.variant, a.size), a.sizeKey, what);
        if (a.error) {
          assert.throws(() => fileForSize(manifest, a.variant, a.size),
            (err) => err instanceof RangeError && err.message === a.error, what);
        } else {
          assert.deepEqual(fileForSize(manifest, a.variant, a.size), { key: a.file, entry: manifest.files[a.file] }, what);
        }
      }
    });
  }
  test('the fixture has both answers', () => {
    const asked = fx.helpers.flatMap((c) => c.asked);
    assert.ok(asked.some((a) => a.error) && asked.some((a) => a.file && a.file.includes('@')));
    assert.ok(fx.helpers.some((c) => c.inputSizes.length >= 4));
  });
});

describe('manifests with size keys: pydantic\'s verdict, the rules in the same words', () => {
  for (const c of fx.validation) {
    test(c.what, () => {
      if (c.accepted) {
        assert.deepEqual(withoutNullReports(validateManifest(c.manifest, schema)), c.normalized);
        return;
      }
      assert.throws(() => validateManifest(c.manifest, schema), (err) => {
        assert.ok(err instanceof ManifestError, `${err.name}: ${err.message}`);
        assert.ok(err.message.includes(`'${c.field}'`), `${err.message}\n  (pydantic: ${c.python_error})`);
        for (const words of c.rule_errors) {
          assert.ok(err.message.includes(words), `JS: ${err.message}\n  Python: ${words}`);
          assert.ok(c.python_error.includes(words));
        }
        return true;
      });
    });
  }
  test('the fixture has cases of both verdicts and every size-key rule', () => {
    assert.ok(fx.validation.some((c) => c.accepted) && fx.validation.filter((c) => !c.accepted).length >= 10);
    assert.equal(new Set(fx.validation.flatMap((c) => c.rule_errors.map((e) => e.split(': ')[1]))).size >= 4, true);
  });
});

test('splitSizeKey', () => {
  assert.deepEqual(splitSizeKey('int8-wasm@257x193'), { variant: 'int8-wasm', size: [257, 193] });
  assert.equal(splitSizeKey('int8-wasm'), null);
});

test('the inputSize option: the same values as input_size', () => {
  assert.ok(fx.inputSize.some((c) => c.error) && fx.inputSize.some((c) => c.size));
  for (const c of fx.inputSize) {
    const what = JSON.stringify(c.value);
    if (c.error) assert.throws(() => checkInputSize(c.value), /inputSize must be an integer or \[height, width\]/, what);
    else assert.deepEqual(checkInputSize(c.value), c.size, what);
  }
});
