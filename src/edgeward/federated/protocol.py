"""The federated control messages: written once here, exported as JSON Schema (``federated_json_schema``,
committed as web/src/federated/protocol.schema.json) so the browser validates them the way it does
manifests. Unknown fields are errors that name the field.

Only control messages are JSON. An update's payload travels apart from its ``UpdateHeader`` as raw
little-endian float32 bytes, P of them, in the order ``param_shapes`` gives: the head's layers, each
W [in, out] row-major then b [out] — the order of ``TrainedHead.layers`` and of the browser trainer.
Never pickle, never JSON numbers.
"""

from __future__ import annotations

import itertools
import math
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.json_schema import models_json_schema

from edgeward.errors import FederatedError
from edgeward.package.manifest import VERSION_PATTERN

NAME = r"^[a-z0-9][a-z0-9._-]*$"
PACKAGE_REF = r"^[a-z0-9][a-z0-9._-]*@" + VERSION_PATTERN[1:]
"""NAME@X.Y.Z[-pre] with the manifest's own version rule: a base a manifest would refuse is refused here,
at the task spec, not as a server error when the version is published."""
SHA256 = r"^[0-9a-f]{64}$"
AGGREGATORS = ("fedavg", "median", "trimmed_mean", "krum", "multi_krum")
ROUND_STATES = ("open", "collecting", "aggregating", "published")

Aggregator = Literal["fedavg", "median", "trimmed_mean", "krum", "multi_krum"]
RoundState = Literal["open", "collecting", "aggregating", "published"]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class FederatedHead(_Strict):
    """The head every client trains: its shape fixes the parameter vector (``param_shapes``)."""

    kind: Literal["linear", "mlp"]
    """'linear': softmax regression; 'mlp': one hidden ReLU layer of ``hidden`` units. (KNN heads keep
    examples, not weights: nothing to average.)"""
    features: Literal["embedding", "pose", "raw"] = "raw"
    """Its input, as in a manifest's head: the base package's embedding, pose features, or raw numbers."""
    dim: Annotated[int, Field(ge=1)]
    """Length of one feature vector."""
    hidden: Annotated[int, Field(ge=1)] | None = None
    """Hidden units (mlp only)."""
    labels: Annotated[list[str], Field(min_length=2)]
    """Class names; the output has one probability per label, in this order."""
    mean: list[Finite] | None = None
    std: list[Annotated[float, Field(gt=0, allow_inf_nan=False)]] | None = None
    """Fixed feature standardisation, (x − mean) / std, that every client applies (from the initial
    package or public data; null: none). Never each client's own statistics: a trainer that standardises
    with its own data's mean and std makes deltas that do not add up."""

    @model_validator(mode="after")
    def _check(self) -> FederatedHead:
        if (self.kind == "mlp") != (self.hidden is not None):
            raise ValueError("an 'mlp' head needs 'hidden'; a 'linear' head has none")
        if len(set(self.labels)) != len(self.labels):
            raise ValueError("labels must be unique")
        if (self.mean is None) != (self.std is None):
            raise ValueError("'mean' and 'std' go together")
        for key in ("mean", "std"):
            value = getattr(self, key)
            if value is not None and len(value) != self.dim:
                raise ValueError(f"'{key}' has {len(value)} numbers; dim is {self.dim}")
        return self


def param_shapes(head: FederatedHead) -> list[tuple[int, ...]]:
    """Shapes of the parameter vector's parts, in payload order: per layer W (in, out) then b (out,)."""
    sizes = [head.dim, *([head.hidden] if head.hidden is not None else []), len(head.labels)]
    shapes: list[tuple[int, ...]] = []
    for n_in, n_out in itertools.pairwise(sizes):
        shapes += [(n_in, n_out), (n_out,)]
    return shapes


def param_count(head: FederatedHead) -> int:
    """P: how many float32 numbers one update carries."""
    return sum(math.prod(s) for s in param_shapes(head))


class TaskSpec(_Strict):
    """A federated task: what is trained and the rules of its rounds.

    A round closes once ``min_updates`` are in and either ``clients_per_round`` are in or its deadline
    has passed; a round past its deadline short of ``min_updates`` stays open until they arrive. With
    ``dp_noise_multiplier`` > 0 the aggregate is central DP-FedAvg (edgeward.federated.privacy), which
    needs 'fedavg' and a ``clip_norm``, and weighs clients equally (counts would change the sensitivity).
    """

    name: Annotated[str, Field(pattern=NAME)]
    base: Annotated[str, Field(pattern=PACKAGE_REF)] | None = None
    """The package whose features the head takes, NAME@X.Y.Z (null: raw features)."""
    head: FederatedHead
    max_rounds: Annotated[int, Field(ge=1)] | None = None
    """Rounds to run (null: until stopped)."""
    clients_per_round: Annotated[int, Field(ge=1)] = 10
    min_updates: Annotated[int, Field(ge=1)] = 2
    deadline_s: Positive = 300.0
    local_epochs: Annotated[int, Field(ge=1)] = 1
    batch_size: Annotated[int, Field(ge=1)] = 32
    learning_rate: Positive = 0.01
    optimizer: Literal["adam", "sgd"] = "adam"
    aggregator: Aggregator = "fedavg"
    assumed_byzantine: Count = 0
    """f: attackers the robust aggregators must withstand; fixes their minimum number of updates."""
    trim_fraction: Annotated[float, Field(ge=0, lt=0.5)] = 0.1
    """β: the trimmed mean drops ⌊βn⌋ values on each side of every coordinate."""
    clip_norm: Positive | None = 10.0
    """Server-side L2 clipping of each delta before aggregation (null: none — only to show why it matters).
    Measured on digits, one local epoch of Adam at 0.01 from the same start: MLP (128) deltas 3.2–3.5,
    linear 0.96–1.02; 10 leaves honest multi-epoch deltas alone. Lower it for DP (noise σ ∝ clip_norm)."""
    max_update_norm: Positive | None = None
    """Hard cap: a delta with a larger L2 norm is refused, not clipped (null: 10 × clip_norm, or no cap
    without clipping). No honest client is that far off; such an update is a bug or an attack."""
    dp_noise_multiplier: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    """z: Gaussian noise of σ = z × clip_norm on the sum of clipped deltas (0: no DP)."""
    dp_delta: Annotated[float, Field(gt=0, lt=1)] = 1e-5
    dp_sample_rate: Annotated[float, Field(gt=0, le=1)] = 1.0
    """q: each client that checks in takes part in a round with this probability (Poisson sampling,
    what the accountant assumes); 1: every client that checks in."""
    max_examples_per_client: Annotated[int, Field(ge=1)] | None = None
    """FedAvg weighs a client by its example count capped at this (null: uncapped)."""
    rate_limit_per_minute: Annotated[int, Field(ge=1)] = 30
    """Requests (check-ins and updates) one client may make in any 60 s."""

    @model_validator(mode="after")
    def _check(self) -> TaskSpec:
        from edgeward.errors import AggregationError
        from edgeward.federated.aggregators import check_preconditions

        if self.min_updates > self.clients_per_round:
            raise ValueError(f"min_updates ({self.min_updates}) is more than clients_per_round "
                             f"({self.clients_per_round})")
        if self.head.features != "raw" and self.base is None:
            raise ValueError(f"a head on '{self.head.features}' features needs 'base', the package they come from")
        try:  # the smallest round that may close must satisfy the aggregator; larger ones then do too
            check_preconditions(self.aggregator, self.min_updates, f=self.assumed_byzantine,
                                trim=self.trim_fraction)
        except AggregationError as err:
            raise ValueError(f"min_updates too small: {err}") from None
        if self.dp_noise_multiplier > 0 and (self.aggregator != "fedavg" or self.clip_norm is None):
            raise ValueError("dp_noise_multiplier > 0 needs aggregator 'fedavg' and a clip_norm: the noise "
                             "is calibrated to a sum of clipped deltas, which a median or Krum is not")
        if self.clip_norm is not None and self.max_update_norm is not None and self.max_update_norm < self.clip_norm:
            raise ValueError("max_update_norm is below clip_norm: honest clipped-size updates would be refused")
        return self

    @property
    def norm_cap(self) -> float | None:
        """The L2 norm above which an update is refused (see ``max_update_norm``)."""
        if self.max_update_norm is not None:
            return self.max_update_norm
        return None if self.clip_norm is None else 10.0 * self.clip_norm

    @property
    def param_count(self) -> int:
        return param_count(self.head)


class RoundInfo(_Strict):
    """The current round as a client sees it. Round r trains from version r − 1 and publishes version r
    (version 0 is the initial head)."""

    task: str
    round: Annotated[int, Field(ge=1)]
    state: RoundState
    base_version: Count
    """The version updates must be trained from."""
    deadline: Finite
    """Unix seconds."""
    updates: Count = 0
    """Updates accepted so far."""
    clients_per_round: Annotated[int, Field(ge=1)]
    min_updates: Annotated[int, Field(ge=1)]
    package: Annotated[str, Field(pattern=PACKAGE_REF)] | None = None
    """NAME@X.Y.Z of ``base_version`` in the registry, filled in by the API layer (the core knows no registry)."""


class JoinRequest(_Strict):
    task: str
    platform: Literal["browser", "python"] | None = None


class JoinResponse(_Strict):
    task: str
    client_id: str
    token: str
    """Sent with every later request (``Authorization: Bearer``); the coordinator keeps only its hash."""


class Assignment(_Strict):
    """The answer to a check-in: the round, and whether this client takes part in it."""

    round: RoundInfo
    selected: bool


class LocalMetrics(_Strict):
    """The client's own evaluation of its local model, on its own data (reported, never verified)."""

    loss: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    accuracy: Annotated[float, Field(ge=0, le=1)]
    examples: Count


class UpdateHeader(_Strict):
    """What travels with an update's payload (raw little-endian float32, ``shape[0]`` × 4 bytes).
    ``dtype`` and ``shape`` are free-form here so that a wrong one is refused with its own code."""

    task: str
    round: Annotated[int, Field(ge=1)]
    client_id: str
    base_version: Count
    dtype: str = "float32"
    shape: list[int]
    num_examples: Annotated[int, Field(ge=1)]
    """Examples the delta was trained on (FedAvg's weight, capped by the task)."""
    metrics: LocalMetrics
    payload_sha256: Annotated[str, Field(pattern=SHA256)] | None = None
    """Optional: when given, the payload must hash to it."""


class UpdateReceipt(_Strict):
    """An accepted update."""

    task: str
    round: Annotated[int, Field(ge=1)]
    client_id: str
    payload_sha256: Annotated[str, Field(pattern=SHA256)]
    norm: Finite
    """The delta's L2 norm as sent (before server-side clipping)."""
    updates: Count
    """Updates accepted in this round so far, this one included."""


class Refusal(_Strict):
    """The body of a 4xx for a refused update: ``code`` is stable (validate.REFUSALS)."""

    code: str
    status: Annotated[int, Field(ge=400, le=499)]
    detail: str


class RoundMetrics(_Strict):
    """What a closed round reports (the dashboard's row; stored with the published version)."""

    task: str
    round: Annotated[int, Field(ge=1)]
    base_version: Count
    version: Count
    aggregator: Aggregator
    reason: Literal["full", "deadline"]
    """'full': clients_per_round updates came in; 'deadline': the deadline passed with min_updates."""
    sampled: Count
    """Clients selected for the round (checked in and sampled, or sent an update with q = 1)."""
    returned: Count
    """Updates accepted and aggregated."""
    refused: Count
    refused_by_code: dict[str, int] = Field(default_factory=dict)
    update_norms: list[Finite]
    """L2 norm of each aggregated delta as sent, before clipping."""
    clipped: Count
    """How many of them clipping shortened."""
    clip_norm: Positive | None
    examples: Count
    """Examples reported by the aggregated updates."""
    local_loss: Finite | None = None
    local_accuracy: Finite | None = None
    """Clients' own metrics, weighted by their example counts."""
    noise_multiplier: Annotated[float, Field(ge=0)] = 0.0
    epsilon: Annotated[float, Field(ge=0)] | None = None
    """(ε, delta)-DP spent by all rounds so far, this one included (null without DP)."""
    delta: Annotated[float, Field(gt=0, lt=1)] | None = None
    opened_at: Finite
    closed_at: Finite


MESSAGES: tuple[type[_Strict], ...] = (TaskSpec, FederatedHead, RoundInfo, JoinRequest, JoinResponse, Assignment,
                                       LocalMetrics, UpdateHeader, UpdateReceipt, Refusal, RoundMetrics)
M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, source: str | None = None) -> M:
    """``data`` as a ``model``, or a FederatedError naming every bad field (an unknown one as such)."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        lines = []
        for e in err.errors():
            field = ".".join(str(p) for p in e["loc"]) or "<root>"
            extra = e["type"] == "extra_forbidden"
            lines.append(f"unknown field '{field}'" if extra else f"field '{field}': {e['msg']}")
        raise FederatedError(f"{source or model.__name__}: invalid {model.__name__}: " + "; ".join(lines)) from None


def federated_json_schema() -> dict[str, Any]:
    """Every message's schema under ``$defs`` (validate one with ``{"$ref": "#/$defs/UpdateHeader"}``)."""
    _, schema = models_json_schema([(m, "validation") for m in MESSAGES], ref_template="#/$defs/{model}")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://edgeward.dev/schema/federated-v1.json",
            "title": "Edgeward federated protocol", **schema}
