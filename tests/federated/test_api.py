"""The coordinator's HTTP API: each bad update gets its 4xx and a Refusal naming it, and none of them
reaches the aggregate; tasks, joins, check-ins, versions and the dashboard as clients see them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from edgeward.federated.privacy import clip
from edgeward.federated.validate import encode
from edgeward.server.app import create_app
from edgeward.settings import Settings
from tests.federated.fedserver import (
    API,
    AUTH,
    P,
    create,
    fed_settings,
    header,
    join,
    post_update,
    send,
    tiny_spec,
    version_params,
)

GOOD_A = np.linspace(-0.2, 0.2, P).astype(np.float32)  # norm 0.33: under clip_norm 1
GOOD_B = np.full(P, 0.5, dtype=np.float32)  # norm 1.41: clipped to 1 by the server


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fed_settings(tmp_path)


@pytest.fixture
def http(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def refusal(r: object, status: int, code: str) -> str:
    body = r.json()  # type: ignore[attr-defined]
    assert (r.status_code, body["code"], body["status"]) == (status, code, status), body  # type: ignore[attr-defined]
    return str(body["detail"])


def _nan() -> np.ndarray:
    bad = GOOD_A.copy()
    bad[3] = np.nan
    return bad


# name → (status, code, counted by the round, a word of the message, the bad request from client a (id, token)
# with b's id at hand); each is sent before a's good update, except 'duplicate', which repeats it
BAD: dict[str, tuple[int, str, bool, str, Callable[[TestClient, tuple[str, str], str], Any]]] = {
    "wrong shape": (422, "shape", True, "shape [7]", lambda h, a, b: post_update(
        h, a[1], encode(GOOD_A[:-1]), header(a[0], shape=[P - 1]))),
    "wrong length": (422, "length", True, "32 bytes", lambda h, a, b: post_update(
        h, a[1], encode(GOOD_A)[:-4], header(a[0]))),
    "NaN": (422, "nan", True, "index 3", lambda h, a, b: send(h, a, _nan())),
    "oversized": (413, "too_large", True, "exactly 32 bytes", lambda h, a, b: post_update(
        h, a[1], b"\0" * (4 * P + 4), header(a[0]))),
    "oversized, chunked": (413, "too_large", True, "over 32 bytes", lambda h, a, b: h.post(
        f"{API}/tasks/tiny/updates", content=iter([b"\0" * 20] * 3), headers={
            "Authorization": f"Bearer {a[1]}", "X-Edgeward-Update": json.dumps(header(a[0]))})),
    "stale round": (409, "stale", True, "round 2", lambda h, a, b: send(h, a, GOOD_A, round=2)),
    "stale version": (409, "stale", True, "version 1", lambda h, a, b: send(h, a, GOOD_A, base_version=1)),
    "duplicate": (409, "duplicate", True, "already sent", lambda h, a, b: send(h, a, GOOD_A)),
    "bad token": (401, "token", False, "no client holds", lambda h, a, b: send(h, (a[0], "not-the-token"), GOOD_A)),
    "no token": (401, "token", False, "no client holds", lambda h, a, b: post_update(
        h, None, encode(GOOD_A), header(a[0]))),
    "another client's id": (401, "token", True, "wrong token", lambda h, a, b: send(h, (b, a[1]), GOOD_A)),
    "norm over the cap": (422, "norm", True, "cap of 10", lambda h, a, b: send(
        h, a, np.full(P, 4.0, dtype=np.float32))),
    "no header": (422, "header", False, "missing", lambda h, a, b: post_update(h, a[1], encode(GOOD_A), None)),
    "header not JSON": (422, "header", False, "not valid JSON", lambda h, a, b: post_update(
        h, a[1], encode(GOOD_A), "{not json")),
    "header field": (422, "header", False, "num_examples", lambda h, a, b: post_update(
        h, a[1], encode(GOOD_A), header(a[0], num_examples=0))),
    "dtype": (422, "dtype", True, "float64", lambda h, a, b: post_update(
        h, a[1], encode(GOOD_A), header(a[0], dtype="float64"))),
    "digest": (422, "digest", True, "hashes to", lambda h, a, b: post_update(
        h, a[1], encode(GOOD_A), header(a[0], GOOD_B))),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_update_gets_its_4xx_and_never_reaches_the_aggregate(case: str, http: TestClient,
                                                                   settings: Settings) -> None:
    status, code, counted, words, bad = BAD[case]
    create(http, tiny_spec())
    _, initial = version_params(settings, http)
    a, b = join(http), join(http)
    if case == "duplicate":
        assert send(http, a, GOOD_A).status_code == 201
    assert words in refusal(bad(http, a, b[0]), status, code)
    if case != "duplicate":
        assert send(http, a, GOOD_A).status_code == 201
    assert send(http, b, GOOD_B).status_code == 201  # fills the round: it closes, version 1 is published

    version, params = version_params(settings, http)
    expected = initial.astype(np.float64) + (clip(GOOD_A, 1.0) + clip(GOOD_B, 1.0)) / 2  # equal counts
    assert version == 1
    np.testing.assert_allclose(params, expected.astype(np.float32), atol=1e-7)
    done = http.get(f"{API}/tasks/tiny/dashboard").json()["rounds"][0]
    assert (done["returned"], done["clipped"]) == (2, 1)
    # unknown tokens and unreadable headers are refused before the coordinator sees them: not counted
    assert done["refused_by_code"] == ({code: 1} if counted else {})


def test_rate_limit_and_sampling_refusals(http: TestClient) -> None:
    create(http, tiny_spec("limited", rate_limit_per_minute=2))
    _, token = join(http, "limited")
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(2):
        assert http.post(f"{API}/tasks/limited/checkin", headers=auth).status_code == 200
    assert "retry after" in refusal(http.post(f"{API}/tasks/limited/checkin", headers=auth), 429, "rate")
    create(http, tiny_spec("sampled", dp_sample_rate=1e-12))
    s = join(http, "sampled")
    assert not http.post(f"{API}/tasks/sampled/checkin", headers={"Authorization": f"Bearer {s[1]}"}).json()[
        "selected"]
    refusal(send(http, s, GOOD_A, task="sampled"), 403, "not_sampled")


def test_tasks_need_the_registry_token_and_a_valid_unique_spec(http: TestClient) -> None:
    assert http.post(f"{API}/tasks", json=tiny_spec()).status_code == 401
    assert http.post(f"{API}/tasks", json=tiny_spec(), headers={"Authorization": "Bearer nope"}).status_code == 403
    r = http.post(f"{API}/tasks", json=tiny_spec(min_updates=3), headers=AUTH)
    assert r.status_code == 422 and "min_updates" in r.text
    huge = tiny_spec(head={"kind": "linear", "dim": 600_000, "labels": ["a", "b"]})
    r = http.post(f"{API}/tasks", json=huge, headers=AUTH)
    assert r.status_code == 422 and "at most" in r.json()["detail"]
    created = create(http, tiny_spec())
    assert created["package"] == "tiny@1.0.0" and created["update_bytes"] == 4 * P
    assert http.post(f"{API}/tasks", json=tiny_spec(), headers=AUTH).status_code == 409
    assert http.get(f"{API}/tasks/nothing/round").status_code == 404
    assert http.get(f"{API}/tasks").json() == {"tasks": ["tiny"]}
    # version 0 is an ordinary registry package: task 'features', the task's head and labels
    pkg = http.get("/api/v1/packages/tiny/resolve", params={"range": "^1"}).json()
    assert pkg["version"] == "1.0.0" and pkg["manifest"]["task"] == "features"
    assert pkg["manifest"]["labels"] == ["a", "b"] and pkg["manifest"]["head"]["dim"] == 3


def test_a_task_cannot_take_over_a_registry_package(http: TestClient) -> None:
    from tests.registry.conftest import tiny_manifest

    data = b"someone else's model"
    assert http.put(f"/api/v1/blobs/{hashlib.sha256(data).hexdigest()}", content=data, headers=AUTH).is_success
    assert http.put("/api/v1/packages/taken/versions/2.0.0", json=tiny_manifest("taken", "2.0.0", data),
                    headers=AUTH).status_code == 201
    r = http.post(f"{API}/tasks", json=tiny_spec("taken"), headers=AUTH)
    assert r.status_code == 409 and "registry package 'taken' already exists" in r.json()["detail"]


def test_join_checkin_round_version_and_close(http: TestClient) -> None:
    create(http, tiny_spec())
    r = http.post(f"{API}/tasks/tiny/join", json={"task": "other"})
    assert r.status_code == 422 and "'task'" in r.json()["detail"]
    a = join(http)
    assert http.post(f"{API}/tasks/tiny/checkin").status_code == 401
    assignment = http.post(f"{API}/tasks/tiny/checkin", headers={"Authorization": f"Bearer {a[1]}"}).json()
    assert assignment["selected"] and assignment["round"]["package"] == "tiny@1.0.0"
    info = http.get(f"{API}/tasks/tiny/round").json()
    assert (info["round"], info["state"], info["base_version"], info["package"]) == (1, "open", 0, "tiny@1.0.0")
    assert send(http, a, GOOD_A).status_code == 201
    assert http.post(f"{API}/tasks/tiny/close").status_code == 401
    r = http.post(f"{API}/tasks/tiny/close", headers=AUTH)
    assert r.status_code == 409 and "1 update(s) of min 2" in r.json()["detail"]
    current = http.get(f"{API}/tasks/tiny/version").json()
    assert (current["version"], current["package"]) == (0, "tiny@1.0.0")
    assert current["base_url"] == "/api/v1/packages/tiny/versions/1.0.0/files/"
    dash = http.get(f"{API}/tasks/tiny/dashboard").json()
    assert dash["current"]["updates"] == 1 and dash["clients"] == 1 and dash["rounds"] == []


def test_the_api_is_in_openapi_and_the_protocol_schema_is_served(http: TestClient) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for path in ("/tasks", "/tasks/{task}", "/tasks/{task}/round", "/tasks/{task}/version", "/tasks/{task}/join",
                 "/tasks/{task}/checkin", "/tasks/{task}/updates", "/tasks/{task}/close", "/tasks/{task}/dashboard"):
        assert f"{API}{path}" in paths, path
    body = paths[f"{API}/tasks/{{task}}/updates"]["post"]["requestBody"]["content"]
    assert "application/octet-stream" in body
    schema = http.get(f"{API}/schema/protocol.json").json()
    assert {"UpdateHeader", "TaskSpec", "Refusal"} <= set(schema["$defs"])
    json.dumps(schema)


def test_a_round_closes_on_its_deadline_once_min_updates_are_in(settings: Settings) -> None:
    from edgeward.errors import FederatedError
    from edgeward.federated.service import FederatedService

    now = [1000.0]
    service = FederatedService(settings, clock=lambda: now[0])
    service.create_task(tiny_spec(clients_per_round=3, min_updates=2, deadline_s=60.0))
    clients = [service.join("tiny", {"task": "tiny"}) for _ in range(3)]
    for c, d in zip(clients[:2], (GOOD_A, GOOD_B), strict=True):
        service.submit("tiny", c.token, json.dumps(header(c.client_id, d)), encode(d))
    with pytest.raises(FederatedError, match="deadline in 60 s"):
        service.close("tiny")
    now[0] += 61.0
    info = service.round_info("tiny")  # any request past the deadline closes the round
    assert (info.round, info.package) == (2, "tiny@1.1.0")
    assert service.dashboard("tiny")["rounds"][0]["reason"] == "deadline"
