"""The control messages: the head's parameter layout, the task's rules, errors that name the field, and
the committed JSON Schema the browser validates with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from edgeward.cli import app
from edgeward.errors import FederatedError
from edgeward.federated.params import flatten, initial_params, unflatten
from edgeward.federated.protocol import (
    FederatedHead,
    TaskSpec,
    UpdateHeader,
    federated_json_schema,
    param_count,
    param_shapes,
    parse,
)
from edgeward.settings import get_settings
from edgeward.train.head import glorot
from edgeward.train.prng import Rng
from tests.federated.helpers import task


def test_param_shapes_are_each_layers_w_then_b() -> None:
    linear = FederatedHead(kind="linear", dim=64, labels=[str(i) for i in range(10)])
    mlp = FederatedHead(kind="mlp", dim=64, hidden=128, labels=[str(i) for i in range(10)])
    assert param_shapes(linear) == [(64, 10), (10,)]
    assert param_count(linear) == 650
    assert param_shapes(mlp) == [(64, 128), (128,), (128, 10), (10,)]
    assert param_count(mlp) == 64 * 128 + 128 + 128 * 10 + 10 == 9610


def test_flatten_is_w_row_major_then_b_and_unflatten_inverts_it() -> None:
    head = FederatedHead(kind="mlp", dim=2, hidden=3, labels=["x", "y"])
    layers = glorot(Rng(7), [2, 3, 2])
    layers = [(w, np.arange(len(b), dtype=np.float64) + 0.5) for w, b in layers]
    v = flatten(layers)
    assert v.dtype == np.float32 and v.shape == (param_count(head),)
    assert v[:6].tolist() == layers[0][0].astype(np.float32).ravel().tolist()  # W1 [2, 3] row-major
    assert v[6:9].tolist() == [0.5, 1.5, 2.5]  # b1
    back = unflatten(v, head)
    for (w, b), (w2, b2) in zip(layers, back, strict=True):
        np.testing.assert_array_equal(w.astype(np.float32), w2)
        np.testing.assert_array_equal(b.astype(np.float32), b2)
    with pytest.raises(FederatedError, match=r"shape \[3\]; this head has \[17\]"):
        unflatten(np.zeros(3), head)


def test_initial_params_are_the_trainers_glorot_draws() -> None:
    head = FederatedHead(kind="linear", dim=4, labels=["a", "b", "c"])
    np.testing.assert_array_equal(initial_params(head, seed=3), flatten(glorot(Rng(3), [4, 3])))


@pytest.mark.parametrize(("rules", "message"), [
    ({"min_updates": 5}, "min_updates \\(5\\) is more than clients_per_round \\(3\\)"),
    ({"aggregator": "krum", "assumed_byzantine": 1}, "krum needs n >= 2f \\+ 3 updates: 2 < 5"),
    ({"aggregator": "median", "assumed_byzantine": 1}, "median needs n >= 2f \\+ 1"),
    ({"aggregator": "trimmed_mean", "assumed_byzantine": 1, "trim_fraction": 0.2}, "drops ⌊βn⌋"),
    ({"aggregator": "median", "dp_noise_multiplier": 1.0}, "needs aggregator 'fedavg' and a clip_norm"),
    ({"dp_noise_multiplier": 1.0, "clip_norm": None}, "needs aggregator 'fedavg' and a clip_norm"),
    ({"max_update_norm": 0.5}, "max_update_norm is below clip_norm"),
    ({"head": {"kind": "mlp", "dim": 3, "labels": ["a", "b"]}}, "an 'mlp' head needs 'hidden'"),
    ({"head": {"kind": "linear", "dim": 3, "labels": ["a", "a"]}}, "labels must be unique"),
    ({"head": {"kind": "linear", "dim": 3, "labels": ["a", "b"], "features": "embedding"}}, "needs 'base'"),
])
def test_a_task_that_cannot_work_is_refused_with_the_reason(rules: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        task(**rules)


def test_a_task_with_enough_updates_for_its_aggregator_is_accepted() -> None:
    t = task(aggregator="krum", assumed_byzantine=1, min_updates=5, clients_per_round=8)
    assert t.norm_cap == 10.0 and t.param_count == 8
    assert task(clip_norm=None).norm_cap is None
    assert task(max_update_norm=3.0).norm_cap == 3.0


def test_parse_names_every_bad_field_and_unknown_ones() -> None:
    with pytest.raises(FederatedError) as err:
        parse(UpdateHeader, {"task": "t", "round": 0, "client_id": "c", "base_version": 0, "shape": [8],
                             "num_examples": 3, "metrics": {"loss": 1, "accuracy": 2, "examples": 1}, "extra": 1},
              "POST /updates")
    text = str(err.value)
    assert text.startswith("POST /updates: invalid UpdateHeader: ")
    assert "field 'round'" in text and "field 'metrics.accuracy'" in text and "unknown field 'extra'" in text


def test_nan_and_inf_are_not_numbers_the_protocol_takes() -> None:
    with pytest.raises(ValidationError, match="loss"):
        UpdateHeader.model_validate_json('{"task": "t", "round": 1, "client_id": "c", "base_version": 0, '
                                         '"shape": [8], "num_examples": 3, '
                                         '"metrics": {"loss": NaN, "accuracy": 0.5, "examples": 1}}')


def test_the_task_round_trips_through_json() -> None:
    t = task(aggregator="trimmed_mean", trim_fraction=0.25, max_examples_per_client=100)
    assert TaskSpec.model_validate_json(t.model_dump_json()) == t


def test_web_schema_is_generated_from_the_python_definition() -> None:
    shipped = json.loads((get_settings().web_root / "src" / "federated" / "protocol.schema.json").read_text())
    assert shipped == federated_json_schema(), \
        "regenerate it: edgeward schema --federated -o web/src/federated/protocol.schema.json"
    assert {"TaskSpec", "RoundInfo", "JoinRequest", "JoinResponse", "UpdateHeader", "RoundMetrics"} <= set(
        shipped["$defs"])
    assert shipped["$defs"]["UpdateHeader"]["additionalProperties"] is False


def test_edgeward_schema_federated_writes_it(tmp_path: Path) -> None:
    out = tmp_path / "protocol.schema.json"
    result = CliRunner().invoke(app, ["schema", "--federated", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == federated_json_schema()


def test_a_fixed_standardisation_must_fit_the_head() -> None:
    head = {"kind": "linear", "dim": 2, "labels": ["a", "b"]}
    FederatedHead.model_validate(head | {"mean": [0.0, 1.0], "std": [1.0, 2.0]})
    for extra, message in [({"mean": [0.0, 1.0]}, "go together"), ({"mean": [0.0], "std": [1.0]}, "has 1 numbers"),
                           ({"mean": [0.0, 1.0], "std": [1.0, 0.0]}, "greater than 0")]:
        with pytest.raises(ValidationError, match=message):
            FederatedHead.model_validate(head | extra)
