"""A coordinator on a temp home (SQLite + blobs; EDGEWARD_TEST_DATABASE_URL: PostgreSQL), a tiny task
(a linear head on 3 features, 2 classes: P = 8) and HTTP helpers shared by the federated I/O tests."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from fastapi.testclient import TestClient

from edgeward.federated.validate import encode
from edgeward.settings import Settings, get_settings

TOKEN = "federated-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
API = "/api/v1/federated"
P = 8
Http = TestClient | httpx.Client


def fed_settings(tmp_path: Path) -> Settings:
    database_url = os.environ.get("EDGEWARD_TEST_DATABASE_URL") or None
    if database_url:  # emptied first, as the registry tests do
        from sqlalchemy import create_engine

        from edgeward.migrations import drop_all

        engine = create_engine(database_url)
        drop_all(engine)  # the app's engine migrates it afresh
        engine.dispose()
    return replace(get_settings(), home=tmp_path / "server-home", registry_token=TOKEN, registry_url=None,
                   database_url=database_url, blob_dir=None)


def tiny_spec(name: str = "tiny", **rules: Any) -> dict[str, Any]:
    return {"name": name, "head": {"kind": "linear", "dim": 3, "labels": ["a", "b"]}, "clients_per_round": 2,
            "min_updates": 2, "deadline_s": 300.0, "clip_norm": 1.0} | rules


def create(http: Http, spec: dict[str, Any]) -> dict[str, Any]:
    r = http.post(f"{API}/tasks", json=spec, headers=AUTH)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def join(http: Http, task: str = "tiny") -> tuple[str, str]:
    r = http.post(f"{API}/tasks/{task}/join", json={"task": task, "platform": "python"})
    assert r.status_code == 201, r.text
    return r.json()["client_id"], r.json()["token"]


def header(client_id: str, delta: np.ndarray | None = None, *, task: str = "tiny", round: int = 1,
           base_version: int = 0, **fields: Any) -> dict[str, Any]:
    h: dict[str, Any] = {"task": task, "round": round, "client_id": client_id, "base_version": base_version,
                         "dtype": "float32", "shape": [P], "num_examples": 10,
                         "metrics": {"loss": 0.5, "accuracy": 0.75, "examples": 10}}
    if delta is not None:
        h["payload_sha256"] = hashlib.sha256(encode(delta)).hexdigest()
    return h | fields


def post_update(http: Http, token: str | None, payload: bytes, head: dict[str, Any] | str | None,
                task: str = "tiny") -> httpx.Response:
    headers = {"Content-Type": "application/octet-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if head is not None:
        headers["X-Edgeward-Update"] = head if isinstance(head, str) else json.dumps(head)
    return http.post(f"{API}/tasks/{task}/updates", content=payload, headers=headers)


def send(http: Http, client: tuple[str, str], delta: np.ndarray, **fields: Any) -> httpx.Response:
    """A well-formed update of ``delta`` from ``client`` (id, token) for round 1 unless told otherwise."""
    return post_update(http, client[1], encode(delta), header(client[0], delta, **fields),
                       task=fields.get("task", "tiny"))


def version_params(settings: Settings, http: Http, task: str = "tiny") -> tuple[int, np.ndarray]:
    """The current version and its parameters, read from the registry's package like a client would."""
    from edgeward.federated.local import read_params
    from edgeward.federated.protocol import FederatedHead

    current = http.get(f"{API}/tasks/{task}/version").json()
    resolved = http.get(f"/api/v1/packages/{task}/versions/{current['semver']}").json()
    folder = settings.home / "check" / task / current["semver"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(resolved["manifest"]))
    for entry in resolved["files"].values():
        (folder / entry["path"]).write_bytes(http.get(entry["url"]).content)
    spec = http.get(f"{API}/tasks/{task}").json()["spec"]
    return current["version"], read_params(folder, FederatedHead.model_validate(spec["head"]))
