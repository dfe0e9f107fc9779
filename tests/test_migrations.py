"""Schema migrations (edgeward.migrations): a database migrated to the newest revision has exactly the
models' schema; a database made before migrations (create_all) is stamped and keeps its rows; downgrade
and upgrade again round-trip; two processes migrating one database at once both succeed. On SQLite,
and on PostgreSQL when EDGEWARD_TEST_DATABASE_URL is set (the test script's second run)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from edgeward.federated.storage import FederatedBase
from edgeward.migrations import VERSION_TABLE, drop_all, upgrade
from edgeward.registry.db import Base

TABLES = {"blobs", "packages", "versions", "federated_tasks", "federated_state", "federated_rounds",
          "federated_clients", "federated_updates", VERSION_TABLE}


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    url = os.environ.get("EDGEWARD_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = create_engine(url)
    drop_all(engine)
    engine.dispose()
    yield url


def _head(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_the_migrated_schema_is_the_models(url: str) -> None:
    engine = create_engine(url)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES
    assert _head(engine) == "0002_federated"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), [Base.metadata, FederatedBase.metadata])
    assert diff == [], f"the models and the migrations differ: write a revision ({diff})"
    upgrade(engine)  # at head: nothing to do
    engine.dispose()


def test_a_database_from_before_migrations_is_stamped_and_keeps_its_rows(url: str) -> None:
    engine = create_engine(url)
    Base.metadata.create_all(engine)  # what an Edgeward without migrations left behind
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO packages (name, task, created_at) VALUES ('old', 'pose', CURRENT_TIMESTAMP)"))
    upgrade(engine)
    assert _head(engine) == "0002_federated"
    assert set(inspect(engine).get_table_names()) == TABLES
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM packages")).scalars().all() == ["old"]
    engine.dispose()


def test_downgrade_and_upgrade_round_trip(url: str) -> None:
    from alembic import command

    from edgeward.migrations import config

    engine = create_engine(url)
    upgrade(engine)
    command.downgrade(config(engine), "0001_registry")
    assert "federated_tasks" not in inspect(engine).get_table_names()
    command.downgrade(config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {VERSION_TABLE}
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()


def test_two_processes_migrating_at_once_both_succeed(url: str) -> None:
    probe = "import sys; from sqlalchemy import create_engine; from edgeward.migrations import upgrade; " \
            "upgrade(create_engine(sys.argv[1])); print('ok')"
    procs = [subprocess.Popen([sys.executable, "-c", probe, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    engine = create_engine(url)
    assert _head(engine) == "0002_federated" and set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()


def test_the_revision_command_refuses_bad_arguments() -> None:
    out = subprocess.run([sys.executable, "-m", "edgeward.migrations"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "revision" in out.stderr
