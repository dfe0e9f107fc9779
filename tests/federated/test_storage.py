"""Persistence: accepted updates survive a restart (a stopped server thread, a kill -9 of a server
process, a crash between closing a round and publishing it); two coordinators can share one database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from edgeward.federated import service as service_module
from edgeward.federated.privacy import clip
from edgeward.federated.service import FederatedService
from edgeward.federated.storage import ClientRow, StateRow, UpdateRow
from edgeward.federated.validate import encode
from edgeward.server.background import free_port, serve_in_thread, start_server_process
from edgeward.settings import Settings
from tests.federated.fedserver import API, P, create, fed_settings, join, send, tiny_spec, version_params

DELTAS = [np.linspace(-0.1, 0.1, P).astype(np.float32), np.full(P, 0.05, dtype=np.float32),
          np.linspace(0.3, -0.1, P).astype(np.float32)]
THREE = tiny_spec(clients_per_round=3, min_updates=3)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fed_settings(tmp_path)


def expected(initial: np.ndarray) -> np.ndarray:
    step = sum(clip(d, 1.0) for d in DELTAS) / len(DELTAS)  # FedAvg, equal counts
    return (initial.astype(np.float64) + step).astype(np.float32)


def test_a_restart_mid_round_loses_no_accepted_update(settings: Settings) -> None:
    with serve_in_thread(settings) as url, httpx.Client(base_url=url) as http:
        create(http, THREE)
        _, initial = version_params(settings, http)
        clients = [join(http) for _ in range(3)]
        for c, d in zip(clients[:2], DELTAS[:2], strict=True):
            assert send(http, c, d).status_code == 201
    # the server thread is stopped; a new app on the same database and blob directory carries on
    with serve_in_thread(settings) as url, httpx.Client(base_url=url) as http:
        info = http.get(f"{API}/tasks/tiny/round").json()
        assert (info["round"], info["state"], info["updates"]) == (1, "collecting", 2)
        assert send(http, clients[0], DELTAS[0]).json()["code"] == "duplicate"  # it remembers who sent
        assert send(http, clients[2], DELTAS[2]).status_code == 201
        version, params = version_params(settings, http)
        assert version == 1
        np.testing.assert_allclose(params, expected(initial), atol=1e-7)
        assert http.get(f"{API}/tasks/tiny/dashboard").json()["rounds"][0]["returned"] == 3


def _start(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    return start_server_process(settings, port)[0]


def test_kill_9_mid_round_then_restart_completes_the_round(settings: Settings) -> None:
    port = free_port()
    proc = _start(settings, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            create(http, THREE)
            _, initial = version_params(settings, http)
            clients = [join(http) for _ in range(3)]
            for c, d in zip(clients[:2], DELTAS[:2], strict=True):
                assert send(http, c, d).status_code == 201
        os.kill(proc.pid, signal.SIGKILL)  # no shutdown of any kind
        proc.wait(10)
        proc = _start(settings, port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            assert http.get(f"{API}/tasks/tiny/round").json()["updates"] == 2
            assert send(http, clients[2], DELTAS[2]).status_code == 201
            version, params = version_params(settings, http)
            assert version == 1
            np.testing.assert_allclose(params, expected(initial), atol=1e-7)
    finally:
        proc.kill()
        proc.wait(10)


def test_a_crash_between_closing_and_publishing_is_finished_after_the_restart(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    first = FederatedService(settings)
    create_spec = dict(THREE, clients_per_round=2, min_updates=2)
    first.create_task(create_spec)
    clients = [first.join("tiny", {"task": "tiny"}) for _ in range(2)]

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(service_module, "publish_version", crash)
    for c, d in zip(clients, DELTAS[:2], strict=True):
        header = {"task": "tiny", "round": 1, "client_id": c.client_id, "base_version": 0, "shape": [P],
                  "num_examples": 5, "metrics": {"loss": 1.0, "accuracy": 0.5, "examples": 5}}
        first.submit("tiny", c.token, json.dumps(header), encode(d))
    assert first.round_info("tiny").state == "aggregating"  # closed, stored as pending, not published
    monkeypatch.undo()

    second = FederatedService(settings)  # a restarted process: nothing cached
    assert second.round_info("tiny").round == 2  # the next request publishes the pending version
    assert second.current_version("tiny")["package"] == "tiny@1.1.0"
    assert second.registry.version("tiny", "1.1.0")["version"] == "1.1.0"


def test_two_server_processes_share_one_database(settings: Settings) -> None:
    """Two `edgeward serve` processes on one database and blob store, clients sending to both at once:
    each round closes once, with every update, and publishes one version both processes serve."""
    procs = [start_server_process(settings) for _ in range(2)]
    try:
        one, two = (httpx.Client(base_url=url, timeout=60) for _, url in procs)
        create(one, THREE)
        _, params = version_params(settings, one)
        for round_ in (1, 2):
            clients = [join(one if i % 2 else two) for i in range(3)]
            with ThreadPoolExecutor(3) as pool:  # the three updates race, alternating between the processes
                futures = [pool.submit(send, two if i % 2 else one, clients[i], DELTAS[i], round=round_,
                                       base_version=round_ - 1) for i in range(3)]
                codes = [f.result().status_code for f in futures]
            assert codes == [201, 201, 201]
            assert send(one, clients[0], DELTAS[0], round=round_, base_version=round_ - 1).json()["code"] in (
                "duplicate", "stale")  # the other process's row is seen: never counted twice
            params = expected(params)
            for http in (one, two):
                version, got = version_params(settings, http)
                assert version == round_
                np.testing.assert_allclose(got, params, atol=1e-6)
        rounds = one.get(f"{API}/tasks/tiny/dashboard").json()["rounds"]
        assert [(r["round"], r["returned"]) for r in rounds] == [(1, 3), (2, 3)]
        one.close()
        two.close()
    finally:
        for proc, _ in procs:
            proc.kill()
            proc.wait(10)


def test_rows_hold_token_hashes_and_payload_digests(settings: Settings) -> None:
    service = FederatedService(settings)
    service.create_task(THREE)
    joined = service.join("tiny", {"task": "tiny", "platform": "browser"})
    header = {"task": "tiny", "round": 1, "client_id": joined.client_id, "base_version": 0, "shape": [P],
              "num_examples": 7, "metrics": {"loss": 1.0, "accuracy": 0.5, "examples": 7}}
    receipt = service.submit("tiny", joined.token, json.dumps(header), encode(DELTAS[0]))
    with service.storage.read() as s:
        client = s.scalars(select(ClientRow)).one()
        update = s.scalars(select(UpdateRow)).one()
        state = s.get(StateRow, "tiny")
        assert state is not None
        assert joined.token not in state.state and joined.token not in client.token_sha256
        assert (client.platform, update.num_examples, update.bytes) == ("browser", 7, 4 * P)
        assert update.payload_sha256 == receipt.payload_sha256
    blob = settings.registry_blob_dir / "federated" / "sha256" / update.payload_sha256[:2] / update.payload_sha256
    assert blob.read_bytes() == encode(DELTAS[0])
    assert not (settings.registry_blob_dir / "sha256" / update.payload_sha256[:2]).exists()  # not public


def test_publishing_a_version_again_is_idempotent_and_other_weights_are_refused(settings: Settings) -> None:
    from edgeward.federated.protocol import TaskSpec
    from edgeward.federated.publish import publish_version
    from edgeward.registry.service import Registry, RegistryError

    registry, spec = Registry(settings), TaskSpec.model_validate(THREE)
    params = np.linspace(-1, 1, P).astype(np.float32)
    first = publish_version(registry, spec, 0, params, None, "0" * 64)
    again = publish_version(registry, spec, 0, params, None, "0" * 64)  # a retry after a crash
    assert again["manifest_sha256"] == first["manifest_sha256"] and first["manifest"]["task"] == "features"
    with pytest.raises(RegistryError, match="other weights") as err:
        publish_version(registry, spec, 0, params + 1, None, "0" * 64)
    assert err.value.status == 409
