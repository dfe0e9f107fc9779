// The header's live numbers: download progress, backend, model cache, FPS, ms per frame, dropped
// frames. Ids: #progress #status #backend #cache #fps #inference #dropped.

import { $, setStatus } from './page.js';

/** 5057987 → '5.1 MB', 81234 → '81 kB'. */
export function formatBytes(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`;
}

/** Frames finished in the last second: call the returned tick() once per result; it returns the count. */
export function fpsWindow() {
  const times = [];
  return () => {
    const now = performance.now();
    times.push(now);
    while (times.length && times[0] < now - 1000) times.shift();
    return times.length;
  };
}

/** A download step of the runtime's onProgress ({file, loaded, total, cached}): #progress and #status. */
export function showProgress(p) {
  const bar = $('progress');
  bar.hidden = p.loaded >= p.total;
  bar.max = p.total || 1;
  bar.value = p.loaded;
  setStatus('loading', p.cached ? `${p.file}: from cache` : `${p.file}: ${formatBytes(p.loaded)} of ${formatBytes(p.total)}`);
}

/** #backend: 'wasm · 4 threads', with the runtime's reason for that choice as its title. */
export function showBackend(b) {
  $('backend').textContent = `${b.name}${b.name !== 'webgpu' ? ` · ${b.threads} thread${b.threads === 1 ? '' : 's'}` : ''}`;
  $('backend').title = b.reason || '';
}

/** #cache: where the model bytes came from; a storage warning (e.g. memory only) goes to `warn` too. */
export function showCache(c, warn) {
  if (!c) return;
  $('cache').textContent = `${c.from === 'network' ? 'downloaded' : `from ${c.from}`}${c.stored === 'memory' ? ' (memory only)' : ''}`;
  $('cache').title = c.warning || (c.persisted ? 'persistent storage granted' : 'storage may be evicted under pressure');
  if (c.warning) warn({ name: 'StorageWarning', message: c.warning });
}

/** #inference: '12.3 ms (+4.5)' (inference, then pre- and post-processing). */
export function showTimings(t) {
  if (t) $('inference').textContent = `${t.inferenceMs.toFixed(1)} ms (+${(t.preprocessMs + t.decodeMs).toFixed(1)})`;
}
