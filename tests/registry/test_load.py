"""The registry under load on a real `edgeward serve` process: 100 concurrent clients resolve, download
whole, download in two Range requests and revalidate (If-None-Match → 304) while new versions are
published — zero 5xx, zero dropped connections, zero corrupted downloads, every status as expected.
SQLite here; PostgreSQL when the test script runs tests/registry again on it. The percentiles are
printed (bench/registry_load.py writes the report)."""

from __future__ import annotations

import json

from edgeward.bench.registry_load import run_registry_load
from edgeward.server.background import start_server_process
from edgeward.settings import Settings
from tests.registry.conftest import TOKEN


def test_100_clients_download_while_versions_are_published(registry_settings: Settings) -> None:
    proc, url = start_server_process(registry_settings, ready_path="/api/v1/packages")
    try:
        report = run_registry_load(url, TOKEN, clients=100, iterations=2, file_bytes=48 * 1024,
                                   publish_interval_s=0.1)
    finally:
        proc.kill()
        proc.wait(10)
    print(json.dumps(report.as_dict()["latency_ms"]))
    assert report.errors == []
    assert (report.server_errors, report.transport_errors, report.corrupted, report.wrong_status) == (0, 0, 0, 0)
    assert report.statuses["206"] == 400 and report.statuses["304"] == 200  # 2 ranges + 1 revalidation each
    assert report.published >= 2 and report.versions_seen >= 2, "no publish overlapped the downloads"
    assert report.ok
