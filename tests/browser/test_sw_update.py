"""Service-worker updates of an offline app are all or nothing (issue 15, item 4), in real headless Chromium.

The server stamps a version into the playground's sw.js (a new service worker for the browser), its
app.js and the runtime's edgeward.js; each deploy is a new version and ``registration.update()``. It
serves the modules as they are (no web/dist bundles: edgeward.js is then a file of its own).

- A deploy whose install fails part way — the new files are in its staging cache, then the connection of
  one shell file drops — leaves the old worker active, no staging cache behind, and offline the app runs
  with app.js and the runtime both of the old version.
- A successful deploy switches the whole shell at once: while the install is held part way, the live
  cache still holds the old version of both files; once the new worker is active, one cache is left and
  it holds the new version of both; offline the app runs on it.
- ``keepOffline`` never waits forever: a worker that goes redundant or never answers is retried once
  against the page's controller, else a clear error.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

from edgeward.browser.chromium import launch_chromium
from edgeward.server.app import create_app
from edgeward.server.background import serve_in_thread
from edgeward.settings import get_settings
from tests.browser.conftest import OpenedPage

pytestmark = pytest.mark.browser

APP = "/apps/playground/"
STAMPED = (APP + "sw.js", APP + "app.js", "/runtime/edgeward.js")  # each ends with '// test version N'
HELD = APP + "icon-512.png"  # a shell file only the install fetches


@dataclass
class Deploys:
    version: int = 1
    hold: threading.Event | None = None  # the held file sends half, waits for this, then...
    cut: bool = False  # ... drops the connection (else sends the rest)
    served: list[tuple[str, int]] = field(default_factory=list)  # (stamped path, its version)


def _mark(version: int) -> str:
    return f"// test version {version}"


async def _wait(event: threading.Event, timeout_s: float = 30.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if event.is_set():
            return
        await asyncio.sleep(0.02)


def _deploying_app(deploys: Deploys) -> FastAPI:
    app = create_app(get_settings(), bundled=False)

    @app.middleware("http")
    async def deploy(request: Request, call_next: Any) -> Response:
        path = request.url.path
        if path in STAMPED or path == HELD:  # always the whole file: a 304 would skip the stamp or the hold
            request.scope["headers"] = [(k, v) for k, v in request.scope["headers"]
                                        if k not in (b"if-none-match", b"if-modified-since")]
        response: Any = await call_next(request)
        if response.status_code != 200 or (path not in STAMPED and (path != HELD or deploys.hold is None)):
            return response
        data = b"".join([c async for c in response.body_iterator])
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "etag", "last-modified")}
        if path in STAMPED:
            deploys.served.append((path, deploys.version))
            return Response(data + f"\n{_mark(deploys.version)}\n".encode(), headers=headers)
        hold, cut = deploys.hold, deploys.cut

        async def body() -> AsyncIterator[bytes]:
            yield data[:len(data) // 2]
            assert hold is not None
            await _wait(hold)
            if cut:
                raise ConnectionResetError("the network dropped mid-install")  # uvicorn closes the socket
            yield data[len(data) // 2:]

        return StreamingResponse(body(), headers=headers)

    return app


@dataclass
class Visit:
    opened: OpenedPage
    deploys: Deploys
    live: int = 1  # the version the live cache should hold


READY = "() => document.body.dataset.status && document.body.dataset.status !== 'loading'"


@pytest.fixture(scope="module")
def visit(playwright_instance: Any, posenet_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Visit]:
    """One online visit of the playground (version 1), offline copies made."""
    deploys = Deploys()
    with serve_in_thread(app=_deploying_app(deploys)) as base:
        context = launch_chromium(playwright_instance, tmp_path_factory.mktemp("profile"))
        try:
            opened = OpenedPage(context.new_page(), context)
            opened.page.on("pageerror", lambda err: opened.errors.append(str(err)))
            opened.page.goto(base + APP)
            opened.page.wait_for_function("() => window.playground?.offlineReady || window.playground?.offlineError",
                                          timeout=60_000)
            assert opened.page.evaluate("window.playground.offlineError") is None
            yield Visit(opened, deploys)
        finally:
            context.close()


# Starts the deploy: update() fetches the changed sw.js; resolves once the new worker is installing.
START = """async () => {
  const registration = await navigator.serviceWorker.getRegistration('./');
  window.__old = registration.active;
  registration.update().catch(() => {});
  const deadline = performance.now() + 20000;
  while (!registration.installing && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  window.__new = registration.installing;
  return window.__new !== null;
}"""

# The playground's caches: name, state (null: being filled) and the version each stamped file holds.
CACHES = """async ([files, stateKey]) => {
  const out = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith('edgeward-playground-')) continue;
    const state = await caches.match(stateKey, { cacheName: name });
    const versions = {};
    for (const file of files) {
      const hit = await caches.match(new URL(file, location.href).href, { cacheName: name });
      versions[file] = hit ? Number(/test version (\\d+)\\s*$/.exec(await hit.text())?.[1]) : null;
    }
    out.push({ name, state: state ? (await state.json()).state : null, versions });
  }
  return out;
}"""
STATE_KEY = "/apps/kit/.edgeward-cache-state"
STAMPED_FILES = list(STAMPED[1:])  # sw.js is kept with the registration, not in the cache


# The version of each stamped file the page gets with fetch() (through its service worker).
FETCHED = """(files) => Promise.all(files.map((f) => fetch(f).then((r) => r.text()))).then((texts) =>
  Object.fromEntries(files.map((f, i) => [f, Number(/test version (\\d+)\\s*$/.exec(texts[i])[1])])))"""
# A file only the page asks its service worker to keep (the install does not fetch it).
PINNED = "/models/posenet/1.0.0/manifest.json"
KEEP_ONE = """async (url) => {
  const { keepOffline } = await import('/apps/kit/offline.js');
  const registration = await navigator.serviceWorker.getRegistration('./');
  return keepOffline(registration, [new URL(url, location.href).href]).then(() => 'ok', (err) => err.message);
}"""


def caches_now(page: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate(CACHES, [STAMPED_FILES, STATE_KEY])
    return result


def staged(page: Any, version: int, timeout_s: float = 20.0) -> dict[str, Any]:
    """Wait until a cache that is not live yet holds both stamped files of `version`; it, and the caches."""
    want = dict.fromkeys(STAMPED_FILES, version)
    for _ in range(int(timeout_s / 0.1)):
        now = caches_now(page)
        hit = [c for c in now if c["state"] is None and c["versions"] == want]
        if hit:
            return {"staging": hit[0], "all": now}
        page.wait_for_timeout(100)
    raise AssertionError(f"no staging cache with version {version}: {caches_now(page)}")


def offline_versions(visit: Visit) -> dict[str, Any]:
    """Offline: reload, wait for the model, and the version of each stamped file the page gets."""
    page = visit.opened.page
    visit.opened.context.set_offline(True)
    try:
        page.reload()
        page.wait_for_function(READY, timeout=60_000)
        assert page.evaluate("document.body.dataset.status") == "ready", page.inner_text("#error")
        assert page.evaluate("window.playground.cache.from") == "cache"
        return dict(page.evaluate(FETCHED, STAMPED_FILES))
    finally:
        visit.opened.context.set_offline(False)


def test_an_install_that_fails_part_way_leaves_the_old_version_whole(visit: Visit) -> None:
    page, deploys = visit.opened.page, visit.deploys
    deploys.version, deploys.hold, deploys.cut = visit.live + 1, threading.Event(), True
    try:
        assert page.evaluate(START), "no new service worker installing"
        progress = staged(page, deploys.version)  # the new files are in, the held shell file is not yet
        live = [c for c in progress["all"] if c["state"] == "live"]
        assert [c["versions"] for c in live] == [dict.fromkeys(STAMPED_FILES, visit.live)], progress
        deploys.hold.set()  # ... and now its connection drops: the install fails
        page.wait_for_function("() => window.__new.state === 'redundant'", timeout=20_000)
    finally:
        deploys.hold.set()
        # the server rolls back: the browser's own update checks (after each navigation) find nothing new
        deploys.version, deploys.hold, deploys.cut = visit.live, None, False
    assert page.evaluate("""async () => {
      const registration = await navigator.serviceWorker.getRegistration('./');
      return registration.active === window.__old && window.__old.state === 'activated'
        && !registration.installing && !registration.waiting;
    }"""), "the old service worker is not the active one"
    after = caches_now(page)
    assert [(c["state"], c["versions"]) for c in after] == [("live", dict.fromkeys(STAMPED_FILES, visit.live))], after
    assert progress["staging"]["name"] not in [c["name"] for c in after]

    assert offline_versions(visit) == dict.fromkeys(STAMPED_FILES, visit.live)
    assert visit.opened.errors == []


def test_a_successful_deploy_switches_the_whole_shell_at_once(visit: Visit) -> None:
    page, deploys = visit.opened.page, visit.deploys
    old, new = visit.live, visit.live + 2
    deploys.hold = threading.Event()
    # a file only the page asks to keep (not one the install fetches): it must survive the switch
    assert page.evaluate(KEEP_ONE, PINNED) == "ok"
    try:
        deploys.version = new
        assert page.evaluate(START), "no new service worker installing"
        progress = staged(page, new)
        # half installed: the fetch handler's cache (the live one) is all of the old version still
        live = [c for c in progress["all"] if c["state"] == "live"]
        assert [c["versions"] for c in live] == [dict.fromkeys(STAMPED_FILES, old)], progress
        deploys.hold.set()  # the rest of the held file: the install completes, the new worker takes over
        page.wait_for_function("() => window.__new.state === 'activated'", timeout=30_000)
    finally:
        deploys.hold.set()
        deploys.hold = None
    visit.live = new
    after = caches_now(page)
    assert after == [{"name": progress["staging"]["name"], "state": "live",
                      "versions": dict.fromkeys(STAMPED_FILES, new)}], after
    assert (APP + "app.js", new) in deploys.served and ("/runtime/edgeward.js", new) in deploys.served

    assert offline_versions(visit) == dict.fromkeys(STAMPED_FILES, new)
    # what the page asked to keep came over from the old cache; offline the service worker serves it
    visit.opened.context.set_offline(True)
    try:
        pinned = page.evaluate("(url) => fetch(url).then((r) => r.json()).then((m) => m.name)", PINNED)
    finally:
        visit.opened.context.set_offline(False)
    assert pinned == "posenet"
    assert visit.opened.errors == []


# keepOffline against workers that never answer: the retry goes to the page's controller, else a clear error.
KEEP = """async () => {
  const { keepOffline } = await import('/apps/kit/offline.js');
  const urls = [new URL('/models/index.json', location.href).href];
  const silent = () => Object.assign(new EventTarget(), { state: 'activated', scriptURL: 'silent', postMessage() {} });
  const replaced = () => {
    const w = Object.assign(new EventTarget(), { state: 'activated', scriptURL: 'replaced' });
    w.postMessage = () => setTimeout(() => { w.state = 'redundant'; w.dispatchEvent(new Event('statechange')); }, 50);
    return w;
  };
  const outcome = (p) => p.then(() => 'ok', (err) => err.message);
  const out = {};
  out.silentThenController = await outcome(keepOffline({ active: silent() }, urls, { timeoutMs: 300 }));
  out.replacedThenController = await outcome(keepOffline({ active: replaced() }, urls, { timeoutMs: 5000 }));
  try { // a page no service worker controls: nobody to retry with
    Object.defineProperty(navigator.serviceWorker, 'controller', { get: () => null, configurable: true });
    out.silentAlone = await outcome(keepOffline({ active: silent() }, urls, { timeoutMs: 300 }));
    out.replacedAlone = await outcome(keepOffline({ active: replaced() }, urls, { timeoutMs: 5000 }));
  } finally {
    delete navigator.serviceWorker.controller;
  }
  out.controllerBack = navigator.serviceWorker.controller !== null;
  return out;
}"""


def test_keep_offline_is_bounded_and_retries_the_new_controller(visit: Visit) -> None:
    out = visit.opened.page.evaluate(KEEP)
    assert out["silentThenController"] == "ok" and out["replacedThenController"] == "ok", out
    assert out["silentAlone"] == "offline copies not made: the service worker gave no reply (no answer within 0.3 s)"
    assert out["replacedAlone"] == ("offline copies not made: the service worker gave no reply "
                                    "(it was replaced before it answered)")
    assert out["controllerBack"], out
