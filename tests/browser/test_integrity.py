"""The browser runtime's verified model cache, in real headless Chromium.

A test server answers the model URL the way broken deployments do: an HTML page with 200, an HTTP
500, a body cut short (with and without a Content-Length), flipped bytes. Each time the caller gets
a clear error, nothing is cached, and the next good response is used. Then 20 random byte flips go
through the runtime's own download + verification in one page, and a corrupted cache entry and a
quota error are handled.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from edgeward.browser.chromium import launch_chromium
from edgeward.package.manifest import MANIFEST_FILE, read_manifest
from edgeward.server.app import create_app
from edgeward.server.background import serve_in_thread

pytestmark = pytest.mark.browser

PACKAGE = "/models/posenet/latest/"
HARNESS = "/apps/harness/"


class Misbehaviour:
    """What the test server does to the next requests for model files (None: serve them)."""

    def __init__(self, model: bytes) -> None:
        self.mode: str | None = None
        self.model = model
        self.hits = 0


def _broken_app(state: Misbehaviour) -> FastAPI:
    app = create_app()

    @app.middleware("http")
    async def misbehave(request: Request, call_next: Any) -> Response:
        path = request.url.path
        if not (path.startswith("/models/") and path.endswith((".onnx", ".ewk"))):  # model files
            return await call_next(request)  # type: ignore[no-any-return]
        state.hits += 1
        if state.mode is None:
            return await call_next(request)  # type: ignore[no-any-return]
        data = state.model
        if state.mode == "html":
            return HTMLResponse("<!doctype html><title>502 Bad Gateway</title><h1>Bad Gateway</h1>")
        if state.mode == "500":
            return HTMLResponse("<h1>Internal Server Error</h1>", status_code=500)
        if state.mode == "flip":
            flipped = bytearray(data)
            flipped[len(data) // 3] ^= 0x40
            return Response(bytes(flipped), media_type="application/octet-stream")

        async def half() -> AsyncIterator[bytes]:
            yield data[: len(data) // 2]
            if state.mode == "short-length":
                raise ConnectionResetError("connection dropped mid-body")  # uvicorn closes the socket

        headers = {"Content-Length": str(len(data))} if state.mode == "short-length" else {}
        return StreamingResponse(half(), media_type="application/octet-stream", headers=headers)

    return app


@pytest.fixture(scope="module")
def broken(posenet_dir: Path) -> Iterator[tuple[str, Misbehaviour]]:
    manifest = read_manifest(posenet_dir / MANIFEST_FILE)
    state = Misbehaviour((posenet_dir / manifest.files["fp32"].path).read_bytes())
    with serve_in_thread(app=_broken_app(state)) as base:
        yield base, state


@pytest.fixture
def harness(playwright_instance: Any, broken: tuple[str, Misbehaviour], tmp_path: Path) -> Iterator[Any]:
    base, state = broken
    state.mode = None
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    page = context.new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.csp_errors.append(m.text)  # type: ignore[attr-defined]
            if "Content Security Policy" in m.text else None)
    page.goto(base + HARNESS)
    page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=30_000)
    try:
        yield page
    finally:
        context.close()


LOAD = """async (pkg) => {
  const ew = window.edgewardHarness.edgeward;
  const progress = [];
  try {
    const d = await ew.createPoseDetector(pkg, {variant: 'fp32', onProgress: (p) => progress.push(p)}); // served below
    const cache = d.cache;
    await d.dispose();
    return {ok: true, cache, progress, cached: await ew.listCachedModels()};
  } catch (err) {
    return {ok: false, name: err.name, message: err.message, progress, cached: await ew.listCachedModels(),
            // the class the page rebuilt from the worker's {name, message, stack}, and that stack
            isClass: err instanceof ew[err.name], isEdgeward: err instanceof ew.EdgewardError,
            causeStack: err.cause && err.cause.stack, pageStack: err.stack};
  }
}"""


@pytest.mark.parametrize(("mode", "name", "words"), [
    ("html", "DownloadError", "HTML page"),
    ("500", "DownloadError", "HTTP 500"),
    ("short-length", "DownloadError", "cut short"),
    ("short", "IntegrityError", "truncated"),
    ("flip", "IntegrityError", "does not match manifest"),
])
def test_bad_response_is_refused_not_cached_and_the_next_good_one_is_used(
        harness: Any, broken: tuple[str, Misbehaviour], mode: str, name: str, words: str) -> None:
    _, state = broken
    state.mode = mode
    hits = state.hits
    bad = harness.evaluate(LOAD, PACKAGE)
    assert state.hits > hits, "the misbehaving server was not asked"
    assert bad["ok"] is False, bad
    assert bad["name"] == name and words in bad["message"], bad
    assert bad["isClass"] and bad["isEdgeward"], f"{name} from the worker is not an instanceof {name} on the page"
    # The worker's stack travels as `cause`: it names the worker's modules, where it was thrown.
    assert "integrity.js" in bad["causeStack"] and "worker.js" in bad["causeStack"], bad["causeStack"]
    assert "integrity.js" not in bad["pageStack"]
    assert "model.fp32.onnx" in bad["message"]
    assert bad["cached"] == []  # nothing entered the cache

    state.mode = None
    good = harness.evaluate(LOAD, PACKAGE)
    assert good["ok"] is True, good
    assert good["cache"]["from"] == "network" and good["cache"]["stored"] == "cache"
    assert [c["file"] for c in good["cached"]] == ["model.fp32.onnx"]
    last = good["progress"][-1]
    assert last["file"] == "model.fp32.onnx" and last["loaded"] == last["total"] == len(state.model)
    assert len(good["progress"]) >= 3 and all(p["total"] == last["total"] for p in good["progress"])

    hits = state.hits
    again = harness.evaluate(LOAD, PACKAGE)  # from the verified cache, the server is not asked
    assert again["ok"] is True and again["cache"]["from"] == "cache"
    assert state.hits == hits
    assert harness.csp_errors == []


def test_playground_shows_a_clear_error_then_recovers(playwright_instance: Any, broken: tuple[str, Misbehaviour],
                                                      tmp_path: Path) -> None:
    base, state = broken
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    try:
        page = context.new_page()
        state.mode = "html"
        page.goto(base + "/apps/playground/?sw=0")
        page.wait_for_selector("#error", state="visible", timeout=30_000)
        assert page.evaluate("document.body.dataset.status") == "error"
        text = page.inner_text("#error")
        assert text.startswith("DownloadError:") and "HTML page" in text and "nothing was cached" in text
        state.mode = None
        page.reload()
        page.wait_for_function("() => document.body.dataset.status === 'ready'", timeout=60_000)
        assert page.is_hidden("#error")
        assert page.evaluate("window.playground.cache.from") == "network"
    finally:
        state.mode = None
        context.close()


def test_twenty_random_byte_flips_are_all_caught(harness: Any, posenet_dir: Path) -> None:
    manifest = read_manifest(posenet_dir / MANIFEST_FILE)
    size = manifest.files["fp32"].bytes
    rng = random.Random(3)
    flips = [[rng.randrange(size), 1 << rng.randrange(8)] for _ in range(20)]
    result = harness.evaluate("""async ([pkg, flips]) => {
      const cache = await import('/runtime/cache.js');
      const { fetchManifest } = await import('/runtime/manifest.js');
      const manifest = await fetchManifest(new URL(pkg, location.href).href);
      const entry = manifest.files.fp32;
      const good = new Uint8Array(await (await fetch(new URL(entry.path, new URL(pkg, location.href)))).arrayBuffer());
      const outcomes = [];
      for (const [at, bit] of flips) {
        const bytes = good.slice();
        bytes[at] ^= bit;
        const fetchImpl = async () => new Response(bytes, {headers: {'Content-Type': 'application/octet-stream'}});
        try {
          await cache.loadModelFile(new URL(pkg, location.href).href, entry, { fetchImpl });
          outcomes.push({at, name: 'accepted'});
        } catch (err) {
          outcomes.push({at, name: err.name, message: err.message});
        }
      }
      return {outcomes, cached: await cache.listCachedModels()};
    }""", [PACKAGE, flips])
    assert len(result["outcomes"]) == 20
    for o in result["outcomes"]:
        assert o["name"] == "IntegrityError", o
        assert "sha256" in o["message"] and "does not match manifest" in o["message"]
    assert result["cached"] == []


def test_corrupted_cache_entry_is_evicted_and_quota_falls_back_to_memory(harness: Any) -> None:
    result = harness.evaluate("""async (pkg) => {
      const ew = window.edgewardHarness.edgeward;
      const cache = await import('/runtime/cache.js');
      const first = await ew.createPoseDetector(pkg);
      await first.dispose();
      const [entry] = await ew.listCachedModels();
      // A damaged entry under the right key (as a crash mid-write or disk corruption could leave).
      const store = await caches.open(cache.MODEL_CACHE_NAME);
      await store.put(cache.cacheKey(entry.sha256), new Response(new Uint8Array(entry.bytes)));
      const second = await ew.createPoseDetector(pkg);
      const secondCache = second.cache;
      await second.dispose();

      // A storage that is full: the model still loads, from memory, with a warning.
      const full = { open: async () => ({
        match: async () => undefined, delete: async () => false, keys: async () => [],
        put: async () => { throw new DOMException('quota', 'QuotaExceededError'); } }) };
      const warnings = [];
      const warn = console.warn;
      console.warn = (...a) => { warnings.push(a.join(' ')); };
      let quota;
      try {
        const { fetchManifest } = await import('/runtime/manifest.js');
        const m = await fetchManifest(new URL(pkg, location.href).href);
        quota = await cache.loadModelFile(new URL(pkg, location.href).href, m.files.fp32, { storage: full });
        quota = { from: quota.from, stored: quota.stored, warning: quota.warning, bytes: quota.buffer.byteLength,
                  listed: (await cache.listCachedModels({ storage: full })).map((e) => e.storage) };
      } finally {
        console.warn = warn;
      }
      const removed = await ew.clearCachedModels();
      return { secondCache, quota, warnings, removed, after: await ew.listCachedModels() };
    }""", PACKAGE)
    assert result["secondCache"]["from"] == "network", result  # the bad entry was not trusted
    q = result["quota"]
    assert q["from"] == "network" and q["stored"] == "memory" and "quota" in q["warning"]
    assert q["listed"] == ["memory"]
    assert any("quota exceeded" in w for w in result["warnings"])
    assert result["removed"] == 2 and result["after"] == []  # the cache entry and the memory copy
