"""Fixtures of the federated oracle (src/edgeward/federated/) for web/test/federated/*.test.js, registered
with write_fixtures' ``@writer``: heads' parameter vectors and layers (params.flatten / unflatten), local
training on digits shards (local.train_local: delta, parameters, metrics) for the seed rule of
client.py, clipping (privacy.clip), an UpdateHeader as client.py sends it, a version published by the
coordinator's own code (its registry answer and head file, and read_params' vector), and protocol
messages pydantic accepts and refuses. float64 values are exact (repr), float32 vectors round-trip.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edgeward.errors import FederatedError
from edgeward.federated.local import client_data, read_params, train_local
from edgeward.federated.params import flatten, initial_params, unflatten
from edgeward.federated.privacy import clip
from edgeward.federated.protocol import (
    Assignment,
    FederatedHead,
    JoinResponse,
    LocalMetrics,
    Refusal,
    RoundInfo,
    TaskSpec,
    UpdateHeader,
    param_count,
    param_shapes,
    parse,
)
from edgeward.federated.validate import REFUSALS, encode
from edgeward.train import digits
from tests.web.write_fixtures import f32, f64, writer

if TYPE_CHECKING:
    from tests.web.write_fixtures import Context

Fixture = dict[str, Any]
LABELS = [str(c) for c in range(10)]


def _heads() -> list[FederatedHead]:
    """A linear head with the fixed standardisation of the whole digits set (public statistics, std 1
    where a pixel is constant) and an MLP head without one."""
    x = digits().x
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return [FederatedHead(kind="linear", dim=64, labels=LABELS, mean=x.mean(axis=0).tolist(), std=std.tolist()),
            FederatedHead(kind="mlp", dim=64, hidden=16, labels=LABELS)]


def _layers(layers: list[tuple[np.ndarray, np.ndarray]]) -> list[Fixture]:
    return [{"rows": int(w.shape[0]), "cols": int(w.shape[1]), "W": f64(w), "b": f64(b)} for w, b in layers]


# (head index, task rules, client seed, round, shard I/N); the local seed is client.py's rule
TRAIN_CASES: tuple[tuple[int, dict[str, Any], int, int, str], ...] = (
    (0, {"local_epochs": 2, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam", "clip_norm": 1.0},
     0, 1, "1/3"),
    (1, {"local_epochs": 1, "batch_size": 16, "learning_rate": 0.05, "optimizer": "sgd", "clip_norm": 50.0},
     3, 2, "2/3"),
    (1, {"local_epochs": 3, "batch_size": 50, "learning_rate": 0.005, "optimizer": "adam", "clip_norm": None},
     7, 5, "3/5"),
)


def _train_case(heads: list[FederatedHead], case: tuple[int, dict[str, Any], int, int, str]) -> Fixture:
    head_index, rules, client_seed, round_, shard = case
    head = heads[head_index]
    spec = TaskSpec.model_validate({"name": "fixture", "head": head.model_dump(mode="json"), "min_updates": 1,
                                    "clients_per_round": 1, **rules})
    x, y, _ = client_data(f"digits:{shard}", head)
    start = initial_params(head, seed=head_index + 11)
    seed = (client_seed * 7919 + round_) % 2**32
    local = train_local(start, spec, x, y, seed=seed)
    sent = local.delta if spec.clip_norm is None else clip(local.delta, spec.clip_norm).astype(np.float32)
    return {"spec": spec.model_dump(mode="json"), "clientSeed": client_seed, "round": round_, "seed": seed,
            "rows": int(x.shape[0]), "cols": int(x.shape[1]), "x": f64(x), "y": y.tolist(), "start": f32(start),
            "params": f32(local.params), "delta": f32(local.delta), "sent": f32(sent),
            "norm": float(np.linalg.norm(local.delta.astype(np.float64))),
            "metrics": local.metrics.model_dump()}


def _clip_cases() -> list[Fixture]:
    rng = np.random.default_rng(5)
    out = []
    for size, scale, norm in ((650, 0.1, 1.0), (650, 0.01, 1.0), (8, 3.0, 0.5), (1, -4.0, 2.0)):
        delta = (rng.standard_normal(size) * scale).astype(np.float32)
        out.append({"delta": f32(delta), "norm": norm, "clipped": f32(clip(delta, norm).astype(np.float32)),
                    "length": float(np.linalg.norm(delta.astype(np.float64)))})
    return out


def _header(train: Fixture) -> Fixture:
    delta = np.asarray(train["sent"], dtype=np.float32)
    payload = encode(delta)
    metrics = LocalMetrics.model_validate(train["metrics"])
    header = UpdateHeader(task="fixture", round=train["round"], client_id="c0ffee", base_version=train["round"] - 1,
                          dtype="float32", shape=[int(delta.size)], num_examples=metrics.examples, metrics=metrics,
                          payload_sha256=hashlib.sha256(payload).hexdigest())
    return {"train": 0, "clientId": "c0ffee", "payloadB64": base64.b64encode(payload).decode(),
            "payloadSha256": hashlib.sha256(payload).hexdigest(), "json": header.model_dump_json()}


def _published(head: FederatedHead) -> Fixture:
    """A version as the coordinator publishes it (publish_version into a throw-away registry) and as the
    registry answers ``resolve``; ``params``: what read_params takes out of its head file."""
    from edgeward.federated.publish import publish_version
    from edgeward.registry.service import Registry
    from edgeward.settings import get_settings

    spec = TaskSpec(name="fixture-fl", head=head, min_updates=1, clients_per_round=1)
    params = initial_params(head, seed=3)
    with tempfile.TemporaryDirectory(prefix="edgeward-fixture-") as tmp:
        registry = Registry(replace(get_settings(), home=Path(tmp), database_url=None, blob_dir=None))
        resolved = publish_version(registry, spec, 2, params, None, hashlib.sha256(b"fixture").hexdigest())
        files = {e["path"]: base64.b64encode(registry.blobs.path(e["sha256"]).read_bytes()).decode()
                 for e in resolved["manifest"]["files"].values()}
        folder = Path(tmp) / "pkg"
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps(resolved["manifest"]))
        for path, b64 in files.items():
            (folder / path).write_bytes(base64.b64decode(b64))
        read = read_params(folder, head)
    assert np.array_equal(read, params)
    return {"spec": spec.model_dump(mode="json"), "ref": f"{resolved['name']}@{resolved['version']}",
            "resolved": resolved, "files": files, "params": f32(read)}


_MODELS: dict[str, Any] = {"RoundInfo": RoundInfo, "TaskSpec": TaskSpec, "UpdateHeader": UpdateHeader,
                           "Assignment": Assignment, "JoinResponse": JoinResponse, "Refusal": Refusal}


def _messages(heads: list[FederatedHead]) -> Fixture:
    """Messages pydantic accepts (with what it fills in) and refuses (with the field its error names)."""
    info = {"task": "t", "round": 2, "state": "open", "base_version": 1, "deadline": 1.5e9, "clients_per_round": 3,
            "min_updates": 2}
    valid = {"RoundInfo": info, "TaskSpec": {"name": "t", "head": heads[1].model_dump(mode="json")},
             "Assignment": {"round": info, "selected": True},
             "JoinResponse": {"task": "t", "client_id": "abc", "token": "tok"},
             "Refusal": {"code": "stale", "status": 409, "detail": "old"}}
    parsed = {name: parse(_MODELS[name], data).model_dump(mode="json") for name, data in valid.items()}
    invalid = [("RoundInfo", info | {"extra": 1}, "extra"), ("RoundInfo", info | {"state": "done"}, "state"),
               ("RoundInfo", {k: v for k, v in info.items() if k != "round"}, "round"),
               ("Assignment", {"round": info | {"round": 0}, "selected": True}, "round.round"),
               ("UpdateHeader", {"task": "t", "round": 1, "client_id": "c", "base_version": 0, "shape": [3],
                                 "num_examples": 1, "metrics": {"loss": 0.1, "accuracy": 2.0, "examples": 1}},
                "metrics.accuracy"),
               ("JoinResponse", {"task": "t", "client_id": "abc"}, "token")]
    for name, data, _field in invalid:
        try:
            parse(_MODELS[name], data)
        except FederatedError:
            continue
        raise AssertionError(f"pydantic accepted an invalid {name}")
    return {"valid": valid, "parsed": parsed,
            "invalid": [{"model": n, "data": d, "field": f} for n, d, f in invalid]}


@writer("federated")
def _federated(ctx: Context) -> Fixture:
    heads = _heads()
    head_fixtures = []
    for i, head in enumerate(heads):
        params = initial_params(head, seed=i)
        layers = unflatten(params, head)
        assert np.array_equal(flatten(layers), params)
        head_fixtures.append({"head": head.model_dump(mode="json"), "shapes": [list(s) for s in param_shapes(head)],
                              "count": param_count(head), "params": f32(params), "layers": _layers(layers)})
    train = [_train_case(heads, case) for case in TRAIN_CASES]
    return {"heads": head_fixtures, "train": train, "clip": _clip_cases(), "header": _header(train[0]),
            "published": _published(heads[1]), "messages": _messages(heads),
            "refusals": {code: cls.__name__ for code, cls in REFUSALS.items()}}
