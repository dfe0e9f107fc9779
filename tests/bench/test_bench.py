"""`edgeward bench`: the harness produces a well-formed report. Benchmarks are not tests: no speed checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from edgeward.bench.harness import SCHEMA, run_bench
from edgeward.bench.report import write_report
from edgeward.server.background import serve_in_thread
from edgeward.settings import get_settings

CONFIG_IDS = ["python-1", "python-default", "web-wasm-1", "web-wasm-2", "web-webgpu", "tfjs-wasm"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _positive_ms(config: dict[str, Any]) -> None:
    assert config["load_ms"] > 0 and config["first_inference_ms"] > 0, config
    for key in ("inference_ms", "e2e_ms"):
        s = config[key]
        if s is None:
            continue
        assert set(s) == {"p50", "p95", "mean", "min", "n"}, config
        assert 0 < s["min"] <= s["p50"] <= s["p95"], config


@pytest.fixture(scope="module")
def report(posenet_dir: Path) -> dict[str, Any]:
    if not Path(get_settings().chromium).is_file():
        pytest.skip("no Chromium")
    pytest.importorskip("playwright.sync_api")
    return run_bench(str(posenet_dir), runs=2, warmup=0)


def test_report_is_well_formed(report: dict[str, Any], tmp_path: Path) -> None:
    assert report["schema"] == SCHEMA and report["package"] == "posenet@1.0.0" and report["runs"] == 2
    assert report["machine"]["cross_origin_isolated"] is True
    assert report["page_errors"] == []  # no CSP violation, no uncaught error in the bench page
    ids = [c["id"] for c in report["configs"]]
    n = max(2, report["machine"]["hardware_concurrency"])
    assert ids == [i.replace("web-wasm-2", f"web-wasm-{n}") for i in CONFIG_IDS]
    by_id = {c["id"]: c for c in report["configs"]}
    for cid in ("python-1", "python-default", "web-wasm-1", f"web-wasm-{n}", "tfjs-wasm"):
        assert by_id[cid]["status"] == "ok", by_id[cid]
        _positive_ms(by_id[cid])
    for cid in ("python-1", "python-default", "web-wasm-1", f"web-wasm-{n}"):  # the Edgeward runtime: frames too
        assert by_id[cid]["e2e_ms"]["n"] == 2
    assert by_id["tfjs-wasm"]["e2e_ms"] is None and by_id["tfjs-wasm"]["threads"] >= 1
    assert by_id["web-wasm-1"]["threads"] == 1 and by_id[f"web-wasm-{n}"]["threads"] == n
    gpu = by_id["web-webgpu"]
    assert gpu["status"] in ("ok", "unavailable", "error") and (gpu["status"] == "ok" or gpu["reason"])

    paths = write_report(report, tmp_path / "out")
    assert json.loads(paths["json"].read_text()) == report
    table = paths["markdown"].read_text()
    assert table.count("\n| ") == 1 + len(report["configs"]) and "Inference p50 ms" in table
    assert paths["png"].read_bytes()[:8] == PNG_MAGIC and paths["png"].stat().st_size > 5_000


def test_report_without_browser_writes_files(posenet_dir: Path, tmp_path: Path) -> None:
    report = run_bench(str(posenet_dir), runs=1, warmup=0, browser=False)
    assert [c["id"] for c in report["configs"]] == ["python-1", "python-default"]
    for c in report["configs"]:
        _positive_ms(c)
    paths = write_report(report, tmp_path)
    assert paths["png"].read_bytes()[:8] == PNG_MAGIC


def test_server_serves_only_the_original_tfjs_model_files(posenet_dir: Path, posenet_json: Path) -> None:
    with serve_in_thread() as base:
        ok = httpx.get(f"{base}/tfjs-models/posenet/1.0.0/{posenet_json.name}")
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
        assert ok.headers["cross-origin-embedder-policy"] == "require-corp"
        assert httpx.get(f"{base}/tfjs-models/posenet/1.0.0/posenet.bin").status_code == 200
        assert httpx.get(f"{base}/tfjs-models/posenet/1.0.0/package.json").status_code == 404
        assert httpx.get(f"{base}/tfjs-models/posenet/9.9.9/{posenet_json.name}").status_code == 404
        assert httpx.get(f"{base}/tfjs-models/posenet/1.0.0/..%2Fposenet.json").status_code == 404
        wasm = httpx.get(f"{base}/vendor/tfjs-backend-wasm/tfjs-backend-wasm-simd.wasm")
        assert wasm.status_code == 200 and wasm.headers["content-type"] == "application/wasm"
