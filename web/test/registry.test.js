// web/src/registry.js: NAME@RANGE through a registry's resolve endpoint (answers shaped as
// src/edgeward/registry/service.py's `resolved`; tests/browser/test_runtime_npm.py runs it against the
// real registry, through createPoseDetector's registry option).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DownloadError, PackageNotFoundError } from '../src/errors.js';
import { resolvePackage } from '../src/registry.js';
import { RegistryError } from '../src/train/publish.js';

const MANIFEST = { name: 'posenet', version: '1.2.0', task: 'pose' };
const RESOLVED = {
  name: 'posenet', version: '1.2.0', manifest_sha256: 'ab'.repeat(32), manifest: MANIFEST,
  files: {}, base_url: '/api/v1/packages/posenet/versions/1.2.0/files/',
};

/** A fetch that records the URLs asked and answers `status` with `body`. */
function registry(status, body) {
  const asked = [];
  const fetchImpl = async (url) => {
    asked.push(String(url));
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
  return { asked, fetchImpl };
}

test('a range resolves to the folder the registry serves the version from', async () => {
  const { asked, fetchImpl } = registry(200, RESOLVED);
  const found = await resolvePackage('posenet@^1', 'https://models.example/base', { fetchImpl });
  assert.deepEqual(asked, ['https://models.example/base/api/v1/packages/posenet/resolve?range=%5E1']);
  assert.equal(found.url, 'https://models.example/api/v1/packages/posenet/versions/1.2.0/files/');
  assert.equal(found.version, '1.2.0');
  assert.deepEqual(found.manifest, MANIFEST);
  assert.equal(found.manifestSha256, RESOLVED.manifest_sha256);
});

test('no range means latest, as in Python', async () => {
  for (const spec of ['posenet', 'posenet@', ' posenet ']) {
    const { asked, fetchImpl } = registry(200, RESOLVED);
    await resolvePackage(spec, 'http://127.0.0.1:8000/', { fetchImpl });
    assert.deepEqual(asked, ['http://127.0.0.1:8000/api/v1/packages/posenet/resolve?range=latest'], spec);
  }
});

test('refusals become the runtime\'s errors, with the registry\'s reason', async () => {
  const missing = registry(404, { detail: "no version of 'posenet' matches '^9' (has: 1.2.0)" });
  await assert.rejects(resolvePackage('posenet@^9', 'http://r.example', missing),
    (err) => err instanceof PackageNotFoundError && /posenet@\^9 is not in the registry.*has: 1\.2\.0/.test(err.message));
  const bad = registry(422, { detail: "'^^1' is not a version range" });
  await assert.rejects(resolvePackage('posenet@^^1', 'http://r.example', bad), { name: 'RangeError', message: /refused the range.*\^\^1/ });
  const broken = registry(500, { detail: 'database is locked' });
  await assert.rejects(resolvePackage('posenet', 'http://r.example', broken),
    (err) => err instanceof RegistryError && err.status === 500 && /HTTP 500: database is locked/.test(err.message));
  const odd = registry(200, { name: 'posenet' });
  await assert.rejects(resolvePackage('posenet', 'http://r.example', odd), { message: /has no 'version'/ });
});

test('a bad spec is refused before any request; an unreachable registry is a DownloadError', async () => {
  const { asked, fetchImpl } = registry(200, RESOLVED);
  await assert.rejects(resolvePackage('PoseNet@1', 'http://r.example', { fetchImpl }), { name: 'RangeError', message: /not a package spec/ });
  assert.deepEqual(asked, []);
  const down = async () => { throw new TypeError('fetch failed'); };
  await assert.rejects(resolvePackage('posenet', 'http://r.example', { fetchImpl: down }),
    (err) => err instanceof DownloadError && /cannot be reached \(fetch failed\)/.test(err.message));
});
