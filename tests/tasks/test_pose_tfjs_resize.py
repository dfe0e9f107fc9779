"""The pose option ``resize='tfjs-posenet'``: Edgeward's poses equal @tensorflow-models/posenet's own (run in
Node on the original TF.js model) on real photos, where the package's letterbox gives measurably others."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from edgeward.bench.posenet_reference import keypoint_distance, tfjs_posenet_poses
from edgeward.cli import app
from edgeward.runtime.image import load_image
from edgeward.tasks.handles import TaskHandle


@pytest.fixture(scope="module")
def photos(astronaut: Path, camera: Path) -> dict[str, np.ndarray]:
    a = load_image(astronaut)
    return {"astronaut": a, "astronaut-wide": np.ascontiguousarray(a[40:300]), "camera": load_image(camera)}


@pytest.fixture(scope="module")
def posenet_package(photos: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    poses, versions = tfjs_posenet_poses("posenet", list(photos.values()))
    assert versions == {"tfjs-core": "4.22.0", "posenet": "2.2.2"}
    return poses


def test_the_option_gives_the_poses_of_tensorflow_models_posenet(
        posenet: TaskHandle, photos: dict[str, np.ndarray], posenet_package: list[dict[str, Any]]) -> None:
    letterbox_off = []
    for (name, rgb), theirs in zip(photos.items(), posenet_package, strict=True):
        rule = posenet.estimate_poses(rgb, score_threshold=-1.0, resize="tfjs-posenet")[0]
        own = posenet.estimate_poses(rgb, score_threshold=-1.0)[0]
        same = keypoint_distance(rule, theirs)
        assert same["max_px"] < 0.01, (name, same)  # onnxruntime vs TF.js's kernels: thousandths of a pixel
        assert rule["score"] == pytest.approx(theirs["score"], abs=1e-4)
        letterbox_off.append(keypoint_distance(own, theirs)["mean_px"])
    # what the option changes: the letterbox's keypoints are pixels away from a TF.js app's (see
    # bench/posenet_resize.py for twelve photos)
    assert np.mean(letterbox_off) > 1.0, letterbox_off


def test_flip_and_roi_compose_with_the_option(posenet: TaskHandle, photos: dict[str, np.ndarray]) -> None:
    rgb = photos["astronaut-wide"]
    plain = posenet.estimate_poses(rgb, score_threshold=-1.0, resize="tfjs-posenet")[0]
    flipped = posenet.estimate_poses(rgb, score_threshold=-1.0, resize="tfjs-posenet", flip_horizontal=True)[0]
    for a, b in zip(plain["keypoints"], flipped["keypoints"], strict=True):
        assert b["x"] == pytest.approx(rgb.shape[1] - 1 - a["x"]) and b["y"] == pytest.approx(a["y"])
    crop = posenet.estimate_poses(rgb, score_threshold=-1.0, resize="tfjs-posenet", roi=(100, 0, 400, 260))[0]
    nose = next(k for k in crop["keypoints"] if k["name"] == "nose")
    assert 100 < nose["x"] < 400  # whole-image pixels, inside the crop


def test_cli_resize_flag(posenet: TaskHandle, astronaut: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["pose", str(astronaut), "--resize", "tfjs-posenet", "--score-threshold", "0", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == posenet.estimate_poses(astronaut, score_threshold=0.0, resize="tfjs-posenet")
    bad = runner.invoke(app, ["pose", str(astronaut), "--resize", "stretch"])
    assert bad.exit_code == 2 and "tfjs-posenet" in bad.output
