"""Every federated version is a registry package: ``TASK@1.V.0`` (version 0, the initial head, is
1.0.0; round r publishes 1.r.0, so ``TASK@^1`` is always the newest), task 'features', written by
edgeward.train's own export (the head graph checked by onnxruntime against the Python head) and
published through the registry's own ``publish`` (manifest validated, every file by sha256) — the same
format, verified download and browser cache as every other model. No side files: the round's metrics
and the (ε, δ) spent so far travel in the manifest's training report.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import edgeward
from edgeward.errors import FederatedError
from edgeward.federated.params import unflatten
from edgeward.federated.protocol import RoundMetrics, TaskSpec
from edgeward.federated.storage import put_bytes
from edgeward.registry.service import Registry, RegistryError

CHECK_ROWS = 64  # rows the head graph is checked on: synthetic, the coordinator holds no data


def package_version(version: int) -> str:
    return f"1.{version}.0"


def package_ref(task: str, version: int) -> str:
    return f"{task}@{package_version(version)}"


def _report(task: TaskSpec, version: int, metrics: RoundMetrics | None, source_sha256: str) -> Any:
    from edgeward.package.manifest import TrainingReport

    h = task.head
    options: dict[str, str | int | float | bool | None] = {
        "head": h.kind, "hidden": h.hidden, "federated_task": task.name, "version": version,
        "local_epochs": task.local_epochs, "batch_size": task.batch_size, "learning_rate": task.learning_rate,
        "optimizer": task.optimizer, "aggregator": task.aggregator, "assumed_byzantine": task.assumed_byzantine,
        "clip_norm": task.clip_norm, "noise_multiplier": task.dp_noise_multiplier}
    if metrics is not None:
        options.update(round=metrics.round, clients=metrics.returned, refused=metrics.refused,
                       clipped=metrics.clipped, epsilon=metrics.epsilon, delta=metrics.delta,
                       clients_local_accuracy=metrics.local_accuracy, clients_local_loss=metrics.local_loss)
    data = (f"federated:{task.name} (initial head)" if metrics is None else
            f"federated:{task.name} round {metrics.round} ({metrics.returned} clients' deltas, never their data)")
    examples = 0 if metrics is None else metrics.examples
    return TrainingReport(
        data=data, data_sha256=source_sha256, examples=examples, train=examples, test=0, class_counts=[],
        test_split=0.0, seed=0, options=options, history=[], best_epoch=None, test_accuracy=None,
        per_class_accuracy={}, confusion=[], trainer=f"edgeward {edgeward.__version__} (federated coordinator)")


def source_digest(payload_sha256s: list[str]) -> str:
    """What a version was made from, for the report's data_sha256: the sorted sha256 of the deltas
    (of the initial parameters, for version 0)."""
    return hashlib.sha256("\n".join(sorted(payload_sha256s)).encode()).hexdigest()


def publish_version(registry: Registry, task: TaskSpec, version: int, params: np.ndarray,
                    metrics: RoundMetrics | None, source_sha256: str) -> dict[str, Any]:
    """Export ``params`` as ``task.name@1.version.0`` and publish it; returns the registry's Resolved.
    Idempotent: the same parameters published again (a retry, a restart, another server process)
    find their version there; a different file under that version is a RegistryError (409)."""
    from edgeward.package.manifest import MANIFEST_FILE, read_manifest
    from edgeward.train.export import export_features
    from edgeward.train.head import TrainedHead

    h = task.head
    mean = np.zeros(h.dim) if h.mean is None else np.array(h.mean, dtype=np.float64)
    std = np.ones(h.dim) if h.std is None else np.array(h.std, dtype=np.float64)
    model = TrainedHead(h.kind, list(h.labels), mean, std, unflatten(params, h))
    name, semver = task.name, package_version(version)
    check_x = mean + std * np.random.default_rng(version).standard_normal((CHECK_ROWS, h.dim))
    with tempfile.TemporaryDirectory(prefix="edgeward-federated-") as tmp:
        folder = export_features(model, name, semver, _report(task, version, metrics, source_sha256), check_x,
                                 features=h.features, base=task.base, root=Path(tmp), force=True,
                                 check_what="synthetic rows (the coordinator holds no data)")
        manifest = read_manifest(folder / MANIFEST_FILE)
        for entry in manifest.files.values():
            data = (folder / entry.path).read_bytes()
            registry.record_blob(put_bytes(registry.blobs, data), len(data))
    try:
        return registry.publish(name, semver, manifest.to_json().encode())
    except RegistryError as e:
        if e.status != 409:
            raise FederatedError(f"task '{name}': publishing version {version} as {name}@{semver}: {e}") from None
    existing = registry.version(name, semver)
    ours = manifest.files["fp32"].sha256
    if existing["manifest"]["files"].get("fp32", {}).get("sha256") != ours:
        raise RegistryError(f"task '{name}': {name}@{semver} is already in the registry with other weights; "
                            f"a federated task needs a package name of its own", 409)
    return existing
