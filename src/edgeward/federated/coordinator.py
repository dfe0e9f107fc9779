"""The coordinator of one federated task: a pure state machine (no I/O, no clock: ``now`` is passed in,
unix seconds). The API layer persists it (``to_state`` / ``arrays`` / ``from_state``) and publishes
each round's parameters as a package version.

A round moves open → collecting (its first update is accepted) → aggregating (``close_round``) →
published (``mark_published``, once the API layer has published the package), and the next round
opens at once. Round r trains from version r − 1 and publishes version r; version 0 is ``initial``.
A round may close when ``min_updates`` are in and either ``clients_per_round`` are in ('full') or the
deadline has passed ('deadline'); past its deadline short of ``min_updates`` it stays open for them.

The new parameters are old + aggregate(deltas clipped to clip_norm), or old + noised mean with DP.
Parameters are float32, what the package holds and clients train from; aggregation is float64.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from edgeward.errors import FederatedError
from edgeward.federated import privacy
from edgeward.federated.aggregators import aggregate
from edgeward.federated.protocol import Assignment, RoundInfo, RoundMetrics, TaskSpec, UpdateHeader, UpdateReceipt
from edgeward.federated.state import ClientRecord, RoundRecord, UpdateRecord, state_arrays, state_of, state_parts
from edgeward.federated.validate import check_round, check_update, encode, refusal

DEFAULT_MAX_UPDATE_BYTES = 64 * 1024 * 1024  # 16 M float32 parameters: far above any head, far below RAM
RATE_WINDOW_S = 60.0


@dataclass(frozen=True)
class Update:
    """One update as it arrives: its header, its raw payload and the sender's token."""

    header: UpdateHeader
    payload: bytes
    token: str


@dataclass(frozen=True)
class RoundResult:
    """A closed round: the parameters of the new ``version`` and the round's metrics."""

    round: int
    version: int
    params: np.ndarray = field(repr=False)
    metrics: RoundMetrics

    @property
    def params_sha256(self) -> str:
        return hashlib.sha256(encode(self.params)).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Coordinator:
    """See the module docstring. ``secret`` keys the sampling draws (random if not given);
    ``max_update_bytes`` is the byte cap of a payload."""

    def __init__(self, task: TaskSpec, initial: np.ndarray, *, now: float, secret: str | None = None,
                 max_update_bytes: int = DEFAULT_MAX_UPDATE_BYTES) -> None:
        params = np.asarray(initial, dtype=np.float32)
        if params.shape != (task.param_count,):
            raise FederatedError(f"task '{task.name}': initial parameters have shape {list(params.shape)}, "
                                 f"its head has [{task.param_count}]")
        if not np.isfinite(params).all():
            raise FederatedError(f"task '{task.name}': initial parameters hold NaN or Inf")
        self.task = task
        self.secret = secret or secrets.token_hex(16)
        self.max_update_bytes = max_update_bytes
        self.params = params.copy()
        self.version = 0
        self.clients: dict[str, ClientRecord] = {}
        self.history: list[RoundMetrics] = []
        self.pending: RoundResult | None = None
        self.current = RoundRecord(number=1, state="open", opened_at=now, deadline=now + task.deadline_s)

    # -- what clients see -------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """The task's last round (``max_rounds``) is published."""
        return self.task.max_rounds is not None and len(self.history) >= self.task.max_rounds

    def round_info(self) -> RoundInfo:
        r, t = self.current, self.task
        return RoundInfo(task=t.name, round=r.number, state=r.state, base_version=r.number - 1,
                         deadline=r.deadline, updates=len(r.updates), clients_per_round=t.clients_per_round,
                         min_updates=t.min_updates)

    def join(self, now: float) -> tuple[str, str]:
        """A new client: (client_id, token). Only the token's sha256 is kept."""
        client_id = secrets.token_hex(8)
        while client_id in self.clients:
            client_id = secrets.token_hex(8)
        token = secrets.token_urlsafe(32)
        self.clients[client_id] = ClientRecord(token_sha256=_token_hash(token), joined_at=now)
        return client_id, token

    def checkin(self, client_id: str, token: str, now: float) -> Assignment:
        """The current round and whether this client takes part: drawn once per (round, client) with
        probability ``dp_sample_rate``; never while the round is closed or already full."""
        self._admit(client_id, token, now)
        r = self.current
        selected = False
        if r.state in ("open", "collecting") and len(r.updates) < self.task.clients_per_round:
            selected = client_id in r.sampled or self._draw(client_id, r.number)
            if selected:
                r.sampled.add(client_id)
        return Assignment(round=self.round_info(), selected=selected)

    def accept(self, update: Update, now: float) -> UpdateReceipt:
        """Take one update into the open round, or raise the UpdateRefusedError that says why (counted in
        the round's refusals): token, rate, task / round / version, duplicate, full, not sampled, then
        the payload checks of validate.check_update."""
        r = self.current
        h = update.header
        try:
            self._admit(h.client_id, update.token, now)
            check_round(h, self.task, self.round_info())
            if h.client_id in r.updates:
                raise refusal("duplicate", f"client {h.client_id} already sent its update for round {r.number}")
            if len(r.updates) >= self.task.clients_per_round:
                raise refusal("full", f"round {r.number} already has its {self.task.clients_per_round} updates")
            if self.task.dp_sample_rate < 1 and h.client_id not in r.sampled:
                raise refusal("not_sampled", f"client {h.client_id} was not sampled for round {r.number}; "
                                             "check in first")
            delta = check_update(h, update.payload, self.task, self.round_info(), max_bytes=self.max_update_bytes)
        except FederatedError as err:
            code = getattr(err, "code", "other")
            r.refused[code] = r.refused.get(code, 0) + 1
            raise
        r.sampled.add(h.client_id)  # with q = 1 every client that sends is sampled
        sha = hashlib.sha256(update.payload).hexdigest()
        norm = float(np.linalg.norm(delta.astype(np.float64)))
        r.updates[h.client_id] = UpdateRecord(num_examples=h.num_examples, metrics=h.metrics.model_dump(),
                                              norm=norm, payload_sha256=sha, received_at=now, delta=delta)
        r.state = "collecting"
        return UpdateReceipt(task=self.task.name, round=r.number, client_id=h.client_id, payload_sha256=sha,
                             norm=norm, updates=len(r.updates))

    # -- closing a round --------------------------------------------------------------------------------

    def ready(self, now: float) -> Literal["full", "deadline"] | None:
        """'full' or 'deadline' when the open round may close now, else None."""
        r, t = self.current, self.task
        n = len(r.updates)
        if r.state not in ("open", "collecting") or n < t.min_updates:
            return None
        if n >= t.clients_per_round:
            return "full"
        return "deadline" if now >= r.deadline else None

    def close_round(self, now: float, rng: np.random.Generator | None = None) -> RoundResult:
        """Aggregate the round (state → aggregating) and return its result, kept as ``pending`` until
        ``mark_published``. Called again while aggregating (after a restart) it returns the same result.
        ``rng`` draws the DP noise: by default fresh OS entropy, so the noise cannot be rebuilt from
        anything stored."""
        r, t = self.current, self.task
        if r.state == "aggregating" and self.pending is not None:
            return self.pending
        reason = self.ready(now)
        if reason is None:
            raise FederatedError(f"task '{t.name}' round {r.number} cannot close: {r.state}, "
                                 f"{len(r.updates)} of min {t.min_updates} updates, deadline {r.deadline}")
        ids = list(r.updates)  # in arrival order, which aggregation does not depend on
        records = [r.updates[c] for c in ids]
        deltas = np.stack([u.delta for u in records]).astype(np.float64)
        counts = np.array([u.num_examples for u in records], dtype=np.float64)
        clipped, n_clipped = deltas, 0
        if t.clip_norm is not None:
            clipped = np.stack([privacy.clip(d, t.clip_norm) for d in deltas])
            n_clipped = int(sum(u.norm > t.clip_norm for u in records))
        eps = None
        if t.dp_noise_multiplier > 0 and t.clip_norm is not None:
            step = privacy.noised_mean(clipped, t.clip_norm, t.dp_noise_multiplier, rng or np.random.default_rng())
            eps = privacy.epsilon(t.dp_noise_multiplier, t.dp_sample_rate, len(self.history) + 1, t.dp_delta)
        else:
            step = aggregate(t.aggregator, clipped, counts, f=t.assumed_byzantine, trim=t.trim_fraction,
                             max_count=t.max_examples_per_client)
        new = (self.params.astype(np.float64) + step).astype(np.float32)
        if not np.isfinite(new).all():
            raise FederatedError(f"task '{t.name}' round {r.number}: the new parameters overflow float32")
        reported = sum(u.metrics["examples"] for u in records)

        def weighted(key: str) -> float | None:  # clients' own figures, weighted by the examples they scored
            return sum(u.metrics[key] * u.metrics["examples"] for u in records) / reported if reported else None

        metrics = RoundMetrics(
            task=t.name, round=r.number, base_version=self.version, version=self.version + 1,
            aggregator=t.aggregator, reason=reason, sampled=len(r.sampled), returned=len(records),
            refused=sum(r.refused.values()), refused_by_code=dict(r.refused), update_norms=[u.norm for u in records],
            clipped=n_clipped, clip_norm=t.clip_norm, examples=int(counts.sum()), local_loss=weighted("loss"),
            local_accuracy=weighted("accuracy"), noise_multiplier=t.dp_noise_multiplier, epsilon=eps,
            delta=t.dp_delta if eps is not None else None, opened_at=r.opened_at, closed_at=now)
        r.state = "aggregating"
        self.pending = RoundResult(round=r.number, version=self.version + 1, params=new, metrics=metrics)
        return self.pending

    def mark_published(self, now: float) -> RoundInfo:
        """The pending result is published: it becomes the current parameters, and the next round opens
        (unless ``max_rounds`` is reached: the last round then stays 'published')."""
        r, result = self.current, self.pending
        if r.state != "aggregating" or result is None:
            raise FederatedError(f"task '{self.task.name}' round {r.number} is {r.state}: nothing to publish")
        self.params, self.version = result.params, result.version
        self.history.append(result.metrics)
        self.pending = None
        r.state = "published"
        r.updates.clear()  # the deltas are aggregated; the metrics keep their norms and counts
        if not self.finished:
            self.current = RoundRecord(number=r.number + 1, state="open", opened_at=now,
                                       deadline=now + self.task.deadline_s)
        return self.round_info()

    @property
    def epsilon(self) -> float | None:
        """(ε, dp_delta) spent by the published rounds (None without DP)."""
        if self.task.dp_noise_multiplier == 0:
            return None
        t = self.task
        return privacy.epsilon(t.dp_noise_multiplier, t.dp_sample_rate, len(self.history), t.dp_delta)

    # -- persistence (edgeward.federated.state holds the format) ----------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Plain JSON-able data; every array appears as the sha256 of its raw little-endian float32 bytes."""
        return state_of(self)

    def arrays(self) -> dict[str, bytes]:
        """sha256 → raw little-endian float32 bytes, for every array ``to_state`` names."""
        return state_arrays(self)

    @classmethod
    def from_state(cls, state: dict[str, Any], arrays: dict[str, bytes]) -> Coordinator:
        """The coordinator ``to_state`` described, arrays checked against their sha256."""
        parts = state_parts(state, arrays)
        self = cls.__new__(cls)
        self.task, self.secret, self.max_update_bytes = parts.task, parts.secret, parts.max_update_bytes
        self.params, self.version, self.clients = parts.params, parts.version, parts.clients
        self.history, self.current = parts.history, parts.current
        self.pending = (None if parts.pending is None else
                        RoundResult(round=parts.pending[0], version=parts.pending[1], params=parts.pending[2],
                                    metrics=parts.pending[3]))
        return self

    # -- internals --------------------------------------------------------------------------------------

    def _admit(self, client_id: str, token: str, now: float) -> None:
        """The token matches the client's, and the client is within its rate limit (this request counts)."""
        client = self.clients.get(client_id)
        if client is None or not hmac.compare_digest(client.token_sha256, _token_hash(token)):
            raise refusal("token", f"unknown client '{client_id}' or wrong token")
        client.requests = [t for t in client.requests if t > now - RATE_WINDOW_S]
        if len(client.requests) >= self.task.rate_limit_per_minute:
            wait = client.requests[0] + RATE_WINDOW_S - now
            raise refusal("rate", f"client {client_id}: more than {self.task.rate_limit_per_minute} requests "
                                  f"in {RATE_WINDOW_S:g} s; retry after {wait:.1f} s")
        client.requests.append(now)

    def _draw(self, client_id: str, round_number: int) -> bool:
        """Poisson sampling at rate q: a keyed hash of (round, client) as a uniform draw in [0, 1), so the
        draw is the same on every check-in and after a restart, and unpredictable without the secret."""
        q = self.task.dp_sample_rate
        if q >= 1:
            return True
        digest = hmac.new(self.secret.encode(), f"{round_number}:{client_id}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < q
