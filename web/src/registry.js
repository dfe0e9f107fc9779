// `NAME@RANGE` → a package through an Edgeward registry, as Python's RegistryClient.resolve (and
// `edgeward pull NAME@RANGE`) does: GET {registry}/api/v1/packages/NAME/resolve?range=RANGE answers
// the highest published version in the range (the registry applies the npm-style range rules, so JS
// and Python cannot disagree), its manifest and the folder its files are served from.
//
//   const { url, version } = await resolvePackage('posenet-mobilenet@^1', 'https://models.example');
//   const detector = await createPoseDetector(url);   // or createPoseDetector(spec, {registry})

import { DownloadError, PackageNotFoundError } from './errors.js';
import { RegistryError } from './train/publish.js';

/** Python: edgeward.package.semver._SPEC. No range means 'latest'. */
const SPEC = /^([a-z0-9][a-z0-9._-]*)(?:@(.*))?$/;

/**
 * @typedef {object} ResolvedPackage
 * @property {string} name
 * @property {string} version  the highest published version in the range
 * @property {string} url  absolute URL of the package folder (ends in '/'): what createPoseDetector & co. take
 * @property {any} manifest  the registry's copy (the runtime validates what it downloads itself)
 * @property {string} manifestSha256
 */

/**
 * Resolve `spec` ('posenet', 'posenet@^1', 'posenet@1.0.0', 'posenet@latest') through the registry
 * at `registryUrl`. No such package or no version in the range: PackageNotFoundError; a range the
 * registry cannot parse: RangeError; an unreachable registry: DownloadError; any other refusal:
 * RegistryError (with `status`).
 * @param {string} spec
 * @param {string | URL} registryUrl  e.g. 'http://127.0.0.1:8000' (the API is under /api/v1/)
 * @param {{fetchImpl?: typeof fetch}} [options]
 * @returns {Promise<ResolvedPackage>}
 */
export async function resolvePackage(spec, registryUrl, { fetchImpl = fetch } = {}) {
  const m = SPEC.exec(String(spec).trim());
  if (!m) throw new RangeError(`'${spec}' is not a package spec (expected NAME or NAME@RANGE, e.g. posenet@^1)`);
  const [, name, range = 'latest'] = m;
  const root = new URL(registryUrl, globalThis.location?.href).href.replace(/\/?$/, '/');
  const url = new URL(`api/v1/packages/${name}/resolve?range=${encodeURIComponent(range || 'latest')}`, root).href;
  let response;
  try {
    response = await fetchImpl(url, { cache: 'no-store' }); // a newer version may have been published
  } catch (err) {
    throw new DownloadError(`GET ${url}: the registry cannot be reached (${err.message || err})`, { cause: err });
  }
  const body = await response.json().catch(() => null);
  const detail = body?.detail ? `: ${typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail)}` : '';
  if (response.status === 404) throw new PackageNotFoundError(`${spec} is not in the registry at ${root}${detail}`);
  if (response.status === 422) throw new RangeError(`${spec}: the registry at ${root} refused the range${detail}`);
  if (response.status !== 200) throw new RegistryError(`GET ${url}: HTTP ${response.status}${detail}`, response.status);
  for (const field of ['name', 'version', 'base_url', 'manifest']) {
    if (!body?.[field]) throw new RegistryError(`GET ${url}: the answer has no '${field}'`, response.status);
  }
  return {
    name: body.name, version: body.version, url: new URL(body.base_url, root).href.replace(/\/?$/, '/'),
    manifest: body.manifest, manifestSha256: body.manifest_sha256,
  };
}
