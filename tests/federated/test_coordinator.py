"""The coordinator's rounds as a pure state machine: time is passed in, nothing touches disk or network."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from edgeward.errors import FederatedError, IntegrityError, UpdateRefusedError
from edgeward.federated import privacy
from edgeward.federated.coordinator import Coordinator, Update
from edgeward.federated.validate import encode
from tests.federated.helpers import P, header, send, task

INITIAL = np.linspace(-1.0, 1.0, P).astype(np.float32)
SMALL = np.full(P, 0.125, dtype=np.float32)  # norm 0.354: under clip_norm 1
LONG = np.full(P, 1.0, dtype=np.float32)  # norm 2.83: clipped to 1
OTHER = np.linspace(0.0, 0.25, P).astype(np.float32)


def refused(fn: Callable[..., object], *args: object, **kwargs: object) -> UpdateRefusedError:
    with pytest.raises(UpdateRefusedError) as err:
        fn(*args, **kwargs)
    return err.value


def started(**rules: object) -> tuple[Coordinator, list[tuple[str, str]]]:
    c = Coordinator(task(**rules), INITIAL, now=0.0, secret="s3cret")
    return c, [c.join(0.0) for _ in range(4)]


def test_a_round_goes_open_collecting_aggregating_published() -> None:
    c, (a, b, d, _) = started()
    assert c.round_info().model_dump(include={"round", "state", "base_version", "deadline"}) == {
        "round": 1, "state": "open", "base_version": 0, "deadline": 100.0}
    receipt = send(c, a, SMALL, 1.0, num_examples=10)
    assert receipt.updates == 1 and receipt.norm == pytest.approx(np.sqrt(P) / 8)
    assert c.round_info().state == "collecting"
    send(c, b, LONG, 2.0, num_examples=30, metrics={"loss": 1.0, "accuracy": 0.5, "examples": 12})
    assert c.ready(50.0) is None and c.ready(100.0) == "deadline"
    send(c, d, OTHER, 3.0, num_examples=20)
    assert c.ready(3.0) == "full"

    result = c.close_round(4.0)
    clipped = [SMALL, LONG / np.linalg.norm(LONG.astype(np.float64)), OTHER]
    expected = INITIAL.astype(np.float64) + (10 * clipped[0] + 30 * clipped[1] + 20 * clipped[2]) / 60
    np.testing.assert_allclose(result.params, expected.astype(np.float32), rtol=1e-6)  # exact: test_aggregators
    m = result.metrics
    assert (m.round, m.version, m.base_version, m.reason, m.aggregator) == (1, 1, 0, "full", "fedavg")
    assert (m.sampled, m.returned, m.refused, m.clipped, m.examples) == (3, 3, 0, 1, 60)
    assert m.update_norms == pytest.approx([np.sqrt(P) / 8, np.sqrt(P), np.linalg.norm(OTHER)])
    assert m.local_loss == pytest.approx((0.5 * 4 + 1.0 * 12 + 0.5 * 4) / 20)
    assert m.epsilon is None and (m.opened_at, m.closed_at) == (0.0, 4.0)
    assert c.round_info().state == "aggregating"
    assert refused(send, c, a, SMALL, 5.0).code == "closed"  # round 1 takes nothing more…
    assert c.close_round(6.0) is result  # …and closing again gives the same result

    info = c.mark_published(7.0)
    assert (info.round, info.state, info.base_version, info.deadline, info.updates) == (2, "open", 1, 107.0, 0)
    np.testing.assert_array_equal(c.params, result.params)
    assert c.version == 1 and c.history == [m]
    send(c, a, SMALL, 8.0)  # round 2 takes a's update


def test_each_refusal_has_its_code_and_is_counted() -> None:
    c, (a, b, d, e) = started(rate_limit_per_minute=3)
    assert refused(c.accept, Update(header(SMALL, client_id=a[0]), encode(SMALL), "nope"), 1.0).code == "token"
    assert refused(c.accept, Update(header(SMALL, client_id="ghost"), encode(SMALL), a[1]), 1.0).code == "token"
    send(c, a, SMALL, 1.0)
    assert refused(send, c, a, OTHER, 2.0).code == "duplicate"
    assert refused(send, c, a, OTHER, 2.5).code == "duplicate"
    assert refused(send, c, a, OTHER, 3.0).code == "rate"  # a's 4th request in 60 s (a bad token is not a's)
    assert refused(send, c, b, SMALL, 3.0, round=2).code == "stale"
    assert refused(send, c, b, np.full(P, 5.0, dtype=np.float32), 3.0).code == "norm"
    assert refused(send, c, b, SMALL, 3.0, num_examples=1, dtype="float16").code == "dtype"
    send(c, d, SMALL, 4.0)
    send(c, e, SMALL, 4.0)
    err = refused(send, c, c.join(5.0), SMALL, 5.0)  # three are in: the round is full until it closes
    assert (err.code, err.http_status) == ("full", 409)
    m = c.close_round(5.0).metrics
    assert m.refused_by_code == {"token": 2, "duplicate": 2, "rate": 1, "stale": 1, "norm": 1, "dtype": 1, "full": 1}
    assert (m.refused, m.returned) == (9, 3)


def test_the_rate_window_slides() -> None:
    c, (a, *_) = started(rate_limit_per_minute=2)
    c.checkin(*a, 0.0)
    c.checkin(*a, 30.0)
    assert refused(c.checkin, *a, 59.0).code == "rate"
    c.checkin(*a, 60.5)  # the request at 0.0 has left the window


def test_past_its_deadline_a_round_waits_for_min_updates() -> None:
    c, (a, b, *_) = started()
    send(c, a, SMALL, 1.0)
    assert c.ready(500.0) is None
    with pytest.raises(FederatedError, match="1 of min 2 updates"):
        c.close_round(500.0)
    send(c, b, SMALL, 501.0)
    assert c.close_round(502.0).metrics.reason == "deadline"
    with pytest.raises(FederatedError, match="nothing to publish"):
        Coordinator(task(), INITIAL, now=0.0).mark_published(1.0)


def test_the_tasks_aggregator_and_attacker_count_are_used() -> None:
    c, clients = started(aggregator="median", assumed_byzantine=1, min_updates=3, clip_norm=None)
    deltas = [SMALL, OTHER, np.full(P, 9.0, dtype=np.float32)]  # the last one is an attacker (norm 25 ≤ no cap)
    for client, delta in zip(clients, deltas, strict=False):
        send(c, client, delta, 1.0)
    result = c.close_round(2.0)
    expected = INITIAL.astype(np.float64) + np.median(np.stack(deltas).astype(np.float64), axis=0)
    np.testing.assert_array_equal(result.params, expected.astype(np.float32))
    assert result.metrics.clipped == 0 and result.metrics.clip_norm is None


def test_a_dp_round_adds_the_stated_noise_and_reports_epsilon() -> None:
    c, (a, b, d, _) = started(dp_noise_multiplier=1.0, dp_delta=1e-6)
    for client, delta in zip((a, b, d), (SMALL, LONG, OTHER), strict=True):
        send(c, client, delta, 1.0, num_examples=1000)  # counts do not weigh under DP
    result = c.close_round(2.0, rng=np.random.default_rng(5))
    clipped = np.stack([SMALL, LONG / np.linalg.norm(LONG.astype(np.float64)), OTHER]).astype(np.float64)
    noise = np.random.default_rng(5).normal(0.0, 1.0 * 1.0, P)
    expected = INITIAL.astype(np.float64) + (clipped.sum(axis=0) + noise) / 3
    np.testing.assert_array_equal(result.params, expected.astype(np.float32))
    assert result.metrics.epsilon == privacy.epsilon(1.0, 1.0, 1, 1e-6) and result.metrics.delta == 1e-6
    assert c.epsilon == 0.0  # nothing published yet
    c.mark_published(3.0)
    assert c.epsilon == result.metrics.epsilon
    for client in (a, b):
        send(c, client, SMALL, 4.0)
    assert c.close_round(200.0).metrics.epsilon == pytest.approx(privacy.epsilon(1.0, 1.0, 2, 1e-6))


def test_with_a_sample_rate_only_sampled_clients_take_part() -> None:
    c = Coordinator(task(dp_sample_rate=0.5, clients_per_round=100, min_updates=2), INITIAL, now=0.0,
                    secret="k")
    clients = [c.join(0.0) for _ in range(200)]
    picks = [c.checkin(*k, 1.0).selected for k in clients]
    assert 70 < sum(picks) < 130  # Binomial(200, 0.5): ± 4 σ
    assert [c.checkin(*k, 2.0).selected for k in clients[:20]] == picks[:20]  # one draw per (round, client)
    out = clients[picks.index(False)]
    assert refused(send, c, out, SMALL, 3.0).code == "not_sampled"
    assert refused(send, c, c.join(3.0), SMALL, 3.0).code == "not_sampled"  # never checked in
    send(c, clients[picks.index(True)], SMALL, 3.0)
    assert c.round_info().updates == 1


def test_the_state_survives_a_restart_mid_round_and_mid_aggregation() -> None:
    def run(restart_at: str | None) -> np.ndarray:
        c, (a, b, d, _) = started()
        steps = [lambda: send(c, a, SMALL, 1.0), lambda: refused(send, c, a, SMALL, 1.5),
                 lambda: send(c, b, LONG, 2.0), lambda: c.close_round(200.0)]
        for i, step in enumerate(steps):
            step()
            if restart_at == f"after{i}":
                state = json.loads(json.dumps(c.to_state()))  # what SQL stores: plain JSON + blobs
                assert not {a[1], b[1]} & set(json.dumps(state).split('"'))  # tokens are stored hashed
                c = Coordinator.from_state(state, c.arrays())
        result = c.close_round(201.0)  # after a restart in 'aggregating' this is the pending result
        assert result.metrics.refused_by_code == {"duplicate": 1}
        c.mark_published(202.0)
        send(c, d, OTHER, 203.0)  # d's token still works after the restart
        return c.params

    clean = run(None)
    for at in ("after0", "after1", "after2", "after3"):
        np.testing.assert_array_equal(run(at), clean)


def test_a_damaged_or_missing_array_is_refused() -> None:
    c, (a, *_) = started()
    send(c, a, SMALL, 1.0)
    state, arrays = c.to_state(), c.arrays()
    assert len(arrays) == 2  # the parameters and a's payload
    digest = state["round"]["updates"][0]["payload_sha256"]
    with pytest.raises(IntegrityError, match=r"client .*'s update hashes to"):
        Coordinator.from_state(state, arrays | {digest: encode(OTHER)})
    with pytest.raises(FederatedError, match="are missing"):
        Coordinator.from_state(state, {k: v for k, v in arrays.items() if k != digest})
    with pytest.raises(FederatedError, match="state_version"):
        Coordinator.from_state(state | {"state_version": 99}, arrays)


def test_after_max_rounds_the_task_is_finished() -> None:
    c, (a, b, d, _) = started(max_rounds=1)
    send(c, a, SMALL, 1.0)
    send(c, b, SMALL, 1.0)
    c.close_round(101.0)
    info = c.mark_published(102.0)
    assert c.finished and (info.round, info.state) == (1, "published")
    assert refused(send, c, d, SMALL, 103.0).code == "closed"
    assert c.checkin(*d, 104.0).selected is False


def test_initial_parameters_must_fit_the_head() -> None:
    with pytest.raises(FederatedError, match=r"shape \[7\], its head has \[8\]"):
        Coordinator(task(), np.zeros(7), now=0.0)
    with pytest.raises(FederatedError, match="NaN or Inf"):
        Coordinator(task(), np.full(P, np.nan), now=0.0)
