"""Registry metadata in SQL through SQLAlchemy: SQLite by default, PostgreSQL (or any) by URL.

A version row is written once and never updated: that is what makes a published version immutable.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    pass


class PackageRow(Base):
    __tablename__ = "packages"

    name: Mapped[str] = mapped_column(String(214), primary_key=True)
    task: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    versions: Mapped[list[VersionRow]] = relationship(back_populates="package", lazy="selectin")


class VersionRow(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("package_name", "version", name="uq_package_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_name: Mapped[str] = mapped_column(ForeignKey("packages.name"), index=True)
    version: Mapped[str] = mapped_column(String(128))
    manifest: Mapped[str] = mapped_column(Text)
    """The manifest JSON exactly as published (validated by the pydantic Manifest)."""
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    total_bytes: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    package: Mapped[PackageRow] = relationship(back_populates="versions")


class BlobRow(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


def make_engine(url: str) -> Engine:
    """An engine on a database at the newest schema (edgeward.migrations: the registry's and the federated
    coordinator's tables); SQLite files get their folder and WAL + a busy timeout."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, object] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()
    from edgeward.migrations import upgrade

    upgrade(engine)
    return engine


def make_sessions(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
