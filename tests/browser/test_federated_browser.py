"""Federated learning with real browser clients (web/src/federated/, in the worker) and Python clients
(edgeward.federated.client) in the same rounds of one coordinator (``edgeward serve``'s app):

- three headless Chromium profiles, each with its own digits shard, and two Python clients complete
  three rounds; the accuracy of the published versions on the held-out split rises, and every page
  ends on the newest version;
- privacy: every request one browser client makes (page and worker) is recorded; none carries its
  examples in any encoding, and each update is exactly P × 4 bytes plus a small header;
- offline: an update made while the network is down is kept and sent when it comes back; a page closed
  with an unsent update is resumed by the next one (same client, no second join); a resend after a
  lost reply counts as sent (the coordinator refuses the duplicate).
"""

from __future__ import annotations

import itertools
import json
import struct
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from edgeward.browser.chromium import launch_chromium
from edgeward.browser.harness import HARNESS_PATH
from edgeward.federated.client import FederatedClient
from edgeward.federated.local import accuracy, read_params, split_clients
from edgeward.federated.protocol import TaskSpec
from edgeward.server.background import serve_in_thread
from edgeward.train import digits, stratified_split
from tests.federated.fedserver import API, create, fed_settings

pytestmark = pytest.mark.browser

LABELS = [str(c) for c in range(10)]
HEAD = {"kind": "linear", "dim": 64, "labels": LABELS}
ROUNDS = 3
PAGES, PYTHON_CLIENTS = 3, 2
DIGITS = digits()
TRAIN_IDX, HELD_OUT = stratified_split(DIGITS.y, 0.3, 0)


def _standardized_head() -> dict[str, Any]:
    """The head with a fixed standardisation every client applies: the training split's statistics, as a
    deployment would take them from public data (never each client's own; see FederatedHead)."""
    x = DIGITS.x[TRAIN_IDX]
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return HEAD | {"mean": x.mean(axis=0).tolist(), "std": std.tolist()}


TASK = {"name": "fl-digits", "head": _standardized_head(), "clients_per_round": PAGES + PYTHON_CLIENTS,
        "min_updates": PAGES + PYTHON_CLIENTS, "local_epochs": 3, "max_rounds": ROUNDS, "clip_norm": 10.0}
OFFLINE_TASK = {"name": "fl-offline", "head": HEAD, "clients_per_round": 2, "min_updates": 1, "max_rounds": 3,
                "clip_norm": 10.0}

RUN = """async ([task, x, y, seed, rounds]) => {
  const ew = window.edgewardHarness.edgeward;
  window.fedState = {done: false};
  try {
    const client = await ew.joinFederatedTask(location.origin, task, {examples: {x, y}, seed});
    window.fedClient = client;
    const reports = await client.run(rounds);
    window.fedState = {done: true, reports, status: await client.status()};
  } catch (err) {
    window.fedState = {done: true, error: `${err.name}: ${err.message}`};
  }
}"""


@pytest.fixture(scope="module")
def coordinator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = fed_settings(tmp_path_factory.mktemp("federated"))
    with serve_in_thread(settings) as url, httpx.Client(base_url=url) as http:
        create(http, TASK)
        create(http, OFFLINE_TASK)
        yield url


def _open(playwright: Any, url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    context = launch_chromium(playwright, tmp_path_factory.mktemp("profile"))
    page = context.new_page()
    page.goto(url + HARNESS_PATH)
    page.wait_for_function("() => document.body.dataset.status === 'ready'")
    return context, page


def _version_params(http: httpx.Client, folder: Path, version: int, spec: TaskSpec) -> np.ndarray:
    """The parameters of published version ``version``, read from its registry package as a client does."""
    resolved = http.get(f"/api/v1/packages/{spec.name}/versions/1.{version}.0").json()
    here = folder / str(version)
    here.mkdir()
    (here / "manifest.json").write_text(json.dumps(resolved["manifest"]))
    for entry in resolved["files"].values():
        (here / entry["path"]).write_bytes(http.get(entry["url"]).content)
    return read_params(here, spec.head)


def _js_number(v: float) -> str:
    """A number as JavaScript's String() / JSON.stringify write it (integers without '.0', e-5 not e-05)."""
    if v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    if 1e-6 <= abs(v) < 1e21:  # the same shortest digits (repr), written out in full
        return format(Decimal(repr(v)), "f")
    mantissa, _, exponent = repr(v).partition("e")
    return f"{mantissa}e{'+' if int(exponent) > 0 else '-'}{abs(int(exponent))}"


def _encodings(row: np.ndarray) -> list[bytes]:
    """A feature vector as anything could carry it: float32 / float64 bytes (both byte orders), and the
    numbers as text, JavaScript's way and Python's (comma-separated, with or without spaces)."""
    values = [float(v) for v in row]
    texts = [",".join(_js_number(v) for v in values), ",".join(map(repr, values)), ", ".join(map(repr, values))]
    return [row.astype("<f4").tobytes(), row.astype(">f4").tobytes(), row.astype("<f8").tobytes(),
            row.astype(">f8").tobytes(), *(t.encode() for t in texts)]


def _leaks(blob: bytes, x: np.ndarray) -> list[int]:
    """Rows of x found in blob in any encoding."""
    return [i for i, row in enumerate(x) if any(e in blob for e in _encodings(row))]


def test_browsers_and_python_clients_train_three_rounds_and_send_only_deltas(
        coordinator: str, playwright_instance: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    spec = TaskSpec.model_validate(TASK)
    data, held_out = DIGITS, HELD_OUT
    shards = [TRAIN_IDX[s] for s in split_clients(data.y[TRAIN_IDX], PAGES + PYTHON_CLIENTS, None, seed=0)]
    opened = [_open(playwright_instance, coordinator, tmp_path_factory) for _ in range(PAGES)]
    recorded: list[Any] = []  # every request of browser client 0: its page and its worker
    opened[0][0].on("request", lambda r: recorded.append(r))
    try:
        for i, (_, page) in enumerate(opened):
            x, y = data.x[shards[i]], data.y[shards[i]]
            args = ["fl-digits", x.tolist(), [LABELS[c] for c in y], i + 1, ROUNDS]
            page.evaluate(f"(args) => {{ ({RUN})(args); }}", args)  # not awaited: the pages train side by side
        pythons = [FederatedClient(coordinator, "fl-digits", data.x[s], data.y[s], seed=10 + k,
                                   store=tmp_path_factory.mktemp(f"py{k}"), poll_s=0.2)
                   for k, s in enumerate(shards[PAGES:])]
        results: dict[int, Any] = {}
        threads = [threading.Thread(target=lambda k=k, c=c: results.__setitem__(k, c.run(ROUNDS)))
                   for k, c in enumerate(pythons)]
        for t in threads:
            t.start()
        states = []
        for _, page in opened:
            page.wait_for_function("() => window.fedState?.done", timeout=60_000)
            states.append(page.evaluate("() => window.fedState"))
        for t in threads:
            t.join(timeout=60)
        sent = [(r.method, r.url, r.all_headers(), r.post_data_buffer or b"") for r in recorded]
        for c in pythons:
            c.close()
        with httpx.Client(base_url=coordinator) as http:
            current = http.get(f"{API}/tasks/fl-digits/version").json()
            dashboard = http.get(f"{API}/tasks/fl-digits/dashboard").json()
            folder = tmp_path_factory.mktemp("versions")
            versions = [_version_params(http, folder, v, spec) for v in range(ROUNDS + 1)]
    finally:
        for context, _ in opened:
            context.close()

    assert all("error" not in s for s in states), [s.get("error") for s in states]
    assert [len(results[k]) for k in range(PYTHON_CLIENTS)] == [ROUNDS] * PYTHON_CLIENTS
    assert all(r.receipt is not None for k in results for r in results[k])
    assert current["version"] == ROUNDS and current["finished"]
    for s in states:  # every page took each round and ends on the newest version
        assert [r["status"] for r in s["reports"]] == ["sent"] * ROUNDS
        assert [r["round"] for r in s["reports"]] == list(range(1, ROUNDS + 1))
        assert s["status"]["version"] == ROUNDS and s["status"]["package"] == current["package"] == "fl-digits@1.3.0"
    assert [m["returned"] for m in dashboard["rounds"]] == [PAGES + PYTHON_CLIENTS] * ROUNDS
    x_test, y_test = data.x[held_out], data.y[held_out]
    acc = [accuracy(p, spec.head, x_test, y_test) for p in versions]
    print(f"\nheld-out accuracy of versions 0..{ROUNDS}: {[round(a, 4) for a in acc]}")
    assert acc[1] > acc[0] + 0.3 and all(b >= a - 0.01 for a, b in itertools.pairwise(acc[1:])) and acc[-1] > 0.9, acc

    # -- the privacy capture: everything browser client 0 sent, page and worker ----------------------------
    p = spec.param_count
    mine = data.x[shards[0]]
    standardized = (mine - np.array(spec.head.mean)) / np.array(spec.head.std)  # what local training sees
    assert _leaks(b"..." + mine[3].astype("<f4").tobytes(), mine) == [3]  # the search finds a leak
    as_js = "{\"x\":[" + ",".join(_js_number(float(v)) for v in mine[7]) + "]}"  # JSON.stringify({x: row})
    assert _leaks(as_js.encode(), mine) == [7] and _leaks(json.dumps(mine[9].tolist()).encode(), mine) == [9]
    updates = [(url, h, body) for method, url, h, body in sent if method == "POST" and url.endswith("/updates")]
    assert len(updates) == ROUNDS
    assert any(url.endswith("/resolve?range=1.0.0") for _, url, _, _ in sent), "the worker's fetches are not captured"
    for method, url, headers, body in sent:
        blob = (url + json.dumps(headers)).encode() + body
        assert _leaks(blob, mine) == [] and _leaks(blob, standardized) == [], f"{method} {url} carries examples"
        assert url.startswith(coordinator)
    for _, headers, body in updates:
        header = headers["x-edgeward-update"]
        all_headers = sum(len(k) + len(v) + 4 for k, v in headers.items())
        print(f"update: {len(body)} bytes of payload (P = {p}), X-Edgeward-Update {len(header)} bytes, "
              f"all request headers {all_headers} bytes")
        assert len(body) == 4 * p
        assert len(header.encode()) < 2048 and all_headers < 2048
        delta = np.array(struct.unpack(f"<{p}f", body))
        assert np.isfinite(delta).all() and np.linalg.norm(delta) <= 10.0 + 1e-4
    posts = {url.rsplit("/", 1)[-1] for method, url, _, _ in sent if method not in ("GET", "HEAD")}
    assert posts == {"join", "checkin", "updates"}, posts
    uploaded = sum(len(body) + sum(len(k) + len(v) + 4 for k, v in h.items()) for m, _, h, body in sent if m != "GET")
    print(f"browser client 0: {len(sent)} requests, {uploaded} bytes sent in POSTs over {ROUNDS} rounds "
          f"({len(mine)} examples of {mine.shape[1]} features: {mine.nbytes} bytes as float64)")


OFFLINE = """async ([op, args]) => {
  const ew = window.edgewardHarness.edgeward;
  if (op === 'join') {
    window.fedClient = await ew.joinFederatedTask(location.origin, 'fl-offline',
      {examples: {x: args.x, y: args.y}, seed: 5, retry: {baseMs: 60000, maxMs: 60000}});
    return window.fedClient.lastStatus;
  }
  return window.fedClient[op](...(args ?? []));
}"""


def _round(http: httpx.Client) -> dict[str, Any]:
    return http.get(f"{API}/tasks/fl-offline/dashboard").json()


def test_an_update_made_offline_is_kept_sent_on_reconnect_and_resumed_after_a_reload(
        coordinator: str, playwright_instance: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    x, y = DIGITS.x[:120].tolist(), [LABELS[c] for c in DIGITS.y[:120]]
    context, page = _open(playwright_instance, coordinator, tmp_path_factory)
    call = lambda op, args=None: page.evaluate(OFFLINE, [op, args])  # noqa: E731
    python = FederatedClient(coordinator, "fl-offline", DIGITS.x[120:240], DIGITS.y[120:240],
                             store=tmp_path_factory.mktemp("py-offline"))
    python.join()

    def fill_round() -> None:  # the round's second update, from a Python client: the round closes
        assert python.take_round(python.checkin().round).receipt is not None

    try:
        with httpx.Client(base_url=coordinator) as http:
            joined = call("join", {"x": x, "y": y})
            # round 1: the network drops after training; the update is kept, then sent on reconnect
            assert call("prepare")["round"] == 1
            context.set_offline(True)
            assert call("send")["status"] == "pending"
            assert call("status")["pending"]["round"] == 1 and _round(http)["current"]["updates"] == 0
            context.set_offline(False)
            t0 = time.monotonic()
            flushed = call("flushed", [20_000])
            print(f"\nkept update sent {time.monotonic() - t0:.2f} s after the network came back")
            assert flushed["pending"] is None and (flushed["sent"]["round"], flushed["sent"]["duplicate"]) == (1, False)
            assert _round(http)["current"]["updates"] == 1
            fill_round()
            # round 2: the page closes offline with its update unsent; the next page resumes and sends it
            assert call("prepare")["round"] == 2
            context.set_offline(True)
            assert call("send")["status"] == "pending"
            page.close()
            context.set_offline(False)
            page = context.new_page()
            page.goto(coordinator + HARNESS_PATH)
            page.wait_for_function("() => document.body.dataset.status === 'ready'")
            resumed = call("join", {"x": x, "y": y})
            assert resumed["resumed"] and resumed["clientId"] == joined["clientId"]
            assert resumed["pending"] is None and resumed["sent"]["round"] == 2
            assert _round(http)["current"]["updates"] == 1 and _round(http)["clients"] == 2  # this page and Python's
            fill_round()
            # round 3: the coordinator takes the update but its reply is lost; the resend is a duplicate
            lost: list[str] = []

            def take_then_drop(route: Any) -> None:
                lost.append(str(route.fetch().status))
                route.abort("connectionreset")

            context.route("**/tasks/fl-offline/updates", take_then_drop, times=1)
            assert call("prepare")["round"] == 3
            assert call("send")["status"] == "pending" and lost == ["201"]
            again = call("send")
            assert again["status"] == "sent" and again["duplicate"] is True
            dash = _round(http)
            assert dash["current"]["updates"] == 1 and dash["current"]["refused_by_code"] == {"duplicate": 1}
            fill_round()
            assert call("pullLatest")["version"] == 3
    finally:
        python.close()
        context.close()
