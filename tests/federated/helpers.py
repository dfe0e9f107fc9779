"""Small tasks and updates shared by the federated tests: a linear head on 3 features, 2 classes (P = 8)."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from edgeward.federated.coordinator import Coordinator, Update
from edgeward.federated.protocol import TaskSpec, UpdateHeader
from edgeward.federated.validate import encode

P = 8


def task(**rules: Any) -> TaskSpec:
    base: dict[str, Any] = {"name": "tiny", "head": {"kind": "linear", "dim": 3, "labels": ["a", "b"]},
                            "clients_per_round": 3, "min_updates": 2, "deadline_s": 100.0, "clip_norm": 1.0}
    return TaskSpec.model_validate(base | rules)


def header(delta: np.ndarray | None = None, *, client_id: str = "c1", round: int = 1, base_version: int = 0,
           num_examples: int = 10, **fields: Any) -> UpdateHeader:
    data: dict[str, Any] = {"task": "tiny", "round": round, "client_id": client_id, "base_version": base_version,
                            "dtype": "float32", "shape": [P], "num_examples": num_examples,
                            "metrics": {"loss": 0.5, "accuracy": 0.75, "examples": 4}}
    if delta is not None:
        data["payload_sha256"] = hashlib.sha256(encode(delta)).hexdigest()
    return UpdateHeader.model_validate(data | fields)


def send(c: Coordinator, client: tuple[str, str], delta: np.ndarray, now: float, **fields: Any) -> Any:
    """Post ``delta`` from ``client`` (id, token), for the current round unless ``fields`` say otherwise."""
    info = c.round_info()
    fields = {"round": info.round, "base_version": info.base_version} | fields
    h = header(delta, client_id=client[0], **fields)
    return c.accept(Update(header=h, payload=encode(delta), token=client[1]), now)
