"""What a federated client does on its own data, with no network: read a version's parameters from its
package, train them with the training core (edgeward.train's backprop, optimisers and mulberry32
shuffles — what web/src/train/ mirrors), and split a data set across simulated clients.

Local training starts from the version's weights and standardises with the task's fixed mean / std
(never the client's own statistics, which would make deltas that do not add up); it draws, from one
``Rng(seed)``, one Fisher–Yates shuffle of the client's examples per epoch, as HeadTrainer does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgeward.errors import FederatedError, OptionError
from edgeward.federated.params import flatten, unflatten
from edgeward.federated.protocol import FederatedHead, LocalMetrics, TaskSpec, param_count
from edgeward.train.backprop import scores, train_batch
from edgeward.train.data import Dataset
from edgeward.train.optim import Adam, Sgd
from edgeward.train.prng import Rng


def read_params(folder: Path, head: FederatedHead) -> np.ndarray:
    """A federated version's parameters (float32 [P]) from its package folder: the head graph's
    W{i} / b{i} initializers (edgeward.train.onnx_graphs' names), after checking the package's head is
    the task's."""
    import onnx
    from onnx import numpy_helper

    from edgeward.package.manifest import MANIFEST_FILE, read_manifest

    manifest = read_manifest(folder / MANIFEST_FILE)
    mh = manifest.head
    if mh is None or mh.kind != head.kind or mh.dim != head.dim or manifest.labels != list(head.labels):
        raise FederatedError(f"{folder}: the package's head ({mh and mh.kind}, dim {mh and mh.dim}, labels "
                             f"{manifest.labels}) is not the task's ({head.kind}, dim {head.dim}, {head.labels})")
    graph = onnx.load(str(folder / manifest.files["fp32"].path))
    inits = {t.name: numpy_helper.to_array(t) for t in graph.graph.initializer}
    n_layers = 2 if head.hidden is not None else 1
    try:
        params = flatten([(inits[f"W{i}"], inits[f"b{i}"]) for i in range(n_layers)])
    except KeyError as e:
        raise FederatedError(f"{folder}: the head graph has no initializer {e}") from None
    if params.shape != (param_count(head),):
        raise FederatedError(f"{folder}: the head graph holds {params.size} parameters; the task's head has "
                             f"{param_count(head)}")
    return params


def standardize(x: np.ndarray, head: FederatedHead) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != head.dim:
        raise FederatedError(f"features of shape {list(x.shape)}; the task's head takes [n, {head.dim}]")
    if head.mean is None or head.std is None:
        return x
    return (x - np.array(head.mean)) / np.array(head.std)


@dataclass(frozen=True)
class LocalResult:
    params: np.ndarray
    """The locally trained parameters, float32 [P]."""
    delta: np.ndarray
    """params − the version's parameters, float32 [P] (not yet clipped)."""
    metrics: LocalMetrics


def train_local(params: np.ndarray, task: TaskSpec, x: np.ndarray, y: np.ndarray, seed: int = 0) -> LocalResult:
    """``task.local_epochs`` epochs of mini-batch training from ``params`` on (x, y), y indexing the task's
    labels; metrics are the trained model's loss and accuracy on the same examples."""
    head = task.head
    y = np.asarray(y, dtype=np.int64)
    if len(y) == 0:
        raise FederatedError("a client needs at least one example to train on")
    if len(y) != len(x) or y.min() < 0 or y.max() >= len(head.labels):
        raise FederatedError(f"labels must be {len(x)} class indices in 0..{len(head.labels) - 1}")
    start = np.asarray(params, dtype=np.float32)
    layers = unflatten(start, head)
    xs = standardize(x, head)
    optimizer = Adam(layers, task.learning_rate) if task.optimizer == "adam" else Sgd(layers, task.learning_rate)
    rng = Rng(seed)
    for _epoch in range(task.local_epochs):
        order = rng.shuffle(len(y))
        for at in range(0, len(y), task.batch_size):
            idx = order[at:at + task.batch_size]
            _loss, _correct, grads = train_batch(layers, xs[idx], y[idx])
            optimizer.step(layers, grads)
    loss, accuracy = scores(layers, xs, y)
    new = flatten(layers)
    return LocalResult(new, new - start, LocalMetrics(loss=loss, accuracy=accuracy, examples=len(y)))


def accuracy(params: np.ndarray, head: FederatedHead, x: np.ndarray, y: np.ndarray) -> float:
    """Held-out accuracy of ``params`` in Python (the simulator measures the published ONNX instead)."""
    return scores(unflatten(params, head), standardize(x, head), np.asarray(y, dtype=np.int64))[1]


# -- data ------------------------------------------------------------------------------------------------

def to_task_labels(data: Dataset, head: FederatedHead) -> np.ndarray:
    """``data.y`` as indices into the task's labels (matched by name); an unknown label is an OptionError."""
    index = {label: i for i, label in enumerate(head.labels)}
    unknown = [label for label in data.labels if label not in index]
    if unknown:
        raise OptionError(f"{data.source}: label(s) {unknown} are not among the task's {list(head.labels)}")
    return np.array([index[data.labels[c]] for c in data.y], dtype=np.int64)


def split_clients(y: np.ndarray, n_clients: int, alpha: float | None = None, seed: int = 0,
                  min_examples: int = 8) -> list[np.ndarray]:
    """Example indices per client (each ascending). ``alpha`` None: IID, a seeded shuffle cut in n equal
    parts. Otherwise non-IID: each class's examples go to the clients in proportions drawn from
    Dirichlet(α, …, α) — small α, few classes per client — redrawn until every client has
    ``min_examples``."""
    y = np.asarray(y, dtype=np.int64)
    if n_clients < 1 or n_clients * min_examples > len(y):
        raise OptionError(f"cannot split {len(y)} examples across {n_clients} clients of >= {min_examples} each")
    rng = np.random.default_rng(seed)
    if alpha is None:
        return [np.sort(part) for part in np.array_split(rng.permutation(len(y)), n_clients)]
    if not alpha > 0:
        raise OptionError(f"--non-iid α must be > 0, got {alpha}")
    for _attempt in range(1000):
        parts: list[list[int]] = [[] for _ in range(n_clients)]
        for c in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == c))
            cuts = (np.cumsum(rng.dirichlet(np.full(n_clients, alpha))) * len(members)).astype(int)[:-1]
            for k, chunk in enumerate(np.split(members, cuts)):
                parts[k] += chunk.tolist()
        if min(len(p) for p in parts) >= min_examples:
            return [np.array(sorted(p), dtype=np.int64) for p in parts]
    raise OptionError(f"Dirichlet α = {alpha} keeps leaving a client with fewer than {min_examples} examples; "
                      f"raise α or use fewer clients")


def client_data(data: str, head: FederatedHead, non_iid: float | None = None,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """(x, y as task label indices, what it is) for ``edgeward federate join --data``: a CSV file
    (numeric columns, the last one the label), or ``digits:I/N`` — shard I (1-based) of N of the digits'
    training split (the stratified 70 % of ``federate simulate``; its held-out 30 % is in no shard),
    IID or Dirichlet non-IID by ``non_iid``."""
    from edgeward.train.data import digits, from_csv
    from edgeward.train.split import stratified_split

    if data.startswith("digits:"):
        try:
            i, n = (int(v) for v in data.removeprefix("digits:").split("/"))
        except ValueError:
            raise OptionError(f"--data {data!r}: a digits shard is digits:I/N, e.g. digits:2/5") from None
        if not 1 <= i <= n:
            raise OptionError(f"--data {data!r}: shard I must be in 1..N")
        source = digits()
        train_idx, _held_out = stratified_split(source.y, 0.3, seed)
        part = train_idx[split_clients(source.y[train_idx], n, non_iid, seed)[i - 1]]
        x, y = source.x[part], to_task_labels(source, head)[part]
        return x, y, f"digits shard {i}/{n} ({len(y)} examples)"
    if non_iid is not None:
        raise OptionError("--non-iid applies to a digits:I/N shard, not to a CSV file")
    table = from_csv(data)
    return table.x, to_task_labels(table, head), f"{data} ({len(table.y)} examples)"
