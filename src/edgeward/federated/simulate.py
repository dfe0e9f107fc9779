"""``edgeward federate simulate``: a real coordinator (``edgeward serve``'s app in a thread on loopback,
a temporary EDGEWARD_HOME with its own SQLite and blob store) and N Python clients speaking HTTP to it,
on scikit-learn's digits split across the clients (IID, or Dirichlet non-IID by α). A stratified 30 %
of the digits is held out by the simulator and never uploaded: after every round it pulls the published
version from the registry like any client (verified), runs its ONNX with onnxruntime on those rows, and
reports the accuracy.

Byzantine clients (``byzantine`` of them, chosen by the seed) train honestly, then tamper with the delta
before sending it, unclipped; with λ = ``attack_scale``: 'scale' sends λ·Δ, 'signflip' −λ·Δ, 'noise'
Gaussian noise of λ times Δ's norm, 'nan' Δ with NaNs (refused by validation: it never counts).
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from edgeward.errors import FederatedError, OptionError
from edgeward.federated.aggregators import min_updates
from edgeward.federated.client import Attack, FederatedClient
from edgeward.federated.local import split_clients
from edgeward.federated.protocol import AGGREGATORS, TaskSpec

ATTACKS = ("scale", "signflip", "noise", "nan")
TASK = "digits-federated"


@dataclass(frozen=True)
class SimConfig:
    clients: int = 5
    rounds: int = 3
    non_iid: float | None = None
    """Dirichlet α of the split (None: IID)."""
    byzantine: int = 0
    attack: str = "scale"
    attack_scale: float = 10.0
    aggregator: str = "fedavg"
    dp_noise: float = 0.0
    clip_norm: float | None = 10.0
    local_epochs: int = 1
    hidden: int | None = 32
    """MLP hidden units (None: a linear head)."""
    learning_rate: float = 0.01
    batch_size: int = 32
    seed: int = 0
    test_split: float = 0.3
    deadline_s: float | None = None
    """Round deadline (None: 10 s + 1 s per client). Rounds close as soon as all clients are in; only
    refused updates (the 'nan' attack) make a round wait for its deadline."""

    def check(self) -> None:
        if self.clients < 1 or self.rounds < 1:
            raise OptionError("--clients and --rounds must be >= 1")
        if not 0 <= self.byzantine < self.clients:
            raise OptionError(f"--byzantine must be in [0, {self.clients - 1}] (fewer than --clients)")
        if self.attack not in ATTACKS:
            raise OptionError(f"--attack must be one of {', '.join(ATTACKS)}, got {self.attack!r}")
        if self.aggregator not in AGGREGATORS:
            raise OptionError(f"--aggregator must be one of {', '.join(AGGREGATORS)}, got {self.aggregator!r}")


def make_attack(kind: str, scale: float, rng: np.random.Generator) -> Attack:
    def tamper(delta: np.ndarray) -> np.ndarray:
        d = np.asarray(delta, dtype=np.float64)
        if kind == "scale":
            return scale * d
        if kind == "signflip":
            return -scale * d
        if kind == "noise":
            return rng.normal(0.0, scale * float(np.linalg.norm(d)) / np.sqrt(d.size), d.size)
        bad = d.copy()
        bad[::7] = np.nan
        return bad

    return tamper


def task_spec(config: SimConfig, labels: list[str], dim: int, name: str = TASK) -> TaskSpec:
    """The simulation's task: every client every round; the robust rules assume f = ``byzantine``."""
    kind = config.aggregator
    f = config.byzantine if kind != "fedavg" else 0
    trim = max(0.1, (f + 1e-6) / config.clients) if kind == "trimmed_mean" else 0.1
    need = min_updates(kind, f=f, trim=trim) if f else 1
    if need > config.clients:
        raise OptionError(f"--aggregator {kind} with {f} assumed attackers needs {need} updates per round; "
                          f"there are {config.clients} clients")
    head = {"kind": "mlp" if config.hidden else "linear", "dim": dim, "hidden": config.hidden, "labels": labels}
    deadline = config.deadline_s or 10.0 + config.clients
    return TaskSpec.model_validate({
        "name": name, "head": head, "max_rounds": config.rounds, "clients_per_round": config.clients,
        "min_updates": max(need, min(2, config.clients)), "deadline_s": deadline,
        "local_epochs": config.local_epochs, "batch_size": config.batch_size,
        "learning_rate": config.learning_rate, "aggregator": kind, "assumed_byzantine": f, "trim_fraction": trim,
        "clip_norm": config.clip_norm, "dp_noise_multiplier": config.dp_noise,
        "rate_limit_per_minute": 1000})


class _Evaluator:
    """Pulls published versions from the registry (verified) and scores them on the held-out rows."""

    def __init__(self, url: str, root: Path, x: np.ndarray, y: np.ndarray) -> None:
        from edgeward.registry.client import RegistryClient

        self.registry, self.root, self.x, self.y = RegistryClient(url), root, x.astype(np.float32), y

    def accuracy(self, package: str) -> float:
        import edgeward
        from edgeward.registry.client import fetch_package

        folder = fetch_package(self.registry, self.registry.resolve(package), root=self.root)
        handle = edgeward.load(str(folder))  # the manifest and every file verified again, like any model
        head = handle.manifest.head
        assert head is not None
        probs = handle.run({head.input: self.x})[head.output]
        return float(np.mean(np.argmax(probs, axis=1) == self.y))


def _wait_version(http: httpx.Client, task: str, version: int, timeout_s: float) -> dict[str, Any]:
    """Poll until ``version`` is published (each poll also lets a round past its deadline close)."""
    deadline = time.monotonic() + timeout_s
    while True:
        current: dict[str, Any] = http.get(f"/api/v1/federated/tasks/{task}/version").json()
        if current["version"] >= version:
            return current
        if time.monotonic() > deadline:
            raise FederatedError(f"round {version} was not published within {timeout_s:g} s")
        time.sleep(0.1)


@contextmanager
def _coordinator(tmp: Path, server: tuple[str, str] | None) -> Iterator[tuple[str, str]]:
    """(url, registry token): ``server`` as given, or a fresh coordinator in a thread on a temporary home."""
    if server is not None:
        yield server
        return
    from edgeward.server.background import serve_in_thread
    from edgeward.settings import get_settings

    token = secrets.token_urlsafe(16)
    settings = replace(get_settings(), home=tmp / "server", registry_token=token, registry_url=None,
                       database_url=None, blob_dir=None)
    with serve_in_thread(settings) as url:
        yield url, token


def simulate(config: SimConfig, on_round: Callable[[dict[str, Any]], object] | None = None,
             server: tuple[str, str] | None = None, task: str | None = None) -> dict[str, Any]:
    """Run the simulation; returns {config, task, rounds: [per version: accuracy, returned, refused, …]}.
    ``server``: (url, registry token) of a running `edgeward serve` to run on (its dashboard then shows the
    rounds live) instead of a coordinator of its own; ``task``: the task's name (default: TASK on a
    coordinator of its own, TASK-<random> on a shared server)."""
    from edgeward.train.data import digits
    from edgeward.train.split import stratified_split

    config.check()
    name = task or (TASK if server is None else f"{TASK}-{secrets.token_hex(3)}")
    started = time.monotonic()
    data = digits()
    train_idx, test_idx = stratified_split(data.y, config.test_split, config.seed)
    parts = [train_idx[p] for p in split_clients(data.y[train_idx], config.clients, config.non_iid, config.seed)]
    spec = task_spec(config, data.labels, data.x.shape[1], name)
    rng = np.random.default_rng(config.seed)
    attackers = set(rng.choice(config.clients, config.byzantine, replace=False).tolist())
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="edgeward-simulate-") as tmp, \
            _coordinator(Path(tmp), server) as (url, token), httpx.Client(base_url=url, timeout=120) as http:
        r = http.post("/api/v1/federated/tasks", json=spec.model_dump(mode="json"),
                      params={"seed": config.seed}, headers={"Authorization": f"Bearer {token}"})
        if r.status_code != 201:
            raise FederatedError(f"creating the task: {r.status_code}: {r.text}")
        evaluator = _Evaluator(url, Path(tmp) / "evaluator", data.x[test_idx], data.y[test_idx])
        clients = [FederatedClient(url, name, data.x[idx], data.y[idx], store=Path(tmp) / "clients" / str(i),
                                   seed=config.seed + i, poll_s=0.05,
                                   attack=make_attack(config.attack, config.attack_scale, rng)
                                   if i in attackers else None) for i, idx in enumerate(parts)]
        try:
            for c in clients:
                c.join()
            first = {"round": 0, "version": 0, "package": f"{name}@1.0.0",
                     "accuracy": evaluator.accuracy(f"{name}@1.0.0")}
            rows.append(first)
            if on_round:
                on_round(first)
            for number in range(1, config.rounds + 1):
                for c in clients:
                    assignment = c.checkin()
                    if assignment.selected and assignment.round.round == number:
                        c.take_round(assignment.round)
                current = _wait_version(http, name, number, spec.deadline_s + 120)
                metrics = http.get(f"/api/v1/federated/tasks/{name}/dashboard").json()["rounds"][number - 1]
                norms = metrics["update_norms"]
                row = {"round": number, "version": current["version"], "package": metrics["package"],
                       "accuracy": evaluator.accuracy(metrics["package"]), "returned": metrics["returned"],
                       "refused": metrics["refused"], "refused_by_code": metrics["refused_by_code"],
                       "clipped": metrics["clipped"], "norm_median": statistics.median(norms) if norms else None,
                       "norm_max": max(norms) if norms else None, "local_accuracy": metrics["local_accuracy"],
                       "epsilon": metrics["epsilon"], "reason": metrics["reason"]}
                rows.append(row)
                if on_round:
                    on_round(row)
        finally:
            for c in clients:
                c.close()
    return {"config": asdict(config), "task": spec.model_dump(mode="json"), "attackers": sorted(attackers),
            "examples": [len(p) for p in parts], "held_out": len(test_idx), "rounds": rows,
            "final_accuracy": rows[-1]["accuracy"], "seconds": round(time.monotonic() - started, 2)}


def plot(report: dict[str, Any], path: Path) -> Path:
    """Held-out accuracy of every published version (and the clients' own accuracy) against the round."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["rounds"]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot([r["round"] for r in rows], [r["accuracy"] for r in rows], "o-", label="held-out accuracy")
    local = [(r["round"], r["local_accuracy"]) for r in rows if r.get("local_accuracy") is not None]
    if local:
        ax.plot(*zip(*local, strict=True), "s--", label="clients' own accuracy", alpha=0.7)
    c = report["config"]
    attack = f", {c['byzantine']} × {c['attack']}" if c["byzantine"] else ""
    ax.set_title(f"{c['clients']} clients, {c['aggregator']}{attack}", fontsize=10)
    ax.set_xticks([r["round"] for r in rows])
    ax.set_xlabel("round (version)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
