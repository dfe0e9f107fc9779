"""Manifests of trained packages (``edgeward train``) for the manifest fixture, made from a zoo manifest.

The zoo has no trained package, so the schema walk (tests/web/manifest_cases.py) would never reach the
fields only they fill in (``head``, ``training``, ``files.head``, ``base``). These two have the shapes
``edgeward.train.export`` writes: an MLP head on EfficientNet-Lite0's embedding as a ``classify``
package (end-to-end graph + the head alone), and a KNN head on raw digit pixels as a ``features``
package. Each is checked by pydantic when made.
"""

from __future__ import annotations

import copy
from typing import Any

from edgeward.package.manifest import parse_manifest

_SHA = "ab" * 32


def _training(labels: list[str], history: bool) -> dict[str, Any]:
    n = len(labels)
    records = [{"epoch": e, "train_loss": 1.0 / e, "train_accuracy": 0.5 + e / 10, "test_loss": 1.2 / e,
                "test_accuracy": 0.4 + e / 10} for e in (1, 2)] if history else []
    return {"data": "sample", "data_sha256": _SHA, "examples": 10 * n, "train": 7 * n, "test": 3 * n,
            "class_counts": [10] * n, "test_split": 0.3, "seed": 0,
            "options": {"head": "mlp", "epochs": 2, "learning_rate": 0.01, "patience": None, "shuffle": True},
            "history": records, "best_epoch": 2 if history else None, "test_accuracy": 0.5,
            "per_class_accuracy": {label: (0.5 if i else None) for i, label in enumerate(labels)},
            "confusion": [[3 if i == j else 0 for j in range(n)] for i in range(n)],
            "trainer": "edgeward 0.1.0 (python)"}


def samples(zoo: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{name: manifest} of the two trained shapes, from the first zoo classifier (none: {})."""
    base = next((m for m in zoo.values() if m.get("task") == "classify"), None)
    if base is None:
        return {}
    labels = ["cat", "coffee", "rocket"]
    fp32 = copy.deepcopy(base["files"]["fp32"])
    classify = copy.deepcopy(base) | {
        "name": "sample-classifier", "version": "1.0.0", "labels": labels,
        "files": {"fp32": fp32, "head": {"path": "head.onnx", "sha256": _SHA, "bytes": 10}},
        "outputs": [{"name": "head_probabilities", "dtype": "float32", "shape": [1, 3]},
                    {"name": "embedding", "dtype": "float32", "shape": [1, 1280]}],
        "postprocess": {"kind": "classify", "output": "head_probabilities", "embedding": "embedding"},
        "base": f"{base['name']}@{base['version']}",
        "head": {"kind": "mlp", "features": "embedding", "dim": 1280, "input": "features",
                 "output": "probabilities", "hidden": 64, "standardized": True},
        "training": _training(labels, history=True),
    }
    digits = [str(d) for d in range(10)]
    features = {
        "schema_version": 1, "name": "sample-digits", "version": "1.0.0", "task": "features",
        "files": {"fp32": {"path": "model.fp32.onnx", "sha256": _SHA, "bytes": 10}},
        "inputs": [{"name": "features", "dtype": "float32", "shape": [None, 64]}],
        "outputs": [{"name": "probabilities", "dtype": "float32", "shape": [None, 10]}],
        "labels": digits, "provenance": {"source": "sample", "converter": "edgeward 0.1.0 (train)",
                       "parity_max_abs_diff": {"probabilities": 0.0}, "parity_images": [], "parity_cases": ["test"]},
        "license": "unknown",
        "head": {"kind": "knn", "features": "raw", "dim": 64, "input": "features", "output": "probabilities",
                 "k": 3},
        "training": _training(digits, history=False),
    }
    out = {"trained classify (mlp head)": classify, "trained features (knn head)": features}
    for manifest in out.values():
        parse_manifest(manifest)  # a sample must be valid
    return out
