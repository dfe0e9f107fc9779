"""200 federated clients held in one round by two `edgeward serve` processes sharing one database
(SQLite here; PostgreSQL when the test script runs the suite again on it): every update accepted, no
5xx, no dropped connection, and the published version is exactly FedAvg of the clipped deltas.
The latency percentiles are printed (bench/federated_load.py writes the report)."""

from __future__ import annotations

import json
from pathlib import Path

from edgeward.bench.federated_load import run_load
from edgeward.server.background import start_server_process
from tests.federated.fedserver import TOKEN, fed_settings


def test_200_clients_in_one_round_on_two_server_processes(tmp_path: Path) -> None:
    settings = fed_settings(tmp_path)
    procs = [start_server_process(settings) for _ in range(2)]
    try:
        report = run_load([url for _, url in procs], TOKEN, clients=200)
    finally:
        for proc, _ in procs:
            proc.kill()
            proc.wait(10)
    print(json.dumps(report.latency_ms))
    assert report.errors == []
    assert report.server_errors == 0 and report.transport_errors == 0
    assert report.accepted == 200 and report.statuses == {"200": 200, "201": 400}
    assert report.published_version == 1
    assert report.aggregate_max_error is not None and report.aggregate_max_error < 1e-6
    assert report.ok
