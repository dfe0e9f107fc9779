"""``edgeward federate``: take part in a federated task (``join``), or run a whole federation on
loopback (``simulate``: a real coordinator and N Python clients over HTTP on the digits)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import RenderableType

from edgeward.cli.exit_codes import friendly
from edgeward.cli.output import Column, JsonFlag, emit, note, table
from edgeward.errors import OptionError


class AttackKind(StrEnum):
    """What a simulated Byzantine client does to its delta (federated/simulate.py)."""

    scale = "scale"
    signflip = "signflip"
    noise = "noise"
    nan = "nan"


class AggregatorKind(StrEnum):
    fedavg = "fedavg"
    median = "median"
    trimmed_mean = "trimmed_mean"
    krum = "krum"
    multi_krum = "multi_krum"


app = typer.Typer(help="Federated learning: clients train on their own data, the coordinator aggregates.",
                  no_args_is_help=True)

_ROUNDS = [Column("round", right=True), Column("package"), Column("accuracy", "held-out acc", ".2%", True),
           Column("returned", right=True), Column("refused", right=True), Column("clipped", right=True),
           Column("norm_median", "median ‖Δ‖", ".3g", True), Column("local_accuracy", "clients' acc", ".2%", True),
           Column("epsilon", "ε", ".3g", True)]
_MINE = [Column("round", right=True), Column("package"), Column("examples", right=True),
         Column("local_accuracy", "local acc", ".2%", True), Column("norm", "‖Δ‖ sent", ".3g", True),
         Column("result")]


@app.command()
@friendly
def join(
    url: Annotated[str, typer.Argument(help="The coordinator, e.g. http://127.0.0.1:8000")],
    task: Annotated[str, typer.Option("--task", help="The federated task's name")],
    data: Annotated[str, typer.Option("--data", help="This client's own data: a CSV file (numeric columns, the "
                                                     "label last) or digits:I/N (shard I of N of the digits)")],
    rounds: Annotated[int | None, typer.Option(help="Rounds to take part in (default: until the task "
                                                    "finishes)")] = None,
    non_iid: Annotated[float | None, typer.Option("--non-iid", help="digits:I/N: Dirichlet α of the split "
                                                                    "(default IID)")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the local shuffles (and of a digits split)")] = 0,
    poll: Annotated[float, typer.Option(help="Seconds between polls for the next round")] = 1.0,
    as_json: JsonFlag = False,
) -> None:
    """Join a task and train on local data each round; only clipped weight deltas leave this machine."""
    from edgeward.federated.client import FederatedClient, RoundReport
    from edgeward.federated.local import client_data

    with FederatedClient(url, task, seed=seed, poll_s=poll) as client:
        x, y, what = client_data(data, client.spec.head, non_iid, seed)
        client.x, client.y = x, y
        joined = client.join()
        note(f"joined task '{task}' as client {joined.client_id}; training on {what}", as_json)
        rows: list[dict[str, Any]] = []

        def on_round(r: RoundReport) -> None:
            row = {"round": r.round, "package": r.package, "examples": r.metrics.examples,
                   "local_accuracy": r.metrics.accuracy, "local_loss": r.metrics.loss, "norm": r.norm,
                   "result": "accepted" if r.receipt else f"refused ({r.refused}): {r.detail}"}
            rows.append(row)
            note(f"round {r.round}: trained from {r.package}, local accuracy {r.metrics.accuracy:.2%}, "
                 f"sent ‖Δ‖ = {r.norm:.3g}: {row['result']}", as_json)

        client.run(rounds, on_round)
    emit({"task": task, "client_id": joined.client_id, "data": what, "rounds": rows}, as_json,
         lambda: table(rows, _MINE, f"task '{task}', client {joined.client_id}"))


@app.command()
@friendly
def simulate(
    clients: Annotated[int, typer.Option(help="Python clients, each with its own share of the digits")] = 5,
    rounds: Annotated[int, typer.Option(help="Rounds")] = 3,
    non_iid: Annotated[float | None, typer.Option("--non-iid", help="Dirichlet α of the split (small: few "
                                                                    "classes per client; default IID)")] = None,
    byzantine: Annotated[int, typer.Option(help="Clients that tamper with their delta")] = 0,
    attack: Annotated[AttackKind, typer.Option(help="What the Byzantine clients send: λ·Δ, −λ·Δ, noise of λ‖Δ‖, "
                                                    "NaNs")] = AttackKind.scale,
    attack_scale: Annotated[float, typer.Option("--attack-scale", help="λ of the attacks")] = 10.0,
    aggregator: Annotated[AggregatorKind, typer.Option(help="The rule (the robust ones assume f = "
                                                            "--byzantine)")] = AggregatorKind.fedavg,
    dp_noise: Annotated[float, typer.Option("--dp-noise", help="DP noise multiplier z (0: no DP)")] = 0.0,
    clip_norm: Annotated[float, typer.Option("--clip-norm", help="Server-side L2 clipping of each delta "
                                                                 "(0: none)")] = 10.0,
    local_epochs: Annotated[int, typer.Option("--local-epochs", help="Epochs each client trains per round")] = 1,
    hidden: Annotated[int, typer.Option(help="MLP hidden units (0: a linear head)")] = 32,
    seed: Annotated[int, typer.Option(help="Seed of the split, the attackers and the initial head")] = 0,
    plot: Annotated[Path | None, typer.Option(help="Write held-out accuracy per round to this PNG")] = None,
    server: Annotated[str | None, typer.Option(help="Run on this `edgeward serve` (watch it at "
                                                    "SERVER/apps/federated/) instead of a coordinator of its own; "
                                                    "needs --token")] = None,
    token: Annotated[str | None, typer.Option(help="The server's registry token (EDGEWARD_REGISTRY_TOKEN)",
                                              envvar="EDGEWARD_REGISTRY_TOKEN")] = None,
    task: Annotated[str | None, typer.Option(help="The task's name (default: digits-federated, with a random "
                                                  "suffix on --server)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Run a coordinator and N clients on loopback over HTTP; print each published version's held-out accuracy."""
    from edgeward.federated.simulate import SimConfig
    from edgeward.federated.simulate import plot as plot_rounds
    from edgeward.federated.simulate import simulate as run

    config = SimConfig(clients=clients, rounds=rounds, non_iid=non_iid, byzantine=byzantine, attack=attack.value,
                       attack_scale=attack_scale, aggregator=aggregator.value, dp_noise=dp_noise,
                       clip_norm=clip_norm or None, local_epochs=local_epochs, hidden=hidden or None, seed=seed)

    def on_round(row: dict[str, Any]) -> None:
        note(f"round {row['round']}: {row['package']} held-out accuracy {row['accuracy']:.2%}", as_json)

    if server is not None and not token:
        raise OptionError("--server needs --token (or EDGEWARD_REGISTRY_TOKEN): creating a task needs the "
                          "server's registry token")
    if server is not None:
        import secrets

        from edgeward.federated.simulate import TASK

        task = task or f"{TASK}-{secrets.token_hex(3)}"
        note(f"dashboard: {server.rstrip('/')}/apps/federated/?task={task}", as_json)
    report = run(config, on_round, server=(server.rstrip("/"), token or "") if server else None, task=task)
    if plot is not None:
        plot_rounds(report, plot)
        report["plot"] = str(plot)

    def render() -> list[RenderableType]:
        c = report["config"]
        title = (f"{c['clients']} clients ({', '.join(map(str, report['examples']))} examples), "
                 f"{c['aggregator']}, {report['held_out']} held-out digits")
        if c["byzantine"]:
            title += f"; attackers {report['attackers']}: {c['attack']} ×{c['attack_scale']:g}"
        shown: list[RenderableType] = [table(report["rounds"], _ROUNDS, title)]
        if plot is not None:
            shown.append(f"plot: {plot}")
        return shown

    emit(report, as_json, render)
