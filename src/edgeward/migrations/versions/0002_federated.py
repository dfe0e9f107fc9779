"""The federated coordinator: tasks, their state, rounds, clients and accepted updates.

Revision ID: 0002_federated
Revises: 0001_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_federated"
down_revision = "0001_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federated_tasks",
        sa.Column("name", sa.String(length=214), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("package", sa.String(length=214), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "federated_clients",
        sa.Column("task", sa.String(length=214), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=True),
        sa.Column("joined_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["task"], ["federated_tasks.name"]),
        sa.PrimaryKeyConstraint("task", "client_id"),
    )
    op.create_index(op.f("ix_federated_clients_token_sha256"), "federated_clients", ["token_sha256"], unique=True)
    op.create_table(
        "federated_rounds",
        sa.Column("task", sa.String(length=214), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("deadline", sa.Float(), nullable=False),
        sa.Column("updates", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("package", sa.String(length=300), nullable=True),
        sa.Column("metrics", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["task"], ["federated_tasks.name"]),
        sa.PrimaryKeyConstraint("task", "number"),
    )
    op.create_table(
        "federated_state",
        sa.Column("task", sa.String(length=214), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["task"], ["federated_tasks.name"]),
        sa.PrimaryKeyConstraint("task"),
    )
    op.create_table(
        "federated_updates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task", sa.String(length=214), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("num_examples", sa.Integer(), nullable=False),
        sa.Column("norm", sa.Float(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["task"], ["federated_tasks.name"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task", "round", "client_id", name="uq_federated_update"),
    )
    op.create_index(op.f("ix_federated_updates_task"), "federated_updates", ["task"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_federated_updates_task"), table_name="federated_updates")
    op.drop_table("federated_updates")
    op.drop_table("federated_state")
    op.drop_table("federated_rounds")
    op.drop_index(op.f("ix_federated_clients_token_sha256"), table_name="federated_clients")
    op.drop_table("federated_clients")
    op.drop_table("federated_tasks")
