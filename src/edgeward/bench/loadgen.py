"""What the load tests share: a recorder of per-endpoint latencies, statuses and transport errors for
httpx async clients, and latency percentiles."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any

import httpx
import numpy as np


def percentiles(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"count": float(a.size), "p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "p99": float(np.percentile(a, 99)), "max": float(a.max())}


class Recorder:
    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[str] = Counter()
        self.transport = 0
        self.errors: list[str] = []

    async def request(self, http: httpx.AsyncClient, endpoint: str, method: str, url: str,
                      **kwargs: Any) -> httpx.Response | None:
        t0 = time.perf_counter()
        try:
            r = await http.request(method, url, **kwargs)
        except httpx.TransportError as e:
            self.transport += 1
            self.errors.append(f"{endpoint}: {type(e).__name__}: {e}")
            return None
        self.ms[endpoint].append((time.perf_counter() - t0) * 1000)
        self.statuses[str(r.status_code)] += 1
        if r.status_code >= 500:
            self.errors.append(f"{endpoint}: {r.status_code} {r.text[:200]}")
        return r
