"""The Python participant over real HTTP: a round of two clients on digits shards publishes a better
version; what the client sends is the delta (4 × P bytes) and a small header, never its examples;
refusals come back as their error classes; ``edgeward federate join`` on a CSV."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from edgeward.cli import app
from edgeward.errors import ClientTokenError
from edgeward.federated.client import FederatedClient
from edgeward.federated.local import accuracy, client_data, split_clients, train_local
from edgeward.federated.protocol import TaskSpec
from edgeward.server.background import serve_in_thread
from edgeward.settings import Settings
from edgeward.train.data import digits
from edgeward.train.split import stratified_split
from tests.federated.fedserver import API, create, fed_settings

LABELS = [str(c) for c in range(10)]
DIGITS = {"name": "digits-fl", "head": {"kind": "linear", "dim": 64, "labels": LABELS}, "clients_per_round": 2,
          "min_updates": 2, "local_epochs": 3, "clip_norm": 10.0}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fed_settings(tmp_path)


@pytest.fixture
def live(settings: Settings) -> Iterator[str]:
    with serve_in_thread(settings) as url:
        yield url


class Recorder(httpx.HTTPTransport):
    """Keeps every request the client makes (method, path, headers, body)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return super().handle_request(request)


def test_two_clients_train_a_round_and_send_only_their_deltas(live: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=live) as http:
        spec = TaskSpec.model_validate(create(http, DIGITS)["spec"])
    data = digits()
    _, held_out = stratified_split(data.y, 0.3, 0)
    recorders = [Recorder(), Recorder()]
    clients = []
    for i, recorder in enumerate(recorders):
        x, y, _ = client_data(f"digits:{i + 1}/2", spec.head)
        clients.append(FederatedClient(live, "digits-fl", x, y, store=tmp_path / f"c{i}", seed=i,
                                       transport=recorder))
    try:
        reports = []
        for c in clients:
            c.join()
            assignment = c.checkin()
            assert assignment.selected and assignment.round.package == "digits-fl@1.0.0"
            reports.append(c.take_round(assignment.round))
        assert all(r.receipt is not None and r.norm <= 10.0 for r in reports)
        info = clients[0].round()
        assert (info.round, info.base_version, info.package) == (2, 1, "digits-fl@1.1.0")
        before, after = clients[0].pull("digits-fl@1.0.0"), clients[0].pull("digits-fl@1.1.0")
        x_test, y_test = data.x[held_out], data.y[held_out]
        assert accuracy(after, spec.head, x_test, y_test) > accuracy(before, spec.head, x_test, y_test) + 0.3

        late = clients[1].take_round(assignment.round)  # round 1 is over
        assert late.receipt is None and late.refused == "stale"
        with FederatedClient(live, "digits-fl") as stranger:
            stranger.token = "made-up"
            with pytest.raises(ClientTokenError):
                stranger.checkin()
    finally:
        for c in clients:
            c.close()

    # privacy: the only bodies sent are the join request and updates of exactly 4 × P bytes
    for i, recorder in enumerate(recorders):
        x_own = client_data(f"digits:{i + 1}/2", spec.head)[0]
        updates = [r for r in recorder.requests if r.url.path.endswith("/updates")]
        assert len(updates) == i + 1 and all(len(r.content) == 4 * spec.param_count for r in updates)
        header = json.loads(updates[0].headers["X-Edgeward-Update"])
        assert set(header) == {"task", "round", "client_id", "base_version", "dtype", "shape", "num_examples",
                               "metrics", "payload_sha256"} and len(updates[0].headers["X-Edgeward-Update"]) < 400
        for r in recorder.requests:
            assert r.url.path.endswith("/updates") or len(r.content) < 100, (r.url.path, len(r.content))
            for row in x_own[:50]:  # no example, in any float encoding, in any body
                for dtype in ("<f4", "<f8"):
                    assert row.astype(dtype).tobytes() not in r.content


def test_local_training_starts_from_the_version_and_is_seeded() -> None:
    spec = TaskSpec.model_validate(DIGITS | {"head": DIGITS["head"] | {"mean": [0.5] * 64, "std": [0.25] * 64}})
    x, y, _ = client_data("digits:1/4", spec.head)
    start = np.random.default_rng(0).normal(0, 0.1, spec.param_count).astype(np.float32)
    one, two = train_local(start, spec, x, y, seed=3), train_local(start, spec, x, y, seed=3)
    np.testing.assert_array_equal(one.delta, two.delta)
    np.testing.assert_array_equal(one.delta, one.params - start)
    assert one.metrics.examples == len(y) and one.metrics.accuracy > 0.8
    assert not np.array_equal(train_local(start, spec, x, y, seed=4).delta, one.delta)


def test_splits_partition_the_examples() -> None:
    y = digits().y
    iid = split_clients(y, 5)
    assert sorted(np.concatenate(iid).tolist()) == list(range(len(y)))
    assert max(map(len, iid)) - min(map(len, iid)) <= 1
    skewed = split_clients(y, 5, alpha=0.1, seed=1)
    assert sorted(np.concatenate(skewed).tolist()) == list(range(len(y)))
    top_share = [np.bincount(y[p], minlength=10).max() / len(p) for p in skewed]
    assert np.mean(top_share) > 0.4  # IID would be about 0.1


def test_federate_join_cli_on_a_csv(live: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=live) as http:
        create(http, DIGITS | {"name": "solo", "clients_per_round": 1, "min_updates": 1, "max_rounds": 2})
    data = digits()
    rows = [[*map(float, xs), str(c)] for xs, c in zip(data.x[:300], data.y[:300], strict=True) if c < 5]
    csv = tmp_path / "mine.csv"
    csv.write_text("\n".join([",".join([*(f"p{i}" for i in range(64)), "digit"]),
                              *(",".join(map(str, r)) for r in rows)]))
    out = CliRunner().invoke(app, ["federate", "join", live, "--task", "solo", "--data", str(csv), "--json",
                                   "--poll", "0.05"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert [r["round"] for r in report["rounds"]] == [1, 2]
    assert all(r["result"] == "accepted" for r in report["rounds"])
    bad = CliRunner().invoke(app, ["federate", "join", live, "--task", "solo", "--data", "digits:6/5"])
    assert bad.exit_code == 2 and "1..N" in bad.output
    with httpx.Client(base_url=live) as http:
        current = http.get(f"{API}/tasks/solo/version").json()
        assert (current["package"], current["finished"]) == ("solo@1.2.0", True)
