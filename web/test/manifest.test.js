// web/src/manifest.js against pydantic (src/edgeward/package/manifest.py): the zoo's real manifests
// validate to the same normalised form, and every bad manifest the Python side makes from the JSON
// Schema (tests/web/manifest_cases.py: at least one per schema rule, each rejected by pydantic) is
// rejected here too, with a ManifestError naming the field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import { EdgewardError } from '../src/errors.js';
import { fetchManifest, ManifestError, validateManifest } from '../src/manifest.js';
import { loadFixture } from './helpers.js';

const fx = loadFixture('manifest');
const schema = JSON.parse(fs.readFileSync(new URL('../src/manifest.schema.json', import.meta.url), 'utf8'));

/** pydantic's model_dump leaves out a FileEntry's `report` when it is None; the JS fills in null. */
function withoutNullReports(manifest) {
  const out = structuredClone(manifest);
  for (const entry of Object.values(out.files || {})) if (entry.report === null) delete entry.report;
  return out;
}

test('web/src/manifest.schema.json is the schema `edgeward schema` exports now', () => {
  assert.deepEqual(schema, fx.schema);
});

describe('valid manifests: the same normalised form as pydantic', () => {
  for (const { name, manifest, normalized } of fx.valid) {
    test(name, () => {
      const before = structuredClone(manifest);
      const out = validateManifest(manifest, schema);
      assert.deepEqual(withoutNullReports(out), normalized);
      assert.deepEqual(manifest, before, 'the input is not modified');
    });
  }
});

describe('bad manifests: rejected, naming the field', () => {
  for (const c of fx.bad) {
    test(`${c.rule}: ${c.field}: ${c.what}`, () => {
      assert.throws(() => validateManifest(c.manifest, schema), (err) => {
        assert.ok(err instanceof ManifestError, `${err.name}: ${err.message}`);
        assert.equal(err.name, 'ManifestError');
        const named = c.exact ? `'${c.field}'` : `'${c.field}`;
        assert.ok(err.message.includes(named), `the error does not name ${named}: ${err.message}\n  (pydantic: ${c.python_error})`);
        return true;
      });
    });
  }
});

test('every rule of the JSON Schema has a bad-manifest case', () => {
  const covered = new Set(fx.bad.flatMap((c) => c.covers));
  assert.deepEqual(Object.keys(fx.rules).filter((r) => !covered.has(r)), []);
  assert.ok(Object.keys(fx.rules).length > 100, 'the schema has its rules');
});

test('errors name the source and every bad field at once', () => {
  const manifest = structuredClone(fx.valid[0].manifest);
  manifest.version = 'one';
  delete manifest.license;
  manifest.surprise = true;
  assert.throws(() => validateManifest(manifest, schema, 'https://example.test/m/manifest.json'), (err) => {
    assert.match(err.message, /^https:\/\/example\.test\/m\/manifest\.json: /);
    for (const f of ["'version'", "'license'", "'surprise'"]) assert.ok(err.message.includes(f), err.message);
    return true;
  });
});

describe('fetchManifest', () => {
  const base = 'https://models.example.test/posenet/1.0.0/';
  const respond = (status, body) => async () => ({ status, text: async () => body });

  test('fetches, parses and validates manifest.json', async () => {
    const urls = [];
    const fetchImpl = async (url, init) => {
      urls.push([url, init.cache]);
      return { status: 200, text: async () => JSON.stringify(fx.valid[0].manifest) };
    };
    const out = await fetchManifest(base, fetchImpl, schema);
    assert.deepEqual(withoutNullReports(out), fx.valid[0].normalized);
    assert.deepEqual(urls, [[`${base}manifest.json`, 'no-cache']]);
  });

  test('a bad manifest is a ManifestError naming the URL and the field', async () => {
    const bad = { ...fx.valid[0].manifest, task: 'segment' };
    const fetchImpl = async () => ({ status: 200, text: async () => JSON.stringify(bad) });
    await assert.rejects(fetchManifest(base, fetchImpl, schema),
      (err) => err instanceof ManifestError && err.message.startsWith(`${base}manifest.json: field 'task'`));
  });

  for (const [what, fetchImpl, message] of [
    ['a 404', respond(404, 'not found'), /HTTP 404, manifest not found/],
    ['an HTML page', respond(200, '<!doctype html><p>hello'), /not valid JSON/],
    ['a network failure', async () => { throw new TypeError('Failed to fetch'); }, /download failed \(Failed to fetch\)/],
  ]) {
    test(`${what} is a ManifestError naming the URL`, async () => {
      await assert.rejects(fetchManifest(base, fetchImpl, schema), (err) => {
        assert.ok(err instanceof ManifestError && err instanceof EdgewardError);
        assert.ok(err.message.startsWith(`${base}manifest.json: `), err.message);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
