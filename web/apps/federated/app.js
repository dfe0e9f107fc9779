// The federated dashboard: a task's rounds as the coordinator reports them (GET
// /api/v1/federated/tasks/{task}/dashboard) — clients sampled / returned / refused, the clients' own
// accuracy per round, the distribution of update norms, and the (ε, δ) spent so far. Read-only: it
// needs no token, and it shows nothing the server does not already hold (no client's data).
import { LineChart } from '../kit/chart.js';
import { $, errorDisplay, setStatus } from '../kit/page.js';
import { drawHistogram, histogram } from './histogram.js';

const API = '/api/v1/federated';
const state = { errors: /** @type {string[]} */ ([]), task: '', timer: 0, last: /** @type {any} */ (null) };
const { showError, clearError } = errorDisplay(state, 'federated');
const params = new URLSearchParams(location.search);

const accuracyChart = new LineChart($('accuracy-chart'), {
  title: "Clients' accuracy / loss", xLabel: 'round', empty: 'no published round yet', yMin: 0,
  series: [{ label: 'accuracy', color: '#00e676' }, { label: 'loss', color: '#ffab40', dashed: true }],
});

const pct = (v) => (typeof v === 'number' ? `${(100 * v).toFixed(1)} %` : '–');
const small = (v) => (v < 1e-3 ? v.toExponential() : String(v));
const eps = (e, d) => (typeof e === 'number' ? `ε ${e.toPrecision(3)} (δ ${small(d)})` : 'no DP');

async function getJson(path) {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) {
    const body = await r.json().catch(() => ({}));
    throw new Error(`${path}: ${r.status} ${body.detail ?? body.message ?? r.statusText}`);
  }
  return r.json();
}

/** The rules a client cannot see from a round alone: who aggregates how, with what privacy. */
function showRules(spec) {
  const rows = [
    ['Head', `${spec.head.kind}, ${spec.head.dim} → ${spec.head.labels.length} classes`],
    ['Base', spec.base ?? 'raw features'],
    ['Clients / round', `${spec.clients_per_round} (min ${spec.min_updates})`],
    ['Deadline', `${spec.deadline_s} s`], ['Local epochs', spec.local_epochs],
    ['Aggregator', spec.aggregator + (spec.assumed_byzantine ? ` (f = ${spec.assumed_byzantine})` : '')],
    ['Clip norm', spec.clip_norm ?? 'none'], ['DP noise z', spec.dp_noise_multiplier],
    ['Sample rate q', spec.dp_sample_rate], ['Max rounds', spec.max_rounds ?? '∞'],
  ];
  $('rules').replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = k;
    dd.textContent = String(v);
    return [dt, dd];
  }));
}

function showRounds(rounds) {
  const body = /** @type {HTMLTableElement} */ ($('rounds')).tBodies[0];
  body.replaceChildren(...rounds.map((r) => {
    const tr = document.createElement('tr');
    const refused = Object.entries(r.refused_by_code ?? {}).map(([c, n]) => `${c} ×${n}`).join(', ');
    const cells = [r.round, r.package, `${r.reason}, ${new Date(r.closed_at * 1000).toLocaleTimeString()}`,
      r.sampled, r.returned, r.refused ? `${r.refused} (${refused})` : '0', r.clipped, r.examples,
      pct(r.local_accuracy), eps(r.epsilon, r.delta)];
    for (const [i, value] of cells.entries()) {
      const td = document.createElement('td');
      td.textContent = String(value);
      if (i === 5 && r.refused) td.className = 'refused';
      tr.append(td);
    }
    return tr;
  }));
  $('empty').hidden = rounds.length > 0;
  accuracyChart.setData(rounds.map((r) => [r.round, r.local_accuracy ?? NaN, r.local_loss ?? NaN]));
}

function show(d) {
  $('version').textContent = d.package;
  const r = d.round;
  $('round').textContent = d.finished ? 'finished' : `${r.round} · ${r.state}`;
  $('clients').textContent = String(d.clients);
  $('epsilon').textContent = eps(d.epsilon, d.delta);
  const c = d.current;
  const refused = Object.entries(c.refused_by_code).map(([code, n]) => `${code} ×${n}`).join(', ') || 'none';
  $('current').textContent = d.finished ? 'The task has run all its rounds.'
    : `Round ${r.round} trains from ${r.package}: ${c.updates} of ${r.clients_per_round} updates in ` +
      `(closes at ${r.min_updates} once the deadline ${new Date(r.deadline * 1000).toLocaleTimeString()} ` +
      `passes), ${c.sampled} sampled, refused: ${refused}.`;
  showRules(d.spec);
  showRounds(d.rounds);
  // the current round's norms while it collects; the last published round's once it has none yet
  const last = d.rounds[d.rounds.length - 1];
  const [norms, which] = c.update_norms.length || !last ? [c.update_norms, `round ${r.round} so far`]
    : [last.update_norms, `round ${last.round}`];
  $('norms-caption').textContent = `Update norms (L2 of each delta as sent), ${which}`;
  drawHistogram($('norms-chart'), histogram(norms, 12, d.spec.clip_norm),
    { title: `Update norms, ${which}`, clip: d.spec.clip_norm });
}

async function refresh() {
  if (!state.task) return;
  try {
    const d = await getJson(`${API}/tasks/${encodeURIComponent(state.task)}/dashboard`);
    state.last = d;
    show(d);
    clearError();
    setStatus('ready', 'live');
  } catch (err) {
    showError(err);
    setStatus('error', 'unreachable');
  }
}

function schedule() {
  clearInterval(state.timer);
  if (/** @type {HTMLInputElement} */ ($('live')).checked) state.timer = setInterval(refresh, 2000);
}

async function main() {
  const select = /** @type {HTMLSelectElement} */ ($('task'));
  try {
    const { tasks } = await getJson(`${API}/tasks`);
    if (!tasks.length) {
      select.replaceChildren(new Option('no tasks on this server', ''));
      setStatus('ready', 'no tasks');
      $('empty').textContent = 'This server has no federated task yet: create one by POSTing its spec to '
        + '/api/v1/federated/tasks with the registry token (see the README).';
      return;
    }
    select.replaceChildren(...tasks.map((t) => new Option(t, t)));
    state.task = tasks.includes(params.get('task')) ? params.get('task') : tasks[0];
    select.value = state.task;
    select.disabled = false;
  } catch (err) {
    showError(err);
    setStatus('error');
    return;
  }
  select.addEventListener('change', () => {
    state.task = select.value;
    history.replaceState(null, '', `?task=${encodeURIComponent(state.task)}`);
    refresh();
  });
  $('live').addEventListener('change', schedule);
  document.addEventListener('visibilitychange', () => (document.hidden ? clearInterval(state.timer) : schedule()));
  await refresh();
  schedule();
}

Object.assign(globalThis, { __dashboard: state });
main();
