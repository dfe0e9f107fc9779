"""Concurrent publishes: two first publishes of a new package (different versions) both land; two
publishes of one version give one 201 and one 409 — on SQLite and (in the test script) PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy.orm import Session

from edgeward.bench.loadgen import run_async
from edgeward.registry.db import PackageRow
from edgeward.registry.service import Registry, RegistryError
from edgeward.settings import Settings
from tests.registry.conftest import model_bytes, tiny_manifest


def _lockstep(monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
    """Both publishers look the package up before either writes it: the race, every time."""
    barrier = threading.Barrier(parties, timeout=10)
    original = Session.get
    waited: set[int] = set()
    guard = threading.Lock()

    def get(self: Session, entity: Any, ident: Any, *args: Any, **kwargs: Any) -> Any:
        found = original(self, entity, ident, *args, **kwargs)
        with guard:  # the first lookup of each of the first ``parties`` threads waits for the others
            first = entity is PackageRow and threading.get_ident() not in waited and len(waited) < parties
            waited.add(threading.get_ident()) if first else None
        if first:
            barrier.wait()
        return found

    monkeypatch.setattr(Session, "get", get)


def _store(registry: Registry, data: bytes) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield data

    digest = hashlib.sha256(data).hexdigest()
    registry.record_blob(digest, run_async(registry.blobs.put(digest, chunks(), len(data))))


def _publish(registry: Registry, name: str, version: str, data: bytes) -> int:
    try:
        registry.publish(name, version, json.dumps(tiny_manifest(name, version, data)).encode())
        return 201
    except RegistryError as e:
        return e.status


def test_two_first_publishes_of_a_new_package_both_land(registry_settings: Settings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    registry = Registry(registry_settings)
    data = {v: model_bytes(i) for i, v in enumerate(("1.0.0", "1.1.0"))}
    for blob in data.values():
        _store(registry, blob)
    _lockstep(monkeypatch, 2)
    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(lambda v: _publish(registry, "racy", v, data[v]), data))
    assert codes == [201, 201]
    assert registry.package("racy")["versions"] == ["1.0.0", "1.1.0"]


def test_two_publishes_of_one_version_give_one_409(registry_settings: Settings,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    registry = Registry(registry_settings)
    blob = model_bytes(7)
    _store(registry, blob)
    _lockstep(monkeypatch, 2)
    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(lambda _: _publish(registry, "same", "1.0.0", blob), range(2)))
    assert codes == [201, 409]
