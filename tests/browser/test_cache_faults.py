"""Browser faults on the verified model cache (issue 15, item 4), in real headless Chromium.

- Quota: a real quota smaller than the model (CDP ``Storage.overrideQuotaForOrigin``) makes Chromium's own
  ``Cache.put`` fail with QuotaExceededError; and a worker whose ``Cache.put`` writes half the body and then
  throws (a store that fills up mid-write and is not atomic, the worst case). Either way the model runs
  from memory, the model cache holds nothing for it, and a later load with the network cut says clearly
  that the file is not cached.
- Cut downloads: the model file served cut at 10 %, 20 %, ... 90 %, as a clean short body, with a lying
  Content-Length and as an aborted connection: each a typed error naming the file, nothing cached; then a
  good load runs the model and gives numpy's answer.
- A service-worker update while a model loads: on a second visit (the first installs the service worker,
  once its model is loaded), with the model cache cleared, the playground's sw.js is redeployed (new bytes,
  ``registration.update()``, skipWaiting + clients.claim) while the model download is held part way: the
  page ends with a working detector, every model cache entry hashes to its key and to the manifest's
  sha256, the page's offline setup completes, and offline the page loads and estimates again.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from onnx import TensorProto, helper, numpy_helper

from edgeward.browser.chromium import launch_chromium
from edgeward.package.build import package_tensor_model
from edgeward.package.manifest import MANIFEST_FILE, read_manifest
from edgeward.server.app import create_app
from edgeward.server.background import serve_in_thread
from edgeward.settings import get_settings
from tests.browser.conftest import OpenedPage, browser_variant, harness_page

pytestmark = pytest.mark.browser

TINY = "/models/tiny-faults/1.0.0/"
WIDTH = 256  # y = x @ W + b, W 256×256 float32: a 257 KB model file, cut at 10 % steps
CHUNK = 16 * 1024  # the faulty server sends bodies in chunks this size
PARTIAL_PUT_WORKER = "/test-faults/partial-put-worker.js"


@dataclass
class Faults:
    """What the test server does to the next requests for model files, and to the playground's sw.js."""

    mode: str | None = None  # 'short' (clean short body) | 'lying-length' | 'abort'; None: serve them
    cut: float = 1.0  # the fraction of the file sent before the fault
    hold: threading.Event | None = None  # send `cut` of the file, wait for this, then the rest
    deploy: int = 0  # > 0: sw.js is served with '// deploy N' appended (a new service worker version)
    hits: int = 0


async def _wait(event: threading.Event, timeout_s: float = 30.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if event.is_set():
            return
        await asyncio.sleep(0.02)


def _faulty_app(settings: Any, faults: Faults) -> FastAPI:
    app = create_app(settings)

    @app.get(PARTIAL_PUT_WORKER, include_in_schema=False)
    async def partial_put_worker() -> Response:
        # The runtime's worker in a browser whose Cache.put stores half of the body and then fails
        # with QuotaExceededError: what a non-atomic store filling up mid-write would leave.
        return Response("""
const put = Cache.prototype.put;
Cache.prototype.put = async function partialPut(request, response) {
  const bytes = new Uint8Array(await response.arrayBuffer());
  await put.call(this, request, new Response(bytes.slice(0, bytes.length >> 1), { headers: response.headers }));
  throw new DOMException('The quota has been exceeded (half of the entry was written).', 'QuotaExceededError');
};
import '/runtime/worker.js';
""", media_type="text/javascript")

    @app.middleware("http")
    async def misbehave(request: Request, call_next: Any) -> Response:
        path = request.url.path
        deployed = path == "/apps/playground/sw.js" and faults.deploy
        if deployed:  # a redeployed sw.js is a new file: the browser's copy is not current (no 304)
            request.scope["headers"] = [(k, v) for k, v in request.scope["headers"]
                                        if k not in (b"if-none-match", b"if-modified-since")]
        response: Any = await call_next(request)
        if deployed and response.status_code == 200:
            script = b"".join([c async for c in response.body_iterator]) + f"\n// deploy {faults.deploy}\n".encode()
            headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "etag")}
            headers["ETag"] = f'"deploy-{faults.deploy}"'
            return Response(script, status_code=200, headers=headers)
        if not (path.startswith("/models/") and path.endswith((".onnx", ".ewk"))) or response.status_code != 200:
            return response
        faults.hits += 1
        if faults.mode is None and faults.hold is None:
            return response
        data = b"".join([c async for c in response.body_iterator])
        cut = int(len(data) * faults.cut)
        mode, hold = faults.mode, faults.hold
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "etag")}
        if mode == "lying-length":
            headers["Content-Length"] = str(len(data))  # the whole file, then only `cut` bytes of it

        async def body() -> AsyncIterator[bytes]:
            for at in range(0, cut, CHUNK):
                yield data[at:min(cut, at + CHUNK)]
            if hold is not None:
                await _wait(hold)
                yield data[cut:]
            elif mode == "abort":
                raise ConnectionResetError("the connection dropped mid-body")  # uvicorn closes the socket

        return StreamingResponse(body(), headers=headers, media_type="application/octet-stream")

    return app


def _tiny_model(path: Path) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(15)
    w = rng.standard_normal((WIDTH, WIDTH)).astype(np.float32)
    b = rng.standard_normal(WIDTH).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
        "tiny-faults",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, WIDTH])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, WIDTH])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return w, b


@dataclass
class Served:
    base: str
    faults: Faults
    manifest: Any  # the tiny package's
    x: list[float]
    y: np.ndarray  # numpy's answer for x
    posenet_sha256: str  # the PoseNet file the playground runs


@pytest.fixture(scope="module")
def served(posenet_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app on a home of its own: the tiny package, and PoseNet (linked) for the playground."""
    home = tmp_path_factory.mktemp("faults-home")
    settings = replace(get_settings(), home=home)
    (home / "packages").mkdir()
    (home / "packages" / "posenet").symlink_to(posenet_dir.parent, target_is_directory=True)
    w, b = _tiny_model(home / "tiny.onnx")
    folder = package_tensor_model(home / "tiny.onnx", "tiny-faults", "1.0.0", root=home / "packages")
    x = np.random.default_rng(16).standard_normal((1, WIDTH)).astype(np.float32)
    faults = Faults()
    with serve_in_thread(app=_faulty_app(settings, faults)) as base:
        yield Served(base, faults, read_manifest(folder / MANIFEST_FILE), x.ravel().tolist(), (x @ w + b).ravel(),
                     _playground_file(read_manifest(posenet_dir / MANIFEST_FILE)).sha256)


def _playground_file(manifest: Any) -> Any:
    """The PoseNet file the playground runs unasked (tests/browser/conftest.py: browser_variant)."""
    return manifest.files[browser_variant(manifest)]


@pytest.fixture(scope="module")
def page(playwright_instance: Any, served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    with harness_page(playwright_instance, served.base, tmp_path_factory) as opened:
        yield opened


LOAD = """async ([pkg, feed, options]) => {
  const ew = window.edgewardHarness.edgeward;
  const progress = [];
  let model;
  try {
    model = await ew.loadModel(pkg, { ...options, onProgress: (p) => progress.push(p.loaded) });
    const out = await model.run({ x: { data: Float32Array.from(feed), dims: [1, feed.length] } });
    return { ok: true, cache: model.cache, y: Array.from(out.y.data), progress };
  } catch (err) {
    return { ok: false, name: err.name, message: err.message, progress,
             isEdgeward: err instanceof ew.EdgewardError, isClass: err instanceof ew[err.name] };
  } finally {
    await model?.dispose();
  }
}"""

# Every entry of the runtime's model cache: its key's sha256, and the sha256 and size of the bytes it holds.
CACHED = """async () => {
  const { MODEL_CACHE_NAME } = await import('/runtime/cache.js');
  const { sha256Hex } = await import('/runtime/integrity.js');
  if (!(await caches.has(MODEL_CACHE_NAME))) return [];
  const cache = await caches.open(MODEL_CACHE_NAME);
  const out = [];
  for (const request of await cache.keys()) {
    const body = await (await cache.match(request)).arrayBuffer();
    out.push({ key: request.url.split('/').pop(), sha256: await sha256Hex(body), bytes: body.byteLength });
  }
  return out;
}"""

CLEAR = "() => import('/runtime/cache.js').then((cache) => cache.clearCachedModels())"


def load(page: OpenedPage, served: Served, options: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = page.page.evaluate(LOAD, [TINY, served.x, options or {}])
    return result


def assert_right_answer(result: dict[str, Any], served: Served) -> None:
    assert result["ok"], result
    y = np.asarray(result["y"], dtype=np.float32)
    assert np.max(np.abs(y - served.y)) <= 1e-4 * max(1.0, float(np.max(np.abs(served.y)))), "wrong output"


def cached(page: OpenedPage) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = page.page.evaluate(CACHED)
    return entries


@contextmanager
def model_network_cut(page: OpenedPage) -> Iterator[list[str]]:
    """Model files cannot be fetched (the page, its scripts and the manifest still can); yields the URLs refused."""
    refused: list[str] = []

    def cut(route: Any) -> None:
        refused.append(route.request.url)
        route.abort("internetdisconnected")

    page.context.route("**/*.onnx", cut)
    try:
        yield refused
    finally:
        page.context.unroute("**/*.onnx", cut)


def test_quota_error_mid_write_leaves_no_entry_and_the_model_runs(page: OpenedPage, served: Served) -> None:
    entry = served.manifest.files["fp32"]
    page.page.evaluate(CLEAR)
    cdp = page.context.new_cdp_session(page.page)
    try:
        # A real quota: this origin may store less than the model, so Chromium's Cache.put refuses it.
        cdp.send("Storage.overrideQuotaForOrigin", {"origin": served.base, "quotaSize": entry.bytes // 2})
        real = load(page, served)
        assert_right_answer(real, served)
        assert real["cache"]["from"] == "network" and real["cache"]["stored"] == "memory", real["cache"]
        assert "quota" in real["cache"]["warning"] and entry.path in real["cache"]["warning"]
        assert cached(page) == []
    finally:
        cdp.send("Storage.overrideQuotaForOrigin", {"origin": served.base})  # back to the default quota
        cdp.detach()

    # A store that writes half of the entry before it fails: the half entry must not stay behind.
    partial = load(page, served, {"workerUrl": PARTIAL_PUT_WORKER})
    assert_right_answer(partial, served)
    assert partial["cache"]["stored"] == "memory" and "quota" in partial["cache"]["warning"]
    assert cached(page) == [], "a half-written entry was left in the model cache"

    # The network cut: a new worker (its memory copy is gone) must say the file is not cached.
    with model_network_cut(page) as refused:
        offline = load(page, served)
    assert refused, "the model download did not go through the cut network"
    assert not offline["ok"] and offline["name"] == "DownloadError" and offline["isClass"], offline
    assert f"{entry.path} is not in the model cache" in offline["message"], offline["message"]

    # Room again: the next load stores the verified file, and then it loads with the network cut.
    assert load(page, served)["cache"]["stored"] == "cache"
    assert cached(page) == [{"key": entry.sha256, "sha256": entry.sha256, "bytes": entry.bytes}]
    with model_network_cut(page):
        warm = load(page, served)
    assert_right_answer(warm, served)
    assert warm["cache"]["from"] == "cache"
    assert page.errors == []


CUTS = [k / 10 for k in range(1, 10)]
# What each way of cutting a download must give: the error class and words of its message.
CUT_MODES = {
    "short": ("IntegrityError", "truncated"),  # a clean end after `cut` bytes, no Content-Length: a short file
    "lying-length": ("DownloadError", "cut short"),  # Content-Length says the whole file, `cut` bytes come
    "abort": ("DownloadError", "cut short"),  # the connection drops after `cut` bytes
}


def test_download_cut_at_every_tenth_is_refused_and_never_cached(page: OpenedPage, served: Served) -> None:
    entry = served.manifest.files["fp32"]
    page.page.evaluate(CLEAR)
    seen: list[str] = []
    try:
        for cut in CUTS:
            for mode, (name, words) in CUT_MODES.items():
                served.faults.mode, served.faults.cut = mode, cut
                hits = served.faults.hits
                bad = load(page, served)
                assert served.faults.hits == hits + 1, "the faulty server was not asked"
                where = f"cut at {cut:.0%} ({mode})"
                assert not bad["ok"], f"{where}: the model loaded"
                assert bad["name"] == name and bad["isClass"] and bad["isEdgeward"], (where, bad)
                assert words in bad["message"] and entry.path in bad["message"], (where, bad["message"])
                # progress never reports more than arrived, and nothing of the cut file is kept
                assert max(bad["progress"], default=0) <= int(entry.bytes * cut), (where, bad["progress"])
                assert cached(page) == [], f"{where}: something was cached"
                seen.append(f"{mode}@{cut:.1f}")
    finally:
        served.faults.mode, served.faults.cut = None, 1.0
    assert len(seen) == len(CUTS) * len(CUT_MODES)

    good = load(page, served)
    assert_right_answer(good, served)
    assert good["cache"]["from"] == "network" and good["cache"]["stored"] == "cache"
    assert good["progress"][-1] == entry.bytes
    assert cached(page) == [{"key": entry.sha256, "sha256": entry.sha256, "bytes": entry.bytes}]
    assert page.errors == []


# The cached bytes of the entry `sha256` with 16 bytes in the middle (inside the weights) set to 0x7f: the same
# size, a model that still loads, but whose answer is far off (float32 0x7f7f7f7f is 3.4e38).
CORRUPT = """async ([sha256]) => {
  const { MODEL_CACHE_NAME, cacheKey } = await import('/runtime/cache.js');
  const cache = await caches.open(MODEL_CACHE_NAME);
  const response = await cache.match(cacheKey(sha256));
  const bytes = new Uint8Array(await response.arrayBuffer());
  bytes.fill(0x7f, bytes.length >> 1, (bytes.length >> 1) + 16);
  await cache.put(cacheKey(sha256), new Response(bytes, { headers: response.headers }));
}"""


def test_a_corrupted_cache_entry_is_replaced_before_any_result(page: OpenedPage, served: Served) -> None:
    """The worker creates the session from a cached copy while its sha256 is computed (cache.js useModelFile):
    a copy that fails is never answered from; it is evicted, downloaded again, and the model answers right."""
    entry = served.manifest.files["fp32"]
    page.page.evaluate(CLEAR)
    assert_right_answer(load(page, served), served)
    page.page.evaluate(CORRUPT, [entry.sha256])
    assert [(e["key"], e["bytes"]) for e in cached(page)] == [(entry.sha256, entry.bytes)]
    assert cached(page)[0]["sha256"] != entry.sha256
    hits = served.faults.hits
    again = load(page, served)
    assert_right_answer(again, served)
    assert again["cache"]["from"] == "network" and again["cache"]["stored"] == "cache", again["cache"]
    assert served.faults.hits == hits + 1, "downloaded once more"
    # the cached copy was taken up first (its progress event), then the download replaced it
    assert again["progress"][0] == entry.bytes and 0 in again["progress"][1:], again["progress"]
    assert cached(page) == [{"key": entry.sha256, "sha256": entry.sha256, "bytes": entry.bytes}]
    ok = load(page, served)  # and the good copy is used from the cache from now on
    assert_right_answer(ok, served)
    assert ok["cache"]["from"] == "cache" and served.faults.hits == hits + 1
    assert page.errors == []

READY = "() => document.body.dataset.status && document.body.dataset.status !== 'loading'"
COUNT_CONTROLLER_CHANGES = """
window.__controllerChanges = 0;
navigator.serviceWorker?.addEventListener('controllerchange', () => { window.__controllerChanges += 1; });
"""
# The playground's registration: update() fetches sw.js again; resolves once a new worker controls the page.
DEPLOY = """async () => {
  const registration = await navigator.serviceWorker.getRegistration('./');
  const before = window.__controllerChanges;
  const old = registration.active;
  await registration.update();
  const deadline = performance.now() + 30000;
  while (window.__controllerChanges === before && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { changed: window.__controllerChanges > before, oldState: old.state, loading: document.body.dataset.status,
           progress: window.playground.progress.length };
}"""


def test_service_worker_update_while_the_model_loads(playwright_instance: Any, served: Served, tmp_path: Path,
                                                     astronaut: Path) -> None:
    faults = served.faults
    release = threading.Event()
    faults.hold, faults.cut = release, 0.3  # the model download waits at 30 % until released
    context = launch_chromium(playwright_instance, tmp_path / "profile")
    try:
        context.add_init_script(COUNT_CONTROLLER_CHANGES)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        # the first visit installs the service worker once its model is loaded (kit/offline.js: after)
        faults.hold = None
        page.goto(served.base + "/apps/playground/")
        page.wait_for_function("() => window.playground.offlineReady || window.playground.offlineError",
                               timeout=60_000)
        assert page.evaluate("window.playground.offlineError") is None
        page.evaluate(CLEAR)
        faults.hold = release
        hits = faults.hits
        page.reload()
        # the service worker controls the page from the start; the model download is held part way
        page.wait_for_function("() => navigator.serviceWorker.controller !== null"
                               " && window.playground.progress.length > 0", timeout=60_000)
        assert faults.hits == hits + 1 and page.evaluate("document.body.dataset.status") == "loading"
        faults.deploy += 1
        deployed = page.evaluate(DEPLOY)
        assert deployed["changed"] and deployed["oldState"] == "redundant", deployed
        assert deployed["loading"] == "loading", "the model was not loading during the update"
        release.set()
        page.wait_for_function(READY, timeout=60_000)
        assert page.evaluate("document.body.dataset.status") == "ready", page.inner_text("#error")
        state = page.evaluate("({cache: window.playground.cache, errors: window.playground.errors})")
        assert state["cache"]["from"] == "network" and state["cache"]["stored"] == "cache", state
        page.set_input_files("#file", str(astronaut))
        page.wait_for_function("() => window.playground.framesDone >= 1", timeout=30_000)
        poses = page.evaluate("window.playground.lastPoses")
        assert len(poses) == 1 and poses[0]["keypoints"][0]["score"] > 0.9, poses
        # every model cache entry holds the bytes its key names, and the one there is PoseNet's manifest file
        entries = page.evaluate(CACHED)
        assert [(e["key"], e["sha256"]) for e in entries] == [(served.posenet_sha256, served.posenet_sha256)]
        page.wait_for_function("() => window.playground.offlineReady || window.playground.offlineError",
                               timeout=30_000)
        assert page.evaluate("window.playground.offlineError") is None
        assert errors == [] and state["errors"] == []

        # What the two service workers and the runtime left is whole: offline, the page loads the model again.
        context.set_offline(True)
        page.reload()
        page.wait_for_function(READY, timeout=60_000)
        assert page.evaluate("document.body.dataset.status") == "ready", page.inner_text("#error")
        assert page.evaluate("window.playground.cache.from") == "cache"
        page.set_input_files("#file", str(astronaut))
        page.wait_for_function("() => window.playground.framesDone >= 1", timeout=30_000)
        assert page.evaluate("window.playground.lastPoses[0].keypoints[0].score") > 0.9
        assert errors == []
    finally:
        release.set()
        faults.hold, faults.cut, faults.deploy = None, 1.0, 0
        context.close()

