// The model switcher: the #model picker, filled from the server's /models/index.json with the
// packages of the page's task, and kept in step with ?model=.

import { $ } from './page.js';

/** 'movenet-lightning' → 'MoveNet Lightning', with `words` spelling the known parts. */
export function titleCase(name, words = {}) {
  return name.split('-').map((w) => words[w] || (w && w[0].toUpperCase() + w.slice(1))).join(' ');
}

/**
 * The packages of `task` in /models/index.json, one per name (its latest), by name:
 * [{name, url, label}]. An unreadable index is passed to `warn` and gives [] (the page still
 * offers the model it was asked for).
 */
export async function listTaskModels(task, words, warn) {
  let packages = [];
  try {
    const response = await fetch('/models/index.json', { cache: 'no-cache' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    packages = (await response.json()).packages || [];
  } catch (err) {
    warn(err);
  }
  const byName = new Map();
  for (const p of packages) if (p.task === task && !byName.has(p.name)) byName.set(p.name, p);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => ({ name: p.name, url: `/models/${p.name}/latest/`, label: titleCase(p.name, words) }));
}

/** Fill #model with `models`, plus `modelUrl` first when it is none of them (a ?model= from elsewhere). */
export function fillModelPicker(models, modelUrl) {
  const select = $('model');
  const options = models.map((m) => new Option(m.label, m.url));
  if (!models.some((m) => m.url === modelUrl)) options.unshift(new Option(modelUrl, modelUrl));
  select.replaceChildren(...options);
  select.value = modelUrl;
  select.disabled = false;
}

/** Keep ?model= (replaced, not pushed: Back leaves the page) and #model on the package in use. */
export function syncModelParam(params, url) {
  params.set('model', url);
  history.replaceState(history.state, '', `${location.pathname}?${params}${location.hash}`);
  if ($('model').value !== url) $('model').value = url;
}
