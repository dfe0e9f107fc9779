"""The registry: content-addressed blobs, packages and their immutable versions.

Revision ID: 0001_registry
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_registry"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "packages",
        sa.Column("name", sa.String(length=214), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_name", sa.String(length=214), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["package_name"], ["packages.name"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("package_name", "version", name="uq_package_version"),
    )
    op.create_index(op.f("ix_versions_package_name"), "versions", ["package_name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_versions_package_name"), table_name="versions")
    op.drop_table("versions")
    op.drop_table("packages")
    op.drop_table("blobs")
