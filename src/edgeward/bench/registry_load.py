"""The registry under load, over real HTTP: N clients resolve and download while versions are published.

Each client repeats: resolve ``NAME@^1`` (the newest version, which changes under it), read that
version, download its file whole and check the sha256, download it again as two Range requests and
check the joined bytes, and revalidate it with If-None-Match (expects 304). Meanwhile a publisher
uploads and publishes new versions, each with different bytes. Counted: latency per request kind,
statuses, 5xx, transport errors, and corrupted downloads (bytes that do not hash to the manifest's
sha256) — under concurrency a client must never see a half-published version or mixed bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import numpy as np

from edgeward.bench.loadgen import Recorder, percentiles, run_async

API = "/api/v1"


@dataclass
class RegistryLoadReport:
    clients: int
    iterations: int
    file_bytes: int
    published: int
    """Versions published while the clients ran."""
    wall_s: float
    requests: int
    statuses: dict[str, int]
    server_errors: int
    transport_errors: int
    corrupted: int
    """Downloads (whole or joined ranges) whose bytes did not hash to the manifest's sha256."""
    wrong_status: int
    """Responses with an unexpected status (e.g. 200 where a revalidation should give 304)."""
    versions_seen: int
    latency_ms: dict[str, dict[str, float]]
    errors: list[str] = field(default_factory=list)

    @property
    def throughput_rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0

    @property
    def ok(self) -> bool:
        return self.server_errors == 0 and self.transport_errors == 0 and self.corrupted == 0 \
            and self.wrong_status == 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok, "throughput_rps": round(self.throughput_rps, 1)}


def manifest_for(name: str, version: str, data: bytes) -> dict[str, Any]:
    """A valid one-file manifest (a tiny pose package's shape; the registry checks the schema, not the model)."""
    return {
        "name": name, "version": version, "task": "pose",
        "files": {"fp32": {"path": "model.fp32.onnx", "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}},
        "inputs": [{"name": "image", "dtype": "float32", "shape": [1, 33, 33, 3], "layout": "NHWC"}],
        "outputs": [{"name": "h", "dtype": "float32", "shape": [1, 3, 3, 2]}],
        "preprocess": {"size": [33, 33], "scale": 1 / 127.5, "offset": -1.0},
        "postprocess": {"kind": "posenet", "output_stride": 16, "keypoints": ["a", "b"], "skeleton": [[0, 1]],
                        "pose_chain": [[0, 1]], "outputs": {"heatmap": "h", "offset": "h"}},
        "provenance": {"source": "edgeward registry load test", "converter": "none"},
        "license": "Apache-2.0",
    }


async def _publish(http: httpx.AsyncClient, rec: Recorder, token: str, name: str, version: str, data: bytes) -> bool:
    auth = {"Authorization": f"Bearer {token}"}
    digest = hashlib.sha256(data).hexdigest()
    r = await rec.request(http, "publish: upload", "PUT", f"{API}/blobs/{digest}", content=data,
                          headers=auth | {"Content-Type": "application/octet-stream"})
    if r is None or r.status_code not in (200, 201):
        return False
    r = await rec.request(http, "publish: manifest", "PUT", f"{API}/packages/{name}/versions/{version}",
                          content=json.dumps(manifest_for(name, version, data)),
                          headers=auth | {"Content-Type": "application/json"})
    return r is not None and r.status_code == 201


class _Run:
    def __init__(self, url: str, token: str, name: str, file_bytes: int, seed: int) -> None:
        self.url, self.token, self.name, self.file_bytes = url, token, name, file_bytes
        self.rng = np.random.default_rng(seed)
        self.rec = Recorder()
        self.corrupted = 0
        self.wrong = 0
        self.seen: set[str] = set()
        self.published = 0
        self.done = asyncio.Event()

    def payload(self) -> bytes:
        return self.rng.integers(0, 256, self.file_bytes, dtype=np.uint8).tobytes()

    def expect(self, r: httpx.Response | None, *statuses: int) -> bool:
        if r is None:
            return False
        if r.status_code not in statuses:
            self.wrong += 1
            self.rec.errors.append(f"{r.request.method} {r.request.url.path}: {r.status_code}, expected {statuses}")
            return False
        return True

    async def client(self, http: httpx.AsyncClient, iterations: int) -> None:
        rec = self.rec
        for _ in range(iterations):
            r = await rec.request(http, "resolve", "GET", f"{API}/packages/{self.name}/resolve", params={"range": "^1"})
            if not self.expect(r, 200):
                continue
            assert r is not None
            version = r.json()["version"]
            self.seen.add(version)
            r = await rec.request(http, "version", "GET", f"{API}/packages/{self.name}/versions/{version}")
            if not self.expect(r, 200):
                continue
            assert r is not None
            entry = next(iter(r.json()["files"].values()))
            digest, url, size = entry["sha256"], entry["url"], entry["bytes"]
            r = await rec.request(http, "download", "GET", url)
            if self.expect(r, 200) and r is not None and hashlib.sha256(r.content).hexdigest() != digest:
                self.corrupted += 1
            half = size // 2
            first = await rec.request(http, "range", "GET", url, headers={"Range": f"bytes=0-{half - 1}"})
            second = await rec.request(http, "range", "GET", url, headers={"Range": f"bytes={half}-"})
            if self.expect(first, 206) and self.expect(second, 206) and first is not None and second is not None \
                    and hashlib.sha256(first.content + second.content).hexdigest() != digest:
                self.corrupted += 1
            r = await rec.request(http, "revalidate (304)", "GET", url, headers={"If-None-Match": f'"{digest}"'})
            self.expect(r, 304)

    async def publisher(self, http: httpx.AsyncClient, interval_s: float) -> None:
        minor = 1
        while not self.done.is_set():
            if await _publish(http, self.rec, self.token, self.name, f"1.{minor}.0", self.payload()):
                self.published += 1
            minor += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.done.wait(), interval_s)

    async def main(self, clients: int, iterations: int, interval_s: float) -> float:
        limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
        async with httpx.AsyncClient(base_url=self.url, limits=limits, timeout=120.0) as http:
            if not await _publish(http, self.rec, self.token, self.name, "1.0.0", self.payload()):
                raise RuntimeError(f"publishing {self.name}@1.0.0 on {self.url} failed: {self.rec.errors}")
            t0 = time.perf_counter()
            publisher = asyncio.create_task(self.publisher(http, interval_s))
            await asyncio.gather(*(self.client(http, iterations) for _ in range(clients)))
            wall = time.perf_counter() - t0
            self.done.set()
            await publisher
            return wall


def run_registry_load(url: str, token: str, clients: int = 100, iterations: int = 5, file_bytes: int = 128 * 1024,
                      publish_interval_s: float = 0.2, name: str = "load-test", seed: int = 0) -> RegistryLoadReport:
    """Drive the registry at ``url`` (whose publish token is ``token``) with ``clients`` concurrent clients."""
    run = _Run(url, token, name, file_bytes, seed)
    wall = run_async(run.main(clients, iterations, publish_interval_s))
    rec = run.rec
    return RegistryLoadReport(
        clients=clients, iterations=iterations, file_bytes=file_bytes, published=run.published, wall_s=round(wall, 3),
        requests=sum(len(v) for v in rec.ms.values()) + rec.transport, statuses=dict(rec.statuses),
        server_errors=sum(v for k, v in rec.statuses.items() if k[0] == "5"), transport_errors=rec.transport,
        corrupted=run.corrupted, wrong_status=run.wrong, versions_seen=len(run.seen),
        latency_ms={k: {s: round(v, 2) for s, v in percentiles(ms).items()} for k, ms in rec.ms.items()},
        errors=rec.errors[:20])


def markdown(reports: list[tuple[str, RegistryLoadReport]]) -> str:
    lines = ["| database | request | count | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|---|"]
    for name, rep in reports:
        for kind, s in rep.latency_ms.items():
            lines.append(f"| {name} | {kind} | {int(s['count'])} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} | "
                         f"{s['max']:.1f} |")
    lines.append("")
    for name, rep in reports:
        lines.append(f"- {name}: {rep.clients} clients × {rep.iterations} rounds, {rep.requests} requests in "
                     f"{rep.wall_s} s ({rep.throughput_rps:.0f} requests/s) while {rep.published} versions were "
                     f"published ({rep.versions_seen} different versions resolved); statuses {rep.statuses}; "
                     f"{rep.server_errors} 5xx, {rep.transport_errors} transport errors, {rep.corrupted} corrupted "
                     f"downloads, {rep.wrong_status} unexpected statuses.")
    return "\n".join(lines) + "\n"
