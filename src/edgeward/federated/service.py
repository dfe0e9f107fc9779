"""The coordinator as a service: the pure Coordinator of each task, persisted by storage.py after every
change and published by publish.py after every round (no HTTP here; api.py is the thin router).

Every change runs in one writing transaction: lock the task's state row, rebuild the coordinator if
another process changed it (each process caches it by the row's revision), apply the change, write the
arrays it names to the blob store, then the state and the rows, and commit. A refused update is a change
too (the round counts its refusals), committed before the refusal is raised.

A round closes when the coordinator says it may ('full', or 'deadline' with min_updates): right after
the update that fills it, or on the next request to the task once its deadline has passed (clients
poll the round; there is no timer thread to stop or to lose). Closing is three steps — close (the
result is stored as 'pending'), publish the version to the registry, mark it published — and each is
safe to repeat, so a crash between any two is finished by the next request after the restart.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError as SQLIntegrityError
from sqlalchemy.orm import Session

from edgeward.errors import FederatedError, UpdateRefusedError
from edgeward.federated.coordinator import Coordinator, RoundResult, Update
from edgeward.federated.params import initial_params
from edgeward.federated.protocol import (
    Assignment,
    JoinRequest,
    JoinResponse,
    RoundInfo,
    RoundMetrics,
    TaskSpec,
    UpdateHeader,
    UpdateReceipt,
    parse,
)
from edgeward.federated.publish import package_ref, package_version, publish_version, source_digest
from edgeward.federated.storage import (
    ClientRow,
    StateRow,
    Storage,
    TaskRow,
    UpdateRow,
    get_bytes,
    put_bytes,
    state_refs,
)
from edgeward.federated.validate import encode, refusal
from edgeward.registry.service import Registry, RegistryError, files_url
from edgeward.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_PARAMS = 1 << 20
"""The largest head a task may have (4 MiB per update): heads are small, and a task spec must not be
able to make the server draw and export a billion weights."""


class CoordinatorError(FederatedError):
    """A request the coordinator cannot serve; ``status`` is the HTTP answer (404 no such task, 409 …)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class _Cached:
    revision: int
    coord: Coordinator
    known: set[str] = field(default_factory=set)
    """Digests known to be in the blob store (written or read by this process)."""


class FederatedService:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        # The registry's blob store code and layout, under a root of its own: the registry's public
        # GET /api/v1/blobs/{sha256} must never serve a client's delta.
        self.storage = Storage(settings.registry_database_url, settings.registry_blob_dir / "federated")
        self.registry = Registry(settings)
        self._cache: dict[str, _Cached] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._publishing: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, task: str) -> threading.RLock:
        """This process's lock on the task's cached coordinator (other processes: the state row's lock)."""
        with self._guard:
            return self._locks.setdefault(task, threading.RLock())

    def _publish_lock(self, task: str) -> threading.Lock:
        with self._guard:
            return self._publishing.setdefault(task, threading.Lock())

    # -- loading and saving ------------------------------------------------------------------------------
    def _build(self, task: str, row: StateRow) -> _Cached:
        cached = self._cache.get(task)
        if cached is not None and cached.revision == row.revision:
            return cached
        state = json.loads(row.state)
        known = cached.known if cached is not None else set()
        arrays = {d: get_bytes(self.storage.blobs, d, f"task '{task}' state") for d in set(state_refs(state))}
        cached = _Cached(row.revision, Coordinator.from_state(state, arrays), known | set(arrays))
        self._cache[task] = cached
        return cached

    def _read(self, task: str) -> Coordinator:
        """The task's coordinator as committed (callers hold the task's lock while they use it)."""
        with self.storage.read() as s:
            revision = Storage.revision(s, task)
            if revision is None:
                raise CoordinatorError(f"no federated task '{task}'", 404)
            cached = self._cache.get(task)
            if cached is not None and cached.revision == revision:
                return cached.coord
            row = Storage.state(s, task)
            assert row is not None
            return self._build(task, row).coord

    def _store_arrays(self, coord: Coordinator, state: dict[str, Any], known: set[str], payload: bytes | None) -> None:
        missing = [d for d in state_refs(state) if d not in known]
        if not missing:
            return
        candidates = [encode(coord.params), *([payload] if payload is not None else [])]
        if coord.pending is not None:
            candidates.append(encode(coord.pending.params))
        found = {hashlib.sha256(b).hexdigest(): b for b in candidates}
        if any(d not in found for d in missing):
            found = coord.arrays()
        for digest in missing:
            put_bytes(self.storage.blobs, found[digest])
            known.add(digest)

    def _mutate(self, task: str, change: Callable[[Coordinator, Session], T], payload: bytes | None = None) -> T:
        """Apply ``change`` in one transaction (see the module docstring); a refusal is committed, then raised."""
        with self._lock(task):
            refused: UpdateRefusedError | None = None
            result: Any = None
            try:
                with self.storage.write() as s:
                    row = Storage.locked_state(s, task)
                    if row is None:
                        raise CoordinatorError(f"no federated task '{task}'", 404)
                    cached = self._build(task, row)
                    try:
                        result = change(cached.coord, s)
                    except UpdateRefusedError as e:
                        refused = e
                    state = cached.coord.to_state()
                    self._store_arrays(cached.coord, state, cached.known, payload)
                    row.state, row.revision = json.dumps(state), row.revision + 1
                    Storage.save_round(s, task, state)
                cached.revision = row.revision
            except BaseException:
                self._cache.pop(task, None)  # the cached coordinator may hold the change that did not commit
                raise
        if refused is not None:
            raise refused
        return result

    # -- tasks -------------------------------------------------------------------------------------------
    def create_task(self, data: Any, seed: int = 0) -> dict[str, Any]:
        """A new task from a TaskSpec (JSON data): version 0 (Glorot-initialised from ``seed``) is published
        as TASK@1.0.0 first, then the task is stored; a name that is taken is a 409."""
        spec = parse(TaskSpec, data, "task spec")
        p = spec.param_count
        if p > MAX_PARAMS:
            raise CoordinatorError(f"task spec: field 'head': {p} parameters; a federated head may have at most "
                                   f"{MAX_PARAMS}", 422)
        name = spec.name
        with self._lock(name):
            with self.storage.read() as s:
                if s.get(TaskRow, name) is not None:
                    raise CoordinatorError(f"federated task '{name}' already exists", 409)
            self._check_package_free(name)
            now = self.clock()
            coord = Coordinator(spec, initial_params(spec.head, seed), now=now, max_update_bytes=4 * p)
            digest = hashlib.sha256(encode(coord.params)).hexdigest()
            try:
                publish_version(self.registry, spec, 0, coord.params, None, source_digest([digest]))
            except RegistryError as e:
                raise CoordinatorError(str(e), e.status) from None
            state = coord.to_state()
            known: set[str] = set()
            self._store_arrays(coord, state, known, None)
            try:
                with self.storage.write() as s:
                    s.add(TaskRow(name=name, spec=spec.model_dump_json(), package=name))
                    s.flush()
                    s.add(StateRow(task=name, revision=1, state=json.dumps(state)))
                    Storage.save_round(s, name, state)
            except SQLIntegrityError:  # another process created it first
                raise CoordinatorError(f"federated task '{name}' already exists", 409) from None
            self._cache[name] = _Cached(1, coord, known)
        return self.task_info(name)

    def _check_package_free(self, name: str) -> None:
        """Versions are published to the package named like the task: it must not hold anyone else's
        versions (only 1.0.0 is allowed, left by an earlier attempt to create this very task)."""
        try:
            versions = self.registry.package(name)["versions"]
        except RegistryError as e:
            if e.status == 404:
                return
            raise
        if versions != [package_version(0)]:
            raise CoordinatorError(f"registry package '{name}' already exists ({', '.join(versions)}); a federated "
                                   f"task publishes to a package of its own name: choose another task name", 409)

    def task_names(self) -> list[str]:
        return self.storage.task_names()

    def with_package(self, info: RoundInfo) -> RoundInfo:
        return info.model_copy(update={"package": package_ref(info.task, info.base_version)})

    def task_info(self, task: str) -> dict[str, Any]:
        with self._lock(task):
            c = self._read(task)
            return {"spec": c.task.model_dump(mode="json"), "round": self.with_package(c.round_info()),
                    **self._version(c), "clients": len(c.clients), "param_count": c.task.param_count,
                    "update_bytes": 4 * c.task.param_count}

    def _version(self, c: Coordinator) -> dict[str, Any]:
        name, semver = c.task.name, package_version(c.version)
        return {"task": name, "version": c.version, "package": f"{name}@{semver}", "name": name, "semver": semver,
                "base_url": files_url(name, semver), "finished": c.finished}

    def update_bytes(self, task: str) -> int:
        """The exact size of an update's payload for this task (P float32): the HTTP body cap."""
        with self._lock(task):
            return 4 * self._read(task).task.param_count

    def round_info(self, task: str) -> RoundInfo:
        self.tick(task)
        with self._lock(task):
            return self.with_package(self._read(task).round_info())

    def current_version(self, task: str) -> dict[str, Any]:
        self.tick(task)
        with self._lock(task):
            return self._version(self._read(task))

    # -- clients -----------------------------------------------------------------------------------------
    def join(self, task: str, data: Any) -> JoinResponse:
        request = parse(JoinRequest, data, "join request")
        if request.task != task:
            raise CoordinatorError(f"join request: field 'task' says '{request.task}', sent to task '{task}'", 422)
        now = self.clock()

        def change(c: Coordinator, s: Session) -> JoinResponse:
            client_id, token = c.join(now)
            s.add(ClientRow(task=task, client_id=client_id, token_sha256=token_sha256(token),
                            platform=request.platform, joined_at=now))
            return JoinResponse(task=task, client_id=client_id, token=token)

        return self._mutate(task, change)

    def _client(self, task: str, token: str | None) -> str:
        """The client a bearer token was issued to. An unknown token is refused here, before any write."""
        client_id = self.storage.client_id(task, token_sha256(token)) if token else None
        if client_id is None:
            raise refusal("token", f"task '{task}': no client holds this bearer token (join first: "
                                   f"POST /api/v1/federated/tasks/{task}/join)")
        return client_id

    def checkin(self, task: str, token: str | None) -> Assignment:
        client_id = self._client(task, token)
        self.tick(task)
        now = self.clock()
        assignment = self._mutate(task, lambda c, s: c.checkin(client_id, token or "", now))
        return assignment.model_copy(update={"round": self.with_package(assignment.round)})

    def submit(self, task: str, token: str | None, header_json: str | None, payload: bytes) -> UpdateReceipt:
        """Take one update (header JSON + raw float32 payload); the round closes here when it is full."""
        self._client(task, token)
        if not header_json:
            raise refusal("header", "the update's header is missing (JSON in the X-Edgeward-Update header)")
        try:
            header = parse(UpdateHeader, json.loads(header_json), "X-Edgeward-Update")
        except json.JSONDecodeError as e:
            raise refusal("header", f"X-Edgeward-Update: not valid JSON ({e})") from None
        except FederatedError as e:
            raise refusal("header", str(e)) from None
        now = self.clock()

        def change(c: Coordinator, s: Session) -> UpdateReceipt:
            receipt = c.accept(Update(header=header, payload=payload, token=token or ""), now)
            update = c.current.updates[header.client_id]
            s.add(UpdateRow(task=task, round=receipt.round, client_id=header.client_id,
                            payload_sha256=receipt.payload_sha256, bytes=len(payload),
                            num_examples=header.num_examples, norm=receipt.norm,
                            metrics=json.dumps(update.metrics), received_at=now))
            return receipt

        receipt = self._mutate(task, change, payload)
        self.tick(task)  # the update that fills the round closes and publishes it
        return receipt

    def count_refusal(self, task: str, token: str | None, code: str) -> None:
        """Count a refusal the API made before the coordinator saw the update (a body over the cap),
        when it comes from a known client (unknown tokens cause no writes)."""
        self._client(task, token)

        def change(c: Coordinator, s: Session) -> None:
            # the coordinator counts its own refusals in RoundRecord.refused; this is one it never saw
            c.current.refused[code] = c.current.refused.get(code, 0) + 1

        self._mutate(task, change)

    # -- rounds ------------------------------------------------------------------------------------------
    def tick(self, task: str) -> RoundMetrics | None:
        """Close and publish the round if it may close now (or finish one a crash left aggregating).
        A failure to publish is logged and retried by the next request; it never fails this one."""
        try:
            return self.advance(task)
        except CoordinatorError:
            raise
        except Exception:
            log.exception("federated task '%s': closing the round failed; the next request retries", task)
            return None

    def advance(self, task: str) -> RoundMetrics | None:
        now = self.clock()
        with self._lock(task):
            c = self._read(task)
            if not (c.current.state == "aggregating" or c.ready(now)):
                return None
        publishing = self._publish_lock(task)
        if not publishing.acquire(blocking=False):
            return None  # another thread of this process is publishing this round

        def close(c: Coordinator, s: Session) -> tuple[RoundResult, list[str]] | None:
            if not (c.current.state == "aggregating" and c.pending is not None) and c.ready(now) is None:
                return None
            result = c.close_round(now)
            return result, [u.payload_sha256 for u in c.current.updates.values()]

        try:
            closed = self._mutate(task, close)
            if closed is None:
                return None
            result, digests = closed
            with self._lock(task):
                spec = self._read(task).task
            publish_version(self.registry, spec, result.version, result.params, result.metrics,
                            source_digest(digests))
            ref = package_ref(task, result.version)

            def mark(c: Coordinator, s: Session) -> None:
                if c.pending is not None and c.pending.version == result.version:
                    c.mark_published(self.clock())
                    Storage.publish_round(s, task, result.metrics.model_dump(mode="json"), ref)

            self._mutate(task, mark)
            log.info("federated task '%s': round %d published as %s", task, result.round, ref)
            return result.metrics
        finally:
            publishing.release()

    def close(self, task: str) -> dict[str, Any]:
        """Close the round now if the rules allow it (the server closes on its own, too); else 409 naming why."""
        metrics = self.advance(task)
        if metrics is None:
            with self._lock(task):
                c = self._read(task)
                r, t = c.current, c.task
                if c.finished:
                    raise CoordinatorError(f"task '{task}' has finished its {t.max_rounds} rounds", 409)
                wait = r.deadline - self.clock()
                raise CoordinatorError(
                    f"task '{task}' round {r.number} cannot close yet: {len(r.updates)} update(s) of min "
                    f"{t.min_updates} (full at {t.clients_per_round})"
                    + (f", deadline in {wait:.0f} s" if wait > 0 else ", deadline passed"), 409)
        return {"closed": metrics.model_dump(mode="json"), "package": package_ref(task, metrics.version)}

    def dashboard(self, task: str) -> dict[str, Any]:
        """What the dashboard page draws: rounds, clients sampled / returned / refused, norms, ε so far."""
        self.tick(task)
        with self._lock(task):
            c = self._read(task)
            r = c.current
            eps = c.epsilon
            return {
                **self._version(c), "spec": c.task.model_dump(mode="json"),
                "round": self.with_package(c.round_info()), "clients": len(c.clients),
                "epsilon": eps if eps is not None and math.isfinite(eps) else None,
                "delta": c.task.dp_delta if eps is not None else None,
                "current": {"updates": len(r.updates), "sampled": len(r.sampled), "refused_by_code": dict(r.refused),
                            "update_norms": [u.norm for u in r.updates.values()]},
                "rounds": [{**m.model_dump(mode="json"), "package": package_ref(task, m.version)} for m in c.history],
            }
