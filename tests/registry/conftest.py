"""Registry fixtures: a registry app on a temp home (SQLite + blob dir), tiny packages, a token."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from edgeward.server.app import create_app
from edgeward.settings import Settings, get_settings

TOKEN = "test-token-123"
UPLOAD_LIMIT = 64 * 1024


def tiny_manifest(name: str, version: str, data: bytes, path: str = "model.fp32.onnx") -> dict[str, Any]:
    return {
        "name": name, "version": version, "task": "pose",
        "files": {"fp32": {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}},
        "inputs": [{"name": "image", "dtype": "float32", "shape": [1, 33, 33, 3], "layout": "NHWC"}],
        "outputs": [{"name": "h", "dtype": "float32", "shape": [1, 3, 3, 2]}],
        "preprocess": {"size": [33, 33], "scale": 1 / 127.5, "offset": -1.0},
        "postprocess": {"kind": "posenet", "output_stride": 16, "keypoints": ["a", "b"], "skeleton": [[0, 1]],
                        "pose_chain": [[0, 1]], "outputs": {"heatmap": "h", "offset": "h"}},
        "provenance": {"source": "test", "converter": "test"},
        "license": "Apache-2.0",
    }


def make_package(root: Path, name: str, version: str, data: bytes) -> Path:
    """A package folder ``root/name-version`` with one file."""
    d = root / f"{name}-{version}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "model.fp32.onnx").write_bytes(data)
    (d / "manifest.json").write_text(json.dumps(tiny_manifest(name, version, data), indent=2))
    return d


def model_bytes(seed: int, n: int = 3000) -> bytes:
    return bytes((i * 31 + seed * 7) % 256 for i in range(n))


@pytest.fixture
def registry_settings(tmp_path: Path) -> Settings:
    """SQLite under a temp home; EDGEWARD_TEST_DATABASE_URL runs the same tests on PostgreSQL (emptied first)."""
    database_url = os.environ.get("EDGEWARD_TEST_DATABASE_URL") or None
    if database_url:
        from sqlalchemy import create_engine

        from edgeward.migrations import drop_all

        engine = create_engine(database_url)
        drop_all(engine)  # the app's engine migrates it afresh
        engine.dispose()
    return replace(get_settings(), home=tmp_path / "server-home", registry_token=TOKEN, registry_url=None,
                   database_url=database_url, blob_dir=None, max_upload_bytes=UPLOAD_LIMIT)


@pytest.fixture
def client(registry_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(registry_settings)) as c:
        yield c


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def publish(client: TestClient, name: str, version: str, data: bytes,
            manifest: dict[str, Any] | None = None) -> Any:
    digest = hashlib.sha256(data).hexdigest()
    r = client.put(f"/api/v1/blobs/{digest}", content=data, headers=AUTH)
    assert r.status_code in (200, 201), r.text
    return client.put(f"/api/v1/packages/{name}/versions/{version}",
                      json=manifest or tiny_manifest(name, version, data), headers=AUTH)


@pytest.fixture
def published(client: TestClient) -> Callable[..., Any]:
    def do(name: str, version: str, seed: int = 0) -> Any:
        r = publish(client, name, version, model_bytes(seed))
        assert r.status_code == 201, r.text
        return r.json()

    return do
