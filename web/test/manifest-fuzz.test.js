// The JS validator (web/src/manifest.js) against pydantic on generated manifests: real manifests mutated
// 1 to 3 times each, seeded (tests/web/manifest_fuzz.py). Every case gets the same verdict on both sides;
// an accepted one the same normalised form, a refused one a ManifestError naming a field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';

import { ManifestError, validateManifest } from '../src/manifest.js';
import { loadFixture } from './helpers.js';

const fx = loadFixture('manifest_fuzz');
const schema = JSON.parse(fs.readFileSync(new URL('../src/manifest.schema.json', import.meta.url), 'utf8'));

/** pydantic's model_dump leaves out a FileEntry's `report` when it is None; the JS fills in null. */
function withoutNullReports(manifest) {
  const out = structuredClone(manifest);
  for (const entry of Object.values(out.files || {})) if (entry.report === null) delete entry.report;
  return out;
}

/** As written to JSON (what a manifest is): -0 (from "-0.0") is 0, as Python's integer is. */
const asJson = (value) => JSON.parse(JSON.stringify(value));

test('the fixture has cases of both verdicts', () => {
  assert.ok(fx.cases.length >= 100, `${fx.cases.length} cases`);
  assert.ok(fx.accepted > 0 && fx.accepted < fx.cases.length, `${fx.accepted} of ${fx.cases.length} accepted`);
});

test('every generated manifest gets pydantic\'s verdict', () => {
  const disagreements = [];
  for (const c of fx.cases) {
    let js;
    try {
      js = { accepted: true, value: validateManifest(c.manifest, schema, 'fuzz/manifest.json') };
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      assert.match(err.message, /^fuzz\/manifest\.json: .*field '/, `seed ${c.seed}`);
      js = { accepted: false, error: err.message };
    }
    if (js.accepted !== c.accepted) {
      disagreements.push(`seed ${c.seed}: Python ${c.accepted ? 'accepts' : `refuses (${c.python_error})`}, `
        + `JS ${js.accepted ? 'accepts' : `refuses (${js.error})`}`);
    } else if (js.accepted && !isDeepStrictEqual(asJson(withoutNullReports(js.value)), c.normalized)) {
      disagreements.push(`seed ${c.seed}: both accept, the normalised forms differ`);
    }
  }
  assert.deepEqual(disagreements, []);
});
