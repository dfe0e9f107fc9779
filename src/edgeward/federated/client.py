"""The Python participant of a federated task, over HTTP (httpx): the same protocol as the browser client.

Per round: check in (the round, and whether this client is sampled), pull the version the round trains
from through the registry client's verified download (into the local store, the cache), train on its own
data (local.py), and send only the clipped delta (new − old parameters, raw little-endian float32), its
example count and its local metrics. Its examples never leave it.

A refused update comes back as the UpdateRefusedError subclass of its ``code`` (validate.REFUSALS), so
``except StaleRoundError``-style handling works the same on both sides of the wire.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from edgeward.errors import CoordinatorUnavailableError, FederatedError, UpdateRefusedError
from edgeward.federated.local import read_params, train_local
from edgeward.federated.privacy import clip
from edgeward.federated.protocol import (
    Assignment,
    JoinResponse,
    LocalMetrics,
    RoundInfo,
    TaskSpec,
    UpdateHeader,
    UpdateReceipt,
    parse,
)
from edgeward.federated.validate import REFUSALS, encode, refusal
from edgeward.registry.client import RegistryClient, fetch_package

PREFIX = "/api/v1/federated"
UPDATE_HEADER = "X-Edgeward-Update"

Attack = Callable[[np.ndarray], np.ndarray]
"""A Byzantine client's tampering: the honest (unclipped) delta in, what it sends out (simulations only)."""


@dataclass(frozen=True)
class RoundReport:
    """One round from this client's side: what it trained from, what it sent and what came back."""

    round: int
    base_version: int
    package: str
    metrics: LocalMetrics
    norm: float
    """L2 norm of the delta as sent."""
    receipt: UpdateReceipt | None
    refused: str | None = None
    """The refusal's code when the coordinator refused the update (its message is in ``detail``)."""
    detail: str | None = None


class FederatedClient:
    """A participant of task ``task`` at coordinator ``url``, training on (x, y) — y indexing the task's
    labels (set them before the first round if not given here). ``store``: the local package store
    versions are cached in (default: EDGEWARD_HOME's)."""

    def __init__(self, url: str, task: str, x: Any = None, y: Any = None, *, store: Path | None = None,
                 seed: int = 0, attack: Attack | None = None, poll_s: float = 0.5, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url, self.task_name = url.rstrip("/"), task
        self.x = None if x is None else np.asarray(x, dtype=np.float64)
        self.y = None if y is None else np.asarray(y, dtype=np.int64)
        self.store, self.seed, self.attack, self.poll_s = store, seed, attack, poll_s
        self.http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)
        self.registry = RegistryClient(self.url, timeout=timeout, transport=transport)
        self.client_id: str | None = None
        self.token: str | None = None
        self._spec: TaskSpec | None = None

    def close(self) -> None:
        self.http.close()
        self.registry.close()

    def __enter__(self) -> FederatedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- HTTP ----------------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            r = self.http.request(method, f"{PREFIX}/tasks/{self.task_name}{path}", **kwargs)
        except httpx.TransportError as e:
            raise CoordinatorUnavailableError(f"coordinator {self.url} is unreachable ({e})") from None
        if r.status_code < 400:
            return r.json()
        try:
            body = r.json()
        except ValueError:
            body = {"detail": r.text[:200]}
        if isinstance(body, dict) and body.get("code") in REFUSALS:
            raise refusal(body["code"], str(body.get("detail", "")))
        detail = body.get("detail", body) if isinstance(body, dict) else body
        raise FederatedError(f"coordinator {self.url}: {method} {path or '/'} of task '{self.task_name}': "
                             f"{r.status_code}: {detail}")

    def _auth(self) -> dict[str, str]:
        if self.token is None:
            raise FederatedError("join the task first")
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def spec(self) -> TaskSpec:
        if self._spec is None:
            self._spec = parse(TaskSpec, self._request("GET", "")["spec"], f"task '{self.task_name}'")
        return self._spec

    def join(self, platform: str = "python") -> JoinResponse:
        joined = parse(JoinResponse, self._request("POST", "/join", json={"task": self.task_name,
                                                                           "platform": platform}))
        self.client_id, self.token = joined.client_id, joined.token
        return joined

    def round(self) -> RoundInfo:
        return parse(RoundInfo, self._request("GET", "/round"))

    def checkin(self) -> Assignment:
        return parse(Assignment, self._request("POST", "/checkin", headers=self._auth()))

    def pull(self, package: str) -> np.ndarray:
        """The parameters of ``package`` (NAME@X.Y.Z): resolved and downloaded from the coordinator's
        registry, every file checked against its sha256 before use, cached in the local store."""
        folder = fetch_package(self.registry, self.registry.resolve(package), ["fp32"], root=self.store)
        return read_params(folder, self.spec.head)

    def send(self, info: RoundInfo, delta: np.ndarray, metrics: LocalMetrics) -> UpdateReceipt:
        payload = encode(delta)
        header = UpdateHeader(task=self.task_name, round=info.round, client_id=self.client_id or "",
                              base_version=info.base_version, dtype="float32", shape=[int(delta.size)],
                              num_examples=metrics.examples, metrics=metrics,
                              payload_sha256=hashlib.sha256(payload).hexdigest())
        headers = {**self._auth(), UPDATE_HEADER: header.model_dump_json(), "Content-Type": "application/octet-stream"}
        return parse(UpdateReceipt, self._request("POST", "/updates", content=payload, headers=headers))

    # -- rounds ----------------------------------------------------------------------------------------------
    def take_round(self, info: RoundInfo) -> RoundReport:
        """Pull the round's version, train locally, send the clipped delta (a refusal is reported, not raised)."""
        if info.package is None:
            raise FederatedError(f"round {info.round} names no package to train from")
        if self.x is None or self.y is None:
            raise FederatedError("this client has no data to train on")
        params = self.pull(info.package)
        local = train_local(params, self.spec, self.x, self.y, seed=(self.seed * 7919 + info.round) % 2**32)
        delta = local.delta
        if self.attack is not None:
            delta = np.asarray(self.attack(delta), dtype=np.float32)
        elif self.spec.clip_norm is not None:  # honest clients clip; the server clips again, trusting no one
            delta = clip(delta, self.spec.clip_norm).astype(np.float32)
        norm = float(np.linalg.norm(delta.astype(np.float64))) if np.isfinite(delta).all() else float("nan")
        try:
            receipt = self.send(info, delta, local.metrics)
        except UpdateRefusedError as e:
            return RoundReport(info.round, info.base_version, info.package, local.metrics, norm, None, e.code, str(e))
        return RoundReport(info.round, info.base_version, info.package, local.metrics, norm, receipt)

    def next_round(self, after: int, timeout_s: float = 3600.0) -> RoundInfo | None:
        """Wait for a round numbered above ``after`` that takes updates; None once the task has finished."""
        deadline = time.monotonic() + timeout_s
        while True:
            info = self.round()
            if info.round > after and info.state in ("open", "collecting"):
                return info
            if info.state == "published":  # the last round (max_rounds) is published: the task is over
                return None
            if time.monotonic() > deadline:
                raise FederatedError(f"task '{self.task_name}': no new round after round {after} "
                                     f"within {timeout_s:g} s")
            time.sleep(self.poll_s)

    def run(self, rounds: int | None = None, on_round: Callable[[RoundReport], object] | None = None,
            ) -> list[RoundReport]:
        """Join (if needed) and take part in ``rounds`` rounds (None: until the task finishes)."""
        if self.token is None:
            self.join()
        reports: list[RoundReport] = []
        last = 0
        while rounds is None or len(reports) < rounds:
            info = self.next_round(last)
            if info is None:
                break
            assignment = self.checkin()
            last = assignment.round.round
            if not assignment.selected or assignment.round.state not in ("open", "collecting"):
                continue  # not sampled this time: wait for the next round
            report = self.take_round(assignment.round)
            reports.append(report)
            if on_round is not None:
                on_round(report)
        return reports
