"""Many federated clients held in one round, over real HTTP: the coordinator's load test.

N clients (asyncio + httpx, one connection each) join a task, check in, and all send their update at
the same moment into one round of N; the round closes when the last arrives and publishes a version.
Requests go round-robin to one or more server URLs (two processes sharing a database: PostgreSQL in
the test script). Reported: latency percentiles per endpoint, status codes, 5xx and transport errors,
and whether the published version is exactly FedAvg of the clipped deltas — under concurrency nothing
may be lost, counted twice or half-written.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from edgeward.bench.loadgen import Recorder, percentiles, run_async
from edgeward.federated.privacy import clip
from edgeward.federated.validate import encode

API = "/api/v1/federated"
EXAMPLES = 10  # every client reports the same count, so FedAvg is the plain mean of the clipped deltas


@dataclass
class LoadReport:
    clients: int
    servers: int
    params: int
    wall_s: float
    statuses: dict[str, int]
    server_errors: int
    """Responses with a 5xx status."""
    transport_errors: int
    """Requests that got no response at all (refused, reset, timed out)."""
    latency_ms: dict[str, dict[str, float]]
    """Per endpoint: count, p50, p95, p99, max."""
    accepted: int
    published_version: int | None
    aggregate_max_error: float | None
    """max |published − (initial + mean of clipped deltas)|; None when no version came out."""
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.server_errors == 0 and self.transport_errors == 0 and self.accepted == self.clients
                and self.published_version == 1 and self.aggregate_max_error is not None
                and self.aggregate_max_error < 1e-6)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def _spec(name: str, clients: int, dim: int, classes: int) -> dict[str, Any]:
    return {"name": name, "head": {"kind": "linear", "dim": dim, "labels": [f"c{i}" for i in range(classes)]},
            "clients_per_round": clients, "min_updates": clients, "deadline_s": 600.0, "clip_norm": 1.0}


def _version_params(http: httpx.Client, task: str, head: dict[str, Any]) -> tuple[int, np.ndarray]:
    """The task's current version and its parameters, downloaded through the registry as a client does."""
    from edgeward.federated.local import read_params
    from edgeward.federated.protocol import FederatedHead

    current = http.get(f"{API}/tasks/{task}/version").json()
    resolved = http.get(f"/api/v1/packages/{task}/versions/{current['semver']}").json()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "manifest.json").write_text(json.dumps(resolved["manifest"]))
        for entry in resolved["files"].values():
            (folder / entry["path"]).write_bytes(http.get(entry["url"]).content)
        return int(current["version"]), read_params(folder, FederatedHead.model_validate(head))


async def _one_round(urls: list[str], task: str, deltas: np.ndarray, rec: Recorder) -> int:
    limits = httpx.Limits(max_connections=len(deltas) + 10, max_keepalive_connections=len(deltas) + 10)
    https = [httpx.AsyncClient(base_url=u, limits=limits, timeout=120.0) for u in urls]
    try:
        def http(i: int) -> httpx.AsyncClient:
            return https[i % len(https)]

        async def join(i: int) -> tuple[str, str] | None:
            r = await rec.request(http(i), "join", "POST", f"{API}/tasks/{task}/join",
                                  json={"task": task, "platform": "python"})
            return (r.json()["client_id"], r.json()["token"]) if r is not None and r.status_code == 201 else None

        clients = await asyncio.gather(*(join(i) for i in range(len(deltas))))

        async def checkin(i: int) -> int | None:
            c = clients[i]
            if c is None:
                return None
            r = await rec.request(http(i + 1), "checkin", "POST", f"{API}/tasks/{task}/checkin",
                                  headers={"Authorization": f"Bearer {c[1]}"})
            ok = r is not None and r.status_code == 200 and r.json()["selected"]
            return int(r.json()["round"]["round"]) if ok and r is not None else None

        rounds = await asyncio.gather(*(checkin(i) for i in range(len(deltas))))
        start = asyncio.Event()

        async def send(i: int) -> bool:
            c, rnd = clients[i], rounds[i]
            if c is None or rnd is None:
                return False
            payload = encode(deltas[i])
            header = {"task": task, "round": rnd, "client_id": c[0], "base_version": 0, "dtype": "float32",
                      "shape": [deltas.shape[1]], "num_examples": EXAMPLES,
                      "payload_sha256": hashlib.sha256(payload).hexdigest(),
                      "metrics": {"loss": 1.0, "accuracy": 0.5, "examples": EXAMPLES}}
            await start.wait()  # every update leaves at once: the round holds all of them together
            r = await rec.request(http(i), "update", "POST", f"{API}/tasks/{task}/updates", content=payload,
                                  headers={"Authorization": f"Bearer {c[1]}", "X-Edgeward-Update": json.dumps(header),
                                           "Content-Type": "application/octet-stream"})
            return r is not None and r.status_code == 201

        sends = [asyncio.create_task(send(i)) for i in range(len(deltas))]
        await asyncio.sleep(0.05)
        start.set()
        return sum(await asyncio.gather(*sends))
    finally:
        for h in https:
            await h.aclose()


def run_load(urls: list[str], token: str, clients: int = 200, dim: int = 64, classes: int = 10,
             seed: int = 0, task: str | None = None) -> LoadReport:
    """Create a task of one round of ``clients`` on ``urls[0]`` and drive it to its first version."""
    task = task or f"load-{clients}-{seed}"
    spec = _spec(task, clients, dim, classes)
    with httpx.Client(base_url=urls[0], timeout=60.0) as http:
        r = http.post(f"{API}/tasks", json=spec, headers={"Authorization": f"Bearer {token}"})
        if r.status_code != 201:
            raise RuntimeError(f"creating task '{task}' on {urls[0]}: {r.status_code} {r.text}")
        _, initial = _version_params(http, task, spec["head"])
        rng = np.random.default_rng(seed)
        p = initial.size
        # norms 0.2–2: about half are over clip_norm 1 and get clipped
        deltas = rng.normal(size=(clients, p)).astype(np.float32)
        deltas *= (rng.uniform(0.2, 2.0, size=(clients, 1)) / np.linalg.norm(deltas, axis=1, keepdims=True))
        deltas = deltas.astype(np.float32)
        rec = Recorder()
        t0 = time.perf_counter()
        accepted = run_async(_one_round(urls, task, deltas, rec))
        version: int | None = None
        for _ in range(600):  # the last update closes the round; publishing may still be under way
            info = http.get(f"{API}/tasks/{task}/version").json()
            if info["version"] >= 1:
                version = int(info["version"])
                break
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        error = None
        if version is not None:
            _, published = _version_params(http, task, spec["head"])
            step = np.mean([clip(d, 1.0) for d in deltas.astype(np.float64)], axis=0)
            error = float(np.abs(published - (initial.astype(np.float64) + step).astype(np.float32)).max())
    return LoadReport(clients=clients, servers=len(urls), params=p, wall_s=round(wall, 3),
                      statuses=dict(rec.statuses), server_errors=sum(v for k, v in rec.statuses.items() if k[0] == "5"),
                      transport_errors=rec.transport,
                      latency_ms={k: {s: round(v, 2) for s, v in percentiles(ms).items()} for k, ms in rec.ms.items()},
                      accepted=accepted, published_version=version, aggregate_max_error=error, errors=rec.errors[:20])


def markdown(reports: list[tuple[str, LoadReport]]) -> str:
    """A table of the runs: one row per (setting, endpoint)."""
    lines = ["| setting | endpoint | requests | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|---|"]
    for name, rep in reports:
        for endpoint, s in rep.latency_ms.items():
            lines.append(f"| {name} | {endpoint} | {int(s['count'])} | {s['p50']:.1f} | {s['p95']:.1f} | "
                         f"{s['p99']:.1f} | {s['max']:.1f} |")
    lines.append("")
    for name, rep in reports:
        lines.append(f"- {name}: {rep.clients} clients on {rep.servers} server process(es), {rep.accepted} "
                     f"updates accepted, statuses {rep.statuses}, {rep.server_errors} 5xx, "
                     f"{rep.transport_errors} transport errors, published version {rep.published_version}, "
                     f"aggregate max error {rep.aggregate_max_error}, {rep.wall_s} s from the first join "
                     f"to the published version.")
    return "\n".join(lines) + "\n"
