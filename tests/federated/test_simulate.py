"""``edgeward federate simulate``: a real coordinator and Python clients over HTTP on the digits. The
published versions get better round by round; under 20 % scaling attackers (1 of 5) the robust
aggregators end within 2 points of the clean run while plain FedAvg (no clipping) breaks."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from edgeward.cli import app
from edgeward.federated.simulate import SimConfig, simulate

# 5 local epochs: three rounds get near the centralised model, so the comparison is of converged runs;
# no clipping: plain FedAvg, whose breakage clipping would hide
BASE = SimConfig(clients=5, rounds=3, local_epochs=5, clip_norm=None)


@pytest.fixture(scope="module")
def clean() -> dict[str, Any]:
    return simulate(BASE)


def test_accuracy_of_the_published_versions_rises(clean: dict[str, Any]) -> None:
    rows = clean["rounds"]
    assert [r["package"] for r in rows] == [f"digits-federated@1.{v}.0" for v in range(4)]
    accuracy = [r["accuracy"] for r in rows]
    assert all(b > a for a, b in itertools.pairwise(accuracy)), accuracy
    assert accuracy[0] < 0.2 and accuracy[-1] > 0.88, accuracy
    assert all(r["returned"] == 5 and r["refused"] == 0 and r["reason"] == "full" for r in rows[1:])
    assert clean["held_out"] == 539 and sum(clean["examples"]) == 1797 - 539


def test_robust_aggregators_withstand_scaling_attackers_and_fedavg_breaks(clean: dict[str, Any]) -> None:
    attacked = {kind: simulate(SimConfig(**{**BASE.__dict__, "byzantine": 1, "attack": "scale",
                                            "aggregator": kind}))
                for kind in ("fedavg", "median", "trimmed_mean")}
    final = {kind: report["final_accuracy"] for kind, report in attacked.items()}
    reference = clean["final_accuracy"]
    for kind in ("median", "trimmed_mean"):
        assert final[kind] >= reference - 0.02, (kind, final, reference)
    assert final["fedavg"] < reference - 0.2, (final, reference)
    norms = [r["norm_max"] / r["norm_median"] for r in attacked["fedavg"]["rounds"][1:]]
    assert min(norms) > 5  # the attacker's delta was sent, and counted, at ~10× an honest one


def test_nan_attackers_are_refused_and_the_round_closes_on_its_deadline() -> None:
    report = simulate(SimConfig(clients=3, rounds=1, byzantine=1, attack="nan", hidden=None, deadline_s=3.0))
    done = report["rounds"][1]
    assert (done["returned"], done["refused_by_code"], done["reason"]) == (2, {"nan": 1}, "deadline")


def test_cli_simulate_json_and_plot(tmp_path: Path) -> None:
    png = tmp_path / "rounds.png"
    out = CliRunner().invoke(app, ["federate", "simulate", "--clients", "2", "--rounds", "1", "--hidden", "0",
                                   "--json", "--plot", str(png)])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert [r["round"] for r in report["rounds"]] == [0, 1] and png.stat().st_size > 10_000
    bad = CliRunner().invoke(app, ["federate", "simulate", "--clients", "3", "--byzantine", "1",
                                   "--aggregator", "krum"])
    assert bad.exit_code == 2 and "needs 5 updates" in bad.output


def test_simulate_on_a_running_server_shows_on_its_dashboard(tmp_path: Path) -> None:
    from edgeward.server.background import serve_in_thread
    from tests.federated.fedserver import API, TOKEN, fed_settings

    with serve_in_thread(fed_settings(tmp_path)) as url:
        out = CliRunner().invoke(app, ["federate", "simulate", "--clients", "2", "--rounds", "2", "--hidden", "0",
                                       "--server", url, "--token", TOKEN, "--task", "watched", "--json"])
        assert out.exit_code == 0, out.output
        assert [r["package"] for r in json.loads(out.stdout)["rounds"]] == [f"watched@1.{v}.0" for v in range(3)]
        dashboard = httpx.get(f"{url}{API}/tasks/watched/dashboard").json()
        assert [r["returned"] for r in dashboard["rounds"]] == [2, 2] and dashboard["clients"] == 2
        no_token = CliRunner(env={"EDGEWARD_REGISTRY_TOKEN": ""}).invoke(
            app, ["federate", "simulate", "--server", url])
        assert no_token.exit_code == 2 and "needs --token" in no_token.output
