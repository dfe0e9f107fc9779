"""Alembic's environment: runs on the engine edgeward.migrations.upgrade hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from edgeward.federated.storage import FederatedBase
from edgeward.migrations import PG_LOCK
from edgeward.registry.db import Base

TARGET = [Base.metadata, FederatedBase.metadata]

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=TARGET, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":  # a second process waits here, then finds it done
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK})
        context.run_migrations()
