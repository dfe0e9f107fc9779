"""The coordinator's state as plain data, for the storage layer to persist (SQL rows + blobs).

``state_of`` gives a JSON-able dict in which every array is named by the sha256 of its raw
little-endian float32 bytes — the same bytes as an update's payload, so the content-addressed blob
store holds each accepted payload once. ``state_arrays`` gives those bytes; ``state_parts`` reads the
dict back, checking every array against its digest. The token's sha256 is stored, never the token.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from edgeward.errors import FederatedError, IntegrityError
from edgeward.federated.protocol import RoundMetrics, RoundState, TaskSpec, parse
from edgeward.federated.validate import decode, encode

if TYPE_CHECKING:
    from edgeward.federated.coordinator import Coordinator

STATE_VERSION = 1


@dataclass
class ClientRecord:
    token_sha256: str
    joined_at: float
    requests: list[float] = field(default_factory=list)
    """Times of this client's requests in the last rate window."""


@dataclass
class UpdateRecord:
    num_examples: int
    metrics: dict[str, Any]
    norm: float
    payload_sha256: str
    received_at: float
    delta: np.ndarray = field(repr=False)


@dataclass
class RoundRecord:
    number: int
    state: RoundState
    opened_at: float
    deadline: float
    sampled: set[str] = field(default_factory=set)
    updates: dict[str, UpdateRecord] = field(default_factory=dict)
    """By client id, in arrival order."""
    refused: dict[str, int] = field(default_factory=dict)


@dataclass
class Parts:
    task: TaskSpec
    secret: str
    max_update_bytes: int
    params: np.ndarray
    version: int
    clients: dict[str, ClientRecord]
    history: list[RoundMetrics]
    current: RoundRecord
    pending: tuple[int, int, np.ndarray, RoundMetrics] | None


def _sha(array: np.ndarray) -> str:
    return hashlib.sha256(encode(array)).hexdigest()


def state_of(c: Coordinator) -> dict[str, Any]:
    r = c.current
    return {
        "state_version": STATE_VERSION,
        "task": c.task.model_dump(mode="json"),
        "secret": c.secret,
        "max_update_bytes": c.max_update_bytes,
        "version": c.version,
        "params": _sha(c.params),
        "clients": {cid: {"token_sha256": k.token_sha256, "joined_at": k.joined_at, "requests": list(k.requests)}
                    for cid, k in c.clients.items()},
        "history": [m.model_dump(mode="json") for m in c.history],
        "round": {
            "number": r.number, "state": r.state, "opened_at": r.opened_at, "deadline": r.deadline,
            "sampled": sorted(r.sampled), "refused": dict(r.refused),
            "updates": [{"client_id": cid, "num_examples": u.num_examples, "metrics": dict(u.metrics),
                         "norm": u.norm, "payload_sha256": u.payload_sha256, "received_at": u.received_at}
                        for cid, u in r.updates.items()],
        },
        "pending": None if c.pending is None else {
            "round": c.pending.round, "version": c.pending.version, "params": _sha(c.pending.params),
            "metrics": c.pending.metrics.model_dump(mode="json")},
    }


def state_arrays(c: Coordinator) -> dict[str, bytes]:
    arrays = [c.params, *(u.delta for u in c.current.updates.values())]
    if c.pending is not None:
        arrays.append(c.pending.params)
    return {hashlib.sha256(b).hexdigest(): b for b in map(encode, arrays)}


def _array(arrays: dict[str, bytes], digest: str, size: int, what: str) -> np.ndarray:
    data = arrays.get(digest)
    if data is None:
        raise FederatedError(f"coordinator state: the bytes of {what} (sha256 {digest}) are missing")
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise IntegrityError(f"coordinator state: {what} hashes to sha256 {actual}, not {digest}")
    if len(data) != 4 * size:
        raise FederatedError(f"coordinator state: {what} is {len(data)} bytes, not {4 * size}")
    return decode(data)


def state_parts(state: dict[str, Any], arrays: dict[str, bytes]) -> Parts:
    if state.get("state_version") != STATE_VERSION:
        raise FederatedError(f"coordinator state: state_version {state.get('state_version')!r}, "
                             f"this edgeward reads {STATE_VERSION}")
    try:
        task = parse(TaskSpec, state["task"], "coordinator state")
        p = task.param_count
        r = state["round"]
        current = RoundRecord(number=r["number"], state=r["state"], opened_at=r["opened_at"], deadline=r["deadline"],
                              sampled=set(r["sampled"]), refused=dict(r["refused"]))
        for u in r["updates"]:
            current.updates[u["client_id"]] = UpdateRecord(
                num_examples=u["num_examples"], metrics=dict(u["metrics"]), norm=u["norm"],
                payload_sha256=u["payload_sha256"], received_at=u["received_at"],
                delta=_array(arrays, u["payload_sha256"], p, f"client {u['client_id']}'s update"))
        pending = state["pending"]
        return Parts(
            task=task, secret=state["secret"], max_update_bytes=state["max_update_bytes"],
            params=_array(arrays, state["params"], p, f"version {state['version']}'s parameters"),
            version=state["version"],
            clients={cid: ClientRecord(k["token_sha256"], k["joined_at"], list(k["requests"]))
                     for cid, k in state["clients"].items()},
            history=[parse(RoundMetrics, m, "coordinator state") for m in state["history"]],
            current=current,
            pending=None if pending is None else (
                pending["round"], pending["version"],
                _array(arrays, pending["params"], p, f"version {pending['version']}'s parameters"),
                parse(RoundMetrics, pending["metrics"], "coordinator state")))
    except (KeyError, TypeError) as err:
        raise FederatedError(f"coordinator state: malformed ({type(err).__name__}: {err})") from None
