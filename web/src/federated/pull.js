// Pull a federated version the ordinary way: every version is a registry package (TASK@1.V.0), so it
// is resolved through the coordinator's registry, its manifest validated against manifest.schema.json,
// and its head file downloaded through the verified model cache (cache.js: complete 200 responses
// only, size and sha256 checked, cached under the sha256 — a version seen before costs no download).
// The parameters are then read from the head graph in params.flatten's order (params.js).
import { loadModelFile } from '../cache.js';
import { FederatedError, PackageNotFoundError } from '../errors.js';
import { loadSchema, validateManifest } from '../manifest.js';
import { paramsFromPackage } from './params.js';

const PACKAGE_REF = /^([a-z0-9][a-z0-9._-]*)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

/**
 * @typedef {{fetchImpl?: typeof fetch, storage?: CacheStorage | null, manifestSchema?: any}} PullOptions
 *   storage: where verified files are cached (default: the Cache API); manifestSchema: default manifest.schema.json
 */

/**
 * The parameters (float32 [P]) of package `ref` (NAME@X.Y.Z) from the registry at `serverUrl`, checked
 * to be a head of the task's shape; {params, manifest, from: 'network' | 'cache' | 'memory'}.
 * @param {string} serverUrl @param {string} ref @param {import('./params.js').FederatedHead} head
 * @param {PullOptions} [options]
 */
export async function pullVersion(serverUrl, ref, head, { fetchImpl = fetch, storage = globalThis.caches, manifestSchema } = {}) {
  const m = PACKAGE_REF.exec(ref);
  if (!m) throw new FederatedError(`'${ref}' is not a package NAME@X.Y.Z`);
  const [, name, version] = m;
  const url = new URL(`api/v1/packages/${name}/resolve?range=${encodeURIComponent(version)}`, withSlash(serverUrl)).href;
  let response;
  try {
    response = await fetchImpl(url, { cache: 'no-store' });
  } catch (err) {
    throw new FederatedError(`GET ${url}: the registry cannot be reached (${err.message || err})`);
  }
  if (response.status === 404) throw new PackageNotFoundError(`${ref} is not in the registry at ${serverUrl}`);
  if (response.status !== 200) throw new FederatedError(`GET ${url}: HTTP ${response.status} resolving ${ref}`);
  const resolved = await response.json();
  const where = `registry ${serverUrl}: ${ref}`;
  const manifest = validateManifest(resolved.manifest, manifestSchema ?? await loadSchema(), `${where}: manifest.json`);
  if (manifest.name !== name || manifest.version !== version) {
    throw new FederatedError(`${where}: the registry answered ${manifest.name}@${manifest.version}`);
  }
  const entry = manifest.files.fp32;
  if (!entry) throw new FederatedError(`${where}: field 'files' has no 'fp32' head graph`);
  const base = new URL(resolved.base_url, withSlash(serverUrl)).href;
  const file = await loadModelFile(base, entry, { fetchImpl, storage });
  const params = paramsFromPackage(manifest, new Uint8Array(file.buffer), head, `${where}: ${entry.path}`);
  return { params, manifest, from: file.from };
}

/** @param {string} url */
export const withSlash = (url) => (url.endsWith('/') ? url : `${url}/`);
