"""Federated state in SQL through SQLAlchemy (the registry's database settings: SQLite by default,
PostgreSQL by URL) and arrays in a content-addressed blob store (the registry's BlobStore layout).

Tables: ``federated_tasks`` (the TaskSpec), ``federated_state`` (the coordinator's ``to_state()`` JSON
and a revision), ``federated_rounds`` (one row per round, its metrics once published),
``federated_clients`` (the sha256 of each token, never the token) and ``federated_updates`` (one row
per accepted update; its payload bytes are the blob named by ``payload_sha256``).

Durability: an update counts once its row and the new state commit in one transaction. Every array the
state names (the payload, the parameters) is written to the blob store and fsynced *before* that
commit, so a committed state never names a missing blob; a crash before the commit loses only an
update whose sender never got its 201 (and sends again). A restart reads the state row and the blobs
it names, and carries on.

Writers are serialised per task: ``SELECT … FOR UPDATE`` on the state row (PostgreSQL) or ``BEGIN
IMMEDIATE`` (SQLite, whose deferred transactions would fail rather than wait when two of them read and
then both try to write), so two server processes can share one database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from edgeward.errors import FederatedError, IntegrityError
from edgeward.registry.blobs import BlobStore


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FederatedBase(DeclarativeBase):
    pass


class TaskRow(FederatedBase):
    __tablename__ = "federated_tasks"

    name: Mapped[str] = mapped_column(String(214), primary_key=True)
    spec: Mapped[str] = mapped_column(Text)
    """The TaskSpec as JSON, as created (it never changes)."""
    package: Mapped[str] = mapped_column(String(214))
    """The registry package each aggregate is published to as a new version."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class StateRow(FederatedBase):
    __tablename__ = "federated_state"

    task: Mapped[str] = mapped_column(ForeignKey("federated_tasks.name"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    """Bumped by every write: a process whose cached coordinator has another revision reloads it."""
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, onupdate=_now)


class RoundRow(FederatedBase):
    __tablename__ = "federated_rounds"

    task: Mapped[str] = mapped_column(ForeignKey("federated_tasks.name"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[float] = mapped_column(Float)
    deadline: Mapped[float] = mapped_column(Float)
    updates: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The version this round published (null until then)."""
    package: Mapped[str | None] = mapped_column(String(300), nullable=True)
    metrics: Mapped[str | None] = mapped_column(Text, nullable=True)
    """RoundMetrics JSON once the round is published."""


class ClientRow(FederatedBase):
    __tablename__ = "federated_clients"

    task: Mapped[str] = mapped_column(ForeignKey("federated_tasks.name"), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    platform: Mapped[str | None] = mapped_column(String(16), nullable=True)
    joined_at: Mapped[float] = mapped_column(Float)


class UpdateRow(FederatedBase):
    __tablename__ = "federated_updates"
    # the database itself refuses a second update of one client in one round, whatever the processes do
    __table_args__ = (UniqueConstraint("task", "round", "client_id", name="uq_federated_update"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task: Mapped[str] = mapped_column(ForeignKey("federated_tasks.name"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[str] = mapped_column(String(64))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(BigInteger)
    num_examples: Mapped[int] = mapped_column(Integer)
    norm: Mapped[float] = mapped_column(Float)
    metrics: Mapped[str] = mapped_column(Text)
    received_at: Mapped[float] = mapped_column(Float)


def make_engine(url: str) -> Engine:
    """The registry's engine for ``url`` (migrated: the federated tables too); SQLite transactions that
    write begin IMMEDIATE (see the module docstring)."""
    from edgeward.registry.db import make_engine as registry_engine

    engine = registry_engine(url)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _manual_transactions(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # pysqlite would BEGIN (deferred) on its own

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            immediate = conn.get_execution_options().get("federated_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        engine.dispose()  # the pooled connection made before these listeners must not be reused
    return engine


def put_bytes(store: BlobStore, data: bytes) -> str:
    """Write ``data`` under its sha256 (temp file, fsync, rename): durable before any row names it."""
    digest = hashlib.sha256(data).hexdigest()
    target = store.path(digest)
    if target.is_file() and target.stat().st_size == len(data):
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return digest


def get_bytes(store: BlobStore, digest: str, what: str) -> bytes:
    """The blob ``digest``, checked against it (IntegrityError when it hashes otherwise)."""
    path = store.path(digest)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FederatedError(f"{what}: blob {digest} is missing from {store.root}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise IntegrityError(f"{what}: blob {path} hashes to sha256 {actual}")
    return data


def state_refs(state: dict[str, Any]) -> list[str]:
    """The sha256 of every array a coordinator state names (federated/state.py's format)."""
    refs = [state["params"], *(u["payload_sha256"] for u in state["round"]["updates"])]
    if state.get("pending"):
        refs.append(state["pending"]["params"])
    return refs


class Storage:
    """The engine (opened on first use, so creating the app touches no database) and the blob store."""

    def __init__(self, database_url: str, blob_root: Path) -> None:
        self.database_url = database_url
        self.blobs = BlobStore(blob_root)
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.database_url)
            return self._engine

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One writing transaction: committed on leaving, rolled back on an exception."""
        with Session(self.engine.execution_options(federated_write=True), expire_on_commit=False) as s, s.begin():
            yield s

    # -- rows -------------------------------------------------------------------------------------------
    @staticmethod
    def locked_state(s: Session, task: str) -> StateRow | None:
        return s.scalar(select(StateRow).where(StateRow.task == task).with_for_update())

    @staticmethod
    def revision(s: Session, task: str) -> int | None:
        return s.scalar(select(StateRow.revision).where(StateRow.task == task))

    @staticmethod
    def state(s: Session, task: str) -> StateRow | None:
        return s.get(StateRow, task)

    def task_names(self) -> list[str]:
        with self.read() as s:
            return list(s.scalars(select(TaskRow.name).order_by(TaskRow.name)))

    def client_id(self, task: str, token_sha256: str) -> str | None:
        with self.read() as s:
            return s.scalar(select(ClientRow.client_id).where(ClientRow.task == task,
                                                              ClientRow.token_sha256 == token_sha256))

    def rounds(self, task: str) -> list[RoundRow]:
        with self.read() as s:
            return list(s.scalars(select(RoundRow).where(RoundRow.task == task).order_by(RoundRow.number)))

    def updates(self, task: str, round_number: int | None = None) -> list[UpdateRow]:
        with self.read() as s:
            stmt = select(UpdateRow).where(UpdateRow.task == task)
            if round_number is not None:
                stmt = stmt.where(UpdateRow.round == round_number)
            return list(s.scalars(stmt.order_by(UpdateRow.id)))

    @staticmethod
    def save_round(s: Session, task: str, state: dict[str, Any]) -> None:
        """Mirror the state's current round into its row (the rows are for queries; the state rules)."""
        r = state["round"]
        row = s.get(RoundRow, (task, r["number"]))
        if row is None:
            row = RoundRow(task=task, number=r["number"], opened_at=r["opened_at"], deadline=r["deadline"])
            s.add(row)
        row.state, row.updates, row.deadline = r["state"], len(r["updates"]), r["deadline"]

    @staticmethod
    def publish_round(s: Session, task: str, metrics: dict[str, Any], package: str) -> None:
        row = s.get(RoundRow, (task, metrics["round"]))
        if row is not None:
            row.state, row.version, row.package = "published", metrics["version"], package
            row.metrics = json.dumps(metrics)
