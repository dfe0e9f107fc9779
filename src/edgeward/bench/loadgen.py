"""What the load tests share: a recorder of per-endpoint latencies, statuses and transport errors for
httpx async clients, and latency percentiles."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import numpy as np

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` on a thread of its own: callable where an event loop already runs in this
    thread (Playwright's sync API keeps one running while a browser is open, as in the test suite)."""
    with ThreadPoolExecutor(1, thread_name_prefix="edgeward-load") as pool:
        return pool.submit(asyncio.run, coro).result()


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
