// Publish a package made in the browser to an Edgeward registry (README, "Packages and the registry"),
// as `edgeward publish` does: every file to PUT /api/v1/blobs/{sha256} (skipped when HEAD says the
// registry has it), then the manifest to PUT /api/v1/packages/{name}/versions/{version}, with the
// bearer token. The registry checks each blob's hash and the manifest; a published version is never
// overwritten (409). A refusal is a RegistryError naming the request, status and the server's reason.
import { DownloadError, EdgewardError } from '../errors.js';
import { manifestJson } from './package.js';

/** The registry refused a request (401 / 403 token, 409 version taken, 413 too large, 422 bad manifest or bytes). */
export class RegistryError extends EdgewardError {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}
Object.defineProperty(RegistryError.prototype, 'name', { value: 'RegistryError', writable: true, configurable: true });

/**
 * @param {string} method @param {string} url @param {RequestInit} init @param {typeof fetch} fetchImpl
 * @param {number[]} ok  statuses that are success
 */
async function request(method, url, init, fetchImpl, ok) {
  let response;
  try {
    response = await fetchImpl(url, { ...init, method, cache: 'no-store' });
  } catch (err) {
    throw new DownloadError(`${method} ${url}: the registry cannot be reached (${err.message || err})`);
  }
  if (ok.includes(response.status)) return response;
  let reason;
  try {
    const body = await response.json();
    reason = typeof body?.detail === 'string' ? body.detail : JSON.stringify(body?.detail ?? body);
  } catch {
    reason = response.statusText;
  }
  throw new RegistryError(`${method} ${url}: HTTP ${response.status}${reason ? ` (${reason})` : ''}`, response.status);
}

/**
 * Upload `pkg` ({manifest, files: {path: bytes}}, as trainer.export() gives) to the registry at
 * `registryUrl` with the bearer `token`. Resolves the registry's answer for the new version
 * ({name, version, manifest, files, …}).
 * @param {{manifest: any, files: Record<string, Uint8Array>}} pkg
 * @param {string | URL} registryUrl  e.g. 'http://127.0.0.1:8000' (the API is under /api/v1/)
 * @param {string} token
 * @param {{fetchImpl?: typeof fetch, onProgress?: (p: {file: string, uploaded: boolean}) => void}} [options]
 */
export async function publishPackage(pkg, registryUrl, token, { fetchImpl = fetch, onProgress } = {}) {
  if (!token) throw new RangeError('publishing needs the registry\'s bearer token');
  const api = new URL('api/v1/', new URL(registryUrl, globalThis.location?.href).href.replace(/\/?$/, '/')).href;
  const auth = { Authorization: `Bearer ${token}` };
  const { manifest, files } = pkg;
  for (const entry of Object.values(manifest.files)) {
    const bytes = files[entry.path];
    if (!bytes) throw new RangeError(`the package has no bytes for '${entry.path}' (manifest field 'files')`);
    const url = `${api}blobs/${entry.sha256}`;
    const head = await request('HEAD', url, {}, fetchImpl, [200, 404]);
    if (head.status !== 200) {
      await request('PUT', url, { headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: /** @type {BodyInit} */ (bytes) }, fetchImpl, [200, 201]);
    }
    onProgress?.({ file: entry.path, uploaded: head.status !== 200 });
  }
  const url = `${api}packages/${encodeURIComponent(manifest.name)}/versions/${encodeURIComponent(manifest.version)}`;
  const response = await request('PUT', url, { headers: { ...auth, 'Content-Type': 'application/json' }, body: manifestJson(manifest) },
    fetchImpl, [200, 201]);
  return response.json();
}
