"""Transfer learning from an image folder of real photos (tests/train/photo_folder.py): the folder's
rules, and the package that runs on images unchanged (``edgeward.load(NAME).classify``, ``edgeward classify``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import edgeward
from edgeward.cli import app
from edgeward.errors import TaskError, TrainingError
from edgeward.package.manifest import read_manifest
from edgeward.train.images import scan
from edgeward.train.pipeline import TrainResult
from tests.train.photo_folder import make_photo_folder
from tests.train.store import isolated_store, trained

BASES = ("efficientnet-lite0", "centernet")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, str]]:
    return make_photo_folder(tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with isolated_store(tmp_path_factory.mktemp("store"), BASES) as packages:
        yield packages


@pytest.fixture(scope="module", params=["mlp", "knn"])
def result(request: pytest.FixtureRequest, photos: tuple[Path, dict[Path, str]], store: Path) -> TrainResult:
    return edgeward.train(photos[0], f"photos-{request.param}", head=request.param, epochs=10)


def _python_top1(result: TrainResult, photo: Path) -> str:
    """The Python model on the base package's embedding of ``photo``."""
    embedding = edgeward.load("efficientnet-lite0").embed(photo).astype(np.float64)[None]
    model = result.model
    probs = model.predict_many(embedding)[1] if hasattr(model, "predict_many") else model.predict_proba(embedding)
    return model.labels[int(np.argmax(probs[0]))]


def test_the_package_is_an_image_classifier_on_its_base(result: TrainResult, store: Path) -> None:
    m = read_manifest(result.path / "manifest.json")
    assert m.task == "classify" and m.base == "efficientnet-lite0@1.0.0" and set(m.files) == {"fp32", "head"}
    assert m.labels == ["cat", "coffee", "motorcycle", "rocket"] == result.dataset.labels
    assert m.head is not None and m.head.features == "embedding" and m.head.dim == 1280
    assert [o.name for o in m.outputs] == ["head_probabilities", "embedding"]
    assert m.postprocess.output == "head_probabilities" and m.postprocess.embedding == "embedding"
    assert m.preprocess == read_manifest(store / "efficientnet-lite0" / "1.0.0" / "manifest.json").preprocess
    assert m.training is not None and m.training.examples == 32 and m.training.test == 8
    assert len(m.provenance.parity_images) == 8 and m.provenance.parity_max_abs_diff["embedding"] <= 1e-4


def test_heldout_photos_get_the_python_models_top1(result: TrainResult, photos: tuple[Path, dict[Path, str]]) -> None:
    handle = edgeward.load(result.path.parent.name)
    right = 0
    for photo, label in photos[1].items():
        top = handle.classify(photo, top_k=1)[0]
        assert top["label"] == _python_top1(result, photo), photo.name
        right += top["label"] == label
    assert right == len(photos[1]), f"{right} of {len(photos[1])} held-out photos right"
    embedding = handle.embed(next(iter(photos[1])))
    assert embedding.shape == (1280,)


def test_edgeward_classify_runs_it_unchanged(result: TrainResult, photos: tuple[Path, dict[Path, str]]) -> None:
    photo = next(p for p, label in photos[1].items() if label == "rocket")
    out = CliRunner().invoke(app, ["classify", str(photo), "--model", result.path.parent.name, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)[0]["label"] == _python_top1(result, photo) == "rocket"


def _folder(root: Path, spec: dict[str, list[str]]) -> Path:
    """Class folders holding small PNGs (names ending .png) or text files (other names)."""
    for label, files in spec.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for name in files:
            if name.endswith(".png"):
                Image.new("RGB", (16, 16), (len(label) * 20, 90, 30)).save(root / label / name)
            else:
                (root / label / name).write_text("not an image\n")
    return root


def test_hidden_files_are_ignored(tmp_path: Path) -> None:
    root = _folder(tmp_path / "d", {"a": ["1.png", ".DS_Store"], "b": ["2.png"]})
    (root / ".git").mkdir()
    labels, items = scan(root)
    assert labels == ["a", "b"] and [p.name for p, _ in items] == ["1.png", "2.png"]


@pytest.mark.parametrize(("spec", "message"), [
    ({"a": ["1.png"], "b": []}, r"d/b: class 'b' has no images"),
    ({"a": ["1.png", "2.png"]}, r"one \('a'\) class folder; training needs at least 2"),
    ({"a": ["1.png", "notes.txt"], "b": ["2.png"]}, r"d/a/notes\.txt: not an image; an image folder holds only images"),
    ({}, r"none class folder"),
])
def test_bad_folders_are_refused_naming_what(tmp_path: Path, spec: dict[str, list[str]], message: str) -> None:
    root = _folder(tmp_path / "d", spec)
    root.mkdir(exist_ok=True)
    with pytest.raises(TrainingError, match=message):
        scan(root)


def test_a_file_beside_the_class_folders_is_refused(tmp_path: Path) -> None:
    root = _folder(tmp_path / "d", {"a": ["1.png"], "b": ["2.png"]})
    (root / "README.txt").write_text("cats and dogs\n")
    with pytest.raises(TrainingError, match=r"README\.txt: a file beside the class folders"):
        scan(root)


def test_a_base_without_embedding_is_refused_and_nothing_is_written(tmp_path: Path, store: Path) -> None:
    root = _folder(tmp_path / "d", {"a": ["1.png"], "b": ["2.png"]})
    before = trained(store)
    with pytest.raises(TaskError, match=r"centernet: a 'detect' package with no embedding output"):
        edgeward.train(root, "never", base="centernet", test_split=0.0)  # a pose base is one: test_pose_features.py
    with pytest.raises(TrainingError, match="not an image"):
        (root / "b" / "broken.png").write_text("x")
        edgeward.train(root, "never", test_split=0.0)
    assert trained(store) == before and "never" not in before
