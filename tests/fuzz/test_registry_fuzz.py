"""Fuzz the registry's request parsers (edgeward.registry): a publish body of any bytes, a range of any text.
The answer is a 2xx or a 4xx whose detail names what is wrong, never a 5xx; bodies past the caps are
refused before they are read (a client that keeps sending is cut off at the limit, not read to its end)."""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given
from hypothesis import strategies as st

from edgeward.registry.api import MAX_MANIFEST_BYTES
from edgeward.server.app import create_app
from edgeward.settings import get_settings
from tests.fuzz.harness import FUZZ, hard_limit
from tests.fuzz.mutate import mutate
from tests.registry.conftest import AUTH, TOKEN, UPLOAD_LIMIT, model_bytes, publish, tiny_manifest

API = "/api/v1"
DATA = model_bytes(0)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with tempfile.TemporaryDirectory(prefix="edgeward-fuzz-registry-") as home:
        settings = replace(get_settings(), home=Path(home), registry_token=TOKEN, registry_url=None,
                           database_url=None, blob_dir=None, max_upload_bytes=UPLOAD_LIMIT)
        with TestClient(create_app(settings), raise_server_exceptions=False) as c:
            assert publish(c, "tiny", "1.0.0", DATA).status_code == 201
            yield c


def _answered(r: Any, what: str) -> None:
    assert r.status_code < 500, f"{what}: HTTP {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        detail = r.json()["detail"]
        assert detail, f"{what}: HTTP {r.status_code} without a detail"


def _deep(n: int) -> bytes:
    return b'{"name": ' + b"[" * n + b"]" * n + b"}"


BASE = tiny_manifest("tiny", "2.0.0", DATA)
BODIES = st.one_of(
    st.binary(max_size=200),
    st.randoms(use_true_random=False).map(lambda rnd: json.dumps(mutate(BASE, rnd)).encode()),
    st.integers(1, 400_000).map(_deep),
    st.sampled_from([b'{"version": NaN}', b"\xff\xfe", b"[]", b"null", b'"x"', b"1e999"]),
)


@FUZZ
@given(BODIES, st.sampled_from(["2.0.0", "1.0.0", "01.0.0", "2.0.0-rc.1"]))
@example(_deep(200_000), "2.0.0")  # json.loads: RecursionError, an HTTP 500
@example(json.dumps({**BASE, "version": "01.0.0"}).encode(), "01.0.0")  # stored, then every listing a 500
@example(json.dumps({**BASE, "version": "١.٠.٠"}).encode(), "١.٠.٠")
@example(json.dumps({**BASE, "license": "\ud800"}).encode(), "2.0.0")  # a lone surrogate: to_json failed, a 500
def test_publish_bodies(client: TestClient, body: bytes, version: str) -> None:
    name = f"fuzz{random.Random(body).randrange(10**9)}"  # a fresh package each time: nothing is overwritten
    if body.startswith(b"{") and b'"name": "tiny"' in body:
        body = body.replace(b'"name": "tiny"', f'"name": "{name}"'.encode(), 1)
    with hard_limit(10, memory_mb=128):
        r = client.put(f"{API}/packages/{name}/versions/{version}", content=body,
                       headers={**AUTH, "Content-Type": "application/json"})
        _answered(r, f"publish {body[:80]!r}")
        stored = [] if r.status_code >= 400 else [f"{API}/packages/{name}", f"{API}/packages/{name}/resolve"]
        for url in stored:  # whatever was stored can be summarised and resolved (a bad version made both 500)
            _answered(client.get(url), url)


@FUZZ
@given(st.text(max_size=300))
@example("1" * 256)
@example("^١")
def test_resolve_ranges(client: TestClient, text: str) -> None:
    with hard_limit(10, memory_mb=64):
        _answered(client.get(f"{API}/packages/tiny/resolve", params={"range": text}), f"range {text!r}")


async def _asgi_put(app: Any, path: str, chunks: Iterator[bytes], length: int | None = None) -> int:
    """PUT ``path`` straight into the ASGI app, chunk by chunk, as a client that never stops sending
    (chunked, or announcing ``length``); the status it answers. The app pulls each chunk: what it never
    pulled, it never read. (TestClient reads a streamed body to its end before the app sees any of it.)"""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"authorization", AUTH["Authorization"].encode()),
                         (b"content-type", b"application/octet-stream"),
                         (b"content-length", str(length).encode()) if length else (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    status = 0

    async def receive() -> dict[str, Any]:
        chunk = next(chunks, None)
        return {"type": "http.request", "body": chunk or b"", "more_body": chunk is not None}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


@pytest.mark.parametrize(("what", "path", "limit"), [
    ("blob", f"{API}/blobs/{hashlib.sha256(b'x').hexdigest()}", UPLOAD_LIMIT),
    ("manifest", f"{API}/packages/tiny/versions/3.0.0", MAX_MANIFEST_BYTES),
])
def test_bodies_past_the_cap_are_not_read_to_the_end(client: TestClient, what: str, path: str, limit: int) -> None:
    """A client that streams without Content-Length is cut off once past the limit: the app reads the limit
    and one more chunk, not the 64 chunks offered; with a Content-Length past the limit, nothing of the body."""
    from edgeward.bench.loadgen import run_async

    chunk = limit // 4
    read = 0

    def body() -> Iterator[bytes]:
        nonlocal read
        for _ in range(64):
            read += chunk
            yield b" " * chunk

    with hard_limit(20, memory_mb=128):
        status = run_async(_asgi_put(client.app, path, body()))
    assert status == 413
    assert read <= limit + chunk, f"{what}: {read} bytes read for a limit of {limit}"
    read = 0
    with hard_limit(20, memory_mb=128):
        status = run_async(_asgi_put(client.app, path, body(), length=64 * chunk))
    assert (status, read) == (413, 0), f"{what}: {read} bytes read past a Content-Length of {64 * chunk}"
