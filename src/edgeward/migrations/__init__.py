"""Schema migrations (Alembic) of the one database the registry and the federated coordinator share.

Every engine is brought to the newest revision when it is made (``upgrade``), so `edgeward serve` on a
database of an older Edgeward upgrades it in place, and two processes starting together do not race:
on PostgreSQL the upgrade holds an advisory lock; on SQLite an exclusive lock on a file beside the
database (``DB.migrate-lock``: SQLite's own locking leaves a window between two processes' checks of
the schema and their CREATE TABLEs), and a loser of any remaining race retries.

A database made before migrations existed (tables created straight from the models) is recognised by
its tables and stamped with the revision that made them, then upgraded from there.

A schema change is a model change plus a new revision under versions/; write it with

    .venv/bin/python -m edgeward.migrations revision "add a column"

which autogenerates it against a database at the newest revision; check it, and keep the test
tests/test_migrations.py (models == migrated schema) green.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

SCRIPTS = Path(__file__).parent
VERSION_TABLE = "alembic_version"
# which revision made a database that predates migrations, by a table that revision created (newest first)
BASELINES = (("federated_tasks", "0002_federated"), ("packages", "0001_registry"))
PG_LOCK = 0x6564_6765  # pg_advisory_xact_lock key: 'edge'


def config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["engine"] = engine
    return cfg


def _baseline(engine: Engine) -> str | None:
    tables = set(inspect(engine).get_table_names())
    if VERSION_TABLE in tables:
        return None
    return next((rev for table, rev in BASELINES if table in tables), None)


@contextlib.contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock on ``DATABASE.migrate-lock`` (SQLite on a file; nothing otherwise)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the process dies
        yield


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (stamping a pre-migration database first)."""
    with _sqlite_file_lock(engine):
        _upgrade(engine, revision)


def _upgrade(engine: Engine, revision: str) -> None:
    cfg = config(engine)
    for attempt in range(3):
        try:
            baseline = _baseline(engine)
            if baseline is not None:
                command.stamp(cfg, baseline)
            command.upgrade(cfg, revision)
            return
        except (OperationalError, ProgrammingError):
            # SQLite: another process created the same tables a moment earlier; it is done now
            if attempt == 2 or engine.dialect.name == "postgresql":
                raise


def drop_all(engine: Engine) -> None:
    """Drop every table the migrations made (tests and benchmarks start from an empty database)."""
    from edgeward.federated.storage import FederatedBase
    from edgeward.registry.db import Base

    FederatedBase.metadata.drop_all(engine)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
