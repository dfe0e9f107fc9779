"""Every update is checked before it counts; a refused one never reaches the aggregate.

Each refusal is an UpdateRefusedError subclass with a stable ``code`` and the ``http_status`` the API
answers with (REFUSALS). ``check_update`` does what needs only the task and the round; the coordinator
adds what needs its state: the token, the rate limit, sampling, one update per client per round.

The norm cap (TaskSpec.norm_cap, by default 10 × clip_norm) refuses rather than clips: clipping bounds
what any delta can do to the aggregate, but a delta ten times longer than the clip is not a plausible
honest update (a broken client or an attack), and refusing it keeps it out of the round's norm figures.
"""

from __future__ import annotations

import hashlib

import numpy as np

from edgeward.errors import (
    ClientTokenError,
    InvalidUpdateError,
    NotSampledError,
    RateLimitedError,
    UpdateConflictError,
    UpdateRefusedError,
    UpdateTooLargeError,
)
from edgeward.federated.protocol import RoundInfo, TaskSpec, UpdateHeader

# code → class (whose http_status the API answers with). Stable: clients and tests match on codes.
REFUSALS: dict[str, type[UpdateRefusedError]] = {
    "header": InvalidUpdateError,  # the header is not a valid UpdateHeader
    "task": InvalidUpdateError,  # the header names another task
    "dtype": InvalidUpdateError,  # not 'float32'
    "shape": InvalidUpdateError,  # not [P] for the task's head
    "length": InvalidUpdateError,  # the payload is not 4 × P bytes
    "digest": InvalidUpdateError,  # the payload does not hash to the header's payload_sha256
    "nan": InvalidUpdateError,  # NaN or ±Inf in the payload
    "norm": InvalidUpdateError,  # L2 norm above the task's cap
    "too_large": UpdateTooLargeError,  # more bytes than the coordinator accepts at all
    "stale": UpdateConflictError,  # trained for another round or from another version
    "closed": UpdateConflictError,  # the round is aggregating or published
    "full": UpdateConflictError,  # the round already has clients_per_round updates
    "duplicate": UpdateConflictError,  # this client already sent an update this round
    "token": ClientTokenError,  # unknown client id or wrong token
    "not_sampled": NotSampledError,  # the client was not selected for this round
    "rate": RateLimitedError,  # too many requests from this client
}


def refusal(code: str, message: str) -> UpdateRefusedError:
    """The error for ``code`` (a key of REFUSALS)."""
    return REFUSALS[code](message, code=code)


def encode(vector: np.ndarray) -> bytes:
    """A parameter vector as the wire wants it: raw little-endian float32."""
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def decode(payload: bytes) -> np.ndarray:
    """Raw little-endian float32 bytes → a float32 vector (native byte order, writable)."""
    return np.frombuffer(payload, dtype="<f4").astype(np.float32)


def check_round(header: UpdateHeader, task: TaskSpec, round: RoundInfo) -> None:
    """The update is for this task's open round and was trained from that round's version."""
    if header.task != task.name:
        raise refusal("task", f"update for task '{header.task}' sent to task '{task.name}'")
    if header.round != round.round:
        raise refusal("stale", f"update for round {header.round}; the current round is {round.round}")
    if round.state not in ("open", "collecting"):
        raise refusal("closed", f"round {round.round} is {round.state}; updates are no longer taken")
    if header.base_version != round.base_version:
        raise refusal("stale", f"update trained from version {header.base_version}; round {round.round} "
                               f"trains from version {round.base_version}")


def check_update(header: UpdateHeader, payload_bytes: bytes, task: TaskSpec, round: RoundInfo, *,
                 max_bytes: int) -> np.ndarray:
    """The update's delta as float32 [P], or the UpdateRefusedError that names what is wrong. Checked in
    this order: task, round and version, byte cap, dtype, shape, byte length, digest, NaN/Inf, norm."""
    check_round(header, task, round)
    p = task.param_count
    size = len(payload_bytes)
    if size > max_bytes:
        raise refusal("too_large", f"payload of {size} bytes is over the cap of {max_bytes} bytes")
    if header.dtype != "float32":
        raise refusal("dtype", f"dtype '{header.dtype}': updates are raw little-endian 'float32'")
    if header.shape != [p]:
        raise refusal("shape", f"shape {header.shape}: task '{task.name}' has {p} parameters, so [{p}]")
    if size != 4 * p:
        raise refusal("length", f"payload of {size} bytes: shape [{p}] float32 is {4 * p} bytes")
    if header.payload_sha256 is not None:
        actual = hashlib.sha256(payload_bytes).hexdigest()
        if actual != header.payload_sha256:
            raise refusal("digest", f"payload hashes to sha256 {actual}, the header says {header.payload_sha256}")
    delta = decode(payload_bytes)
    bad = ~np.isfinite(delta)
    if bad.any():
        raise refusal("nan", f"payload holds {int(bad.sum())} NaN/Inf value(s), the first at index "
                             f"{int(np.argmax(bad))}")
    cap = task.norm_cap
    if cap is not None:
        norm = float(np.linalg.norm(delta.astype(np.float64)))
        if norm > cap:
            raise refusal("norm", f"L2 norm {norm:.6g} is over the task's cap of {cap:.6g}")
    return delta
