"""``edgeward.train(data, name, **options)``: load the data, split, train, evaluate, package.

DATA is ``"digits"`` (scikit-learn's 8×8 digits), a CSV file (``from_csv``), an image folder (one
subfolder per class, embedded by ``base``, default efficientnet-lite0; a pose ``base`` gives pose
features, train/poses.py) or a ``Dataset``. The result is a ``features`` package (raw numbers, pose
features) or, for embedded images, a ``classify`` package that runs on images (see export.py). A
package that already exists is refused unless ``force=True``, and the name and version are checked
before any training starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import edgeward
from edgeward.errors import OptionError
from edgeward.package.manifest import TrainingReport
from edgeward.train.data import Dataset, data_hash, digits, from_csv
from edgeward.train.evaluate import evaluate
from edgeward.train.export import TrainedModel, check_new, export_classifier, export_features
from edgeward.train.head import HeadTrainer
from edgeward.train.images import DEFAULT_BASE, image_folder
from edgeward.train.knn import DEFAULT_K, check_k, fit_knn
from edgeward.train.options import HeadOptions
from edgeward.train.split import DEFAULT_TEST_SPLIT, check_test_split, stratified_split

HEADS = ("knn", "linear", "mlp")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # the manifest's patterns, checked before training
_VERSION = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
EpochCallback = Callable[[dict[str, Any]], object]


@dataclass(frozen=True)
class TrainResult:
    """What ``edgeward.train`` returns: the report (also in the manifest), the package folder, and the
    Python model with its data and split (the oracle the package was checked against)."""

    report: TrainingReport
    path: Path
    model: TrainedModel
    dataset: Dataset
    train_idx: np.ndarray
    test_idx: np.ndarray
    images: list[Path] | None = None


def load_data(data: str | Path | Dataset, base: str | None = None, label_column: str | None = None,
              on_image: Callable[[int, int, Path], object] | None = None) -> tuple[Dataset, Any]:
    """(dataset, the image dataset or None) for DATA; options that do not apply to it are OptionErrors."""
    if isinstance(data, Dataset):
        return data, None
    path = Path(data)
    if str(data) == "digits" and not path.exists():
        source: Dataset | None = digits()
    elif path.is_dir():
        if label_column is not None:
            raise OptionError("--label-column applies to a CSV file, not to an image folder")
        images = image_folder(path, base or DEFAULT_BASE, on_image)
        return images.dataset, images
    elif path.is_file():
        source = from_csv(path, label_column)
    else:
        raise OptionError(f"DATA {str(data)!r}: no such file or folder (DATA is 'digits', a CSV file or an "
                          f"image folder with one subfolder per class)")
    if base is not None:
        raise OptionError(f"--base applies to an image folder; {data} is read as numbers")
    if label_column is not None and str(data) == "digits":
        raise OptionError("--label-column applies to a CSV file, not to digits")
    return source, None  # type: ignore[return-value]


_D = HeadOptions()  # the defaults, written once (train/options.py; the JS mirror checks them)


def train(data: str | Path | Dataset, name: str, *, version: str = "1.0.0", base: str | None = None,
          head: str = _D.head, epochs: int = _D.epochs, batch_size: int = _D.batch_size,
          learning_rate: float = _D.learning_rate, optimizer: str = _D.optimizer, momentum: float = _D.momentum,
          hidden: int = _D.hidden, dropout: float = _D.dropout, patience: int | None = _D.patience,
          test_split: float = DEFAULT_TEST_SPLIT, seed: int = _D.seed,
          label_column: str | None = None, k: int = DEFAULT_K, force: bool = False,
          on_epoch_end: EpochCallback | None = None, on_image: Callable[[int, int, Path], object] | None = None,
          root: Path | None = None) -> TrainResult:
    """Train a ``head`` (knn | linear | mlp) on DATA and write ``name@version`` to the store."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise OptionError(f"name {name!r} must match {_NAME.pattern} (lowercase letters, digits, . _ -)")
    if not isinstance(version, str) or not _VERSION.match(version):
        raise OptionError(f"version {version!r} must be X.Y.Z (e.g. 1.0.0)")
    if head not in HEADS:
        raise OptionError(f"head must be one of {', '.join(HEADS)}, got {head!r}")
    check_test_split(test_split)
    options: dict[str, Any] = (HeadOptions(head=head, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                           optimizer=optimizer, momentum=momentum, hidden=hidden, dropout=dropout, seed=seed,
                           patience=patience).to_dict() if head != "knn" else {"head": "knn", "k": check_k(k)})
    check_new(name, version, force, root)  # before the work, and again when writing
    dataset, images = load_data(data, base, label_column, on_image)
    train_idx, test_idx = stratified_split(dataset.y, test_split, seed)
    x, y = dataset.x, dataset.y
    model: TrainedModel
    if head == "knn":
        model = fit_knn(x[train_idx], y[train_idx], dataset.labels, k)
        predicted = model.predict_many(x[test_idx])[0] if len(test_idx) else np.zeros(0, dtype=np.int64)
        history: list[dict[str, Any]] = []
        best = None
    else:
        trainer = HeadTrainer(dataset, train_idx, test_idx, options)
        while not trainer.done:
            record = trainer.step()
            if record is not None and on_epoch_end is not None:
                on_epoch_end(record)
        model = trainer.result()
        predicted = model.predict(x[test_idx]) if len(test_idx) else np.zeros(0, dtype=np.int64)
        history, best = model.history, model.best_epoch
    scores = evaluate(y[test_idx], predicted, dataset.labels)
    report = TrainingReport.model_validate(dict(
        data=dataset.source, data_sha256=data_hash(dataset), examples=len(y), train=len(train_idx),
        test=len(test_idx), class_counts=dataset.counts, test_split=float(test_split), seed=seed,
        options=options, history=history, best_epoch=best, test_accuracy=scores["accuracy"],
        per_class_accuracy={c["label"]: c["accuracy"] for c in scores["per_class"]}, confusion=scores["confusion"],
        trainer=f"edgeward {edgeward.__version__} (python)"))
    check = test_idx if len(test_idx) else train_idx  # the graphs are checked on held-out rows, if any
    check_x, what = x[check], ("held-out rows" if len(test_idx) else "training rows (none held out)")
    if images is None or images.features == "pose":  # a head alone: on raw numbers, or on the base's pose features
        base_ref = None if images is None else f"{images.base.manifest.name}@{images.base.manifest.version}"
        path = export_features(model, name, version, report, check_x, features="raw" if images is None else "pose",
                               base=base_ref, check_what=what, root=root, force=force)
    else:
        path = export_classifier(model, name, version, report, images.base.model, check_x,
                                 [images.paths[i] for i in check],
                                 [f"{images.paths[i].parent.name}/{images.paths[i].name}" for i in check],
                                 check_what=what, root=root, force=force)
    return TrainResult(report, path, model, dataset, train_idx, test_idx, images.paths if images else None)
