"""The pose trainer's bundled example poses (web/apps/pose-trainer/example-poses.json) are what
``python -m edgeward.train.pose_examples`` makes from the real photos with the zoo's pose models: made
again here for PoseNet and MoveNet Lightning, every keypoint matches the committed file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgeward.train import pose_examples
from edgeward.train.pose_features import POSE_FEATURE_DIM, POSE_KEYPOINTS, pose_features

BUNDLED = Path(__file__).parents[2] / "web" / "apps" / "pose-trainer" / "example-poses.json"
# The file rounds x, y to 0.01 px and scores to 1e-4; another CPU's last bits may round the other way.
XY, SCORE = 0.011, 1.1e-4


@pytest.fixture(scope="module")
def bundled() -> dict[str, Any]:
    content: dict[str, Any] = json.loads(BUNDLED.read_text())
    return content


def test_the_file_says_what_it_is_and_covers_every_pose_model(bundled: dict[str, Any]) -> None:
    assert bundled["format"] == pose_examples.FORMAT and bundled["made_by"] == pose_examples.MADE_BY
    assert bundled["keypoints"] == list(POSE_KEYPOINTS) and bundled["views"] == list(pose_examples.VIEWS)
    assert list(bundled["photos"]) == list(pose_examples.PHOTOS)
    assert bundled["photos"]["portrait"] == "scikit-image:astronaut.png"
    assert set(bundled["models"]) == set(pose_examples.MODELS)
    for name, entry in bundled["models"].items():
        per_pose = {p: sum(e["pose"] == p for e in entry["examples"]) for p in pose_examples.PHOTOS}
        assert min(per_pose.values()) >= 6, (name, per_pose, entry["left_out"])
        for e in entry["examples"]:  # each one is a pose the features accept (the app computes them so)
            assert pose_features(pose_examples.as_pose(e["keypoints"])).shape == (POSE_FEATURE_DIM,)


@pytest.mark.parametrize("model", ["posenet", "movenet-lightning"])
def test_made_again_from_the_photos_the_keypoints_match(bundled: dict[str, Any], model: str, request: Any) -> None:
    request.getfixturevalue("posenet_dir" if model == "posenet" else "movenet_lightning")  # built at setup
    again = pose_examples.model_examples(model)
    entry = bundled["models"][model]
    assert again["version"] == entry["version"] and again["left_out"] == entry["left_out"]
    assert [(e["pose"], e["view"]) for e in again["examples"]] == [(e["pose"], e["view"]) for e in entry["examples"]]
    made = np.array([e["keypoints"] for e in again["examples"]])
    stored = np.array([e["keypoints"] for e in entry["examples"]])
    assert np.abs(made[..., :2] - stored[..., :2]).max() <= XY
    assert np.abs(made[..., 2] - stored[..., 2]).max() <= SCORE


def test_views_are_crops_and_scales_of_the_photo() -> None:
    rgb = np.arange(100 * 80 * 3, dtype=np.uint8).reshape(100, 80, 3)
    assert pose_examples.view(rgb, "whole") is rgb
    assert pose_examples.view(rgb, "tl").shape == (90, 72, 3) and (pose_examples.view(rgb, "tl") == rgb[:90, :72]).all()
    assert (pose_examples.view(rgb, "br") == rgb[10:, 8:]).all()
    assert pose_examples.view(rgb, "centre").shape == (85, 68, 3)
    assert pose_examples.view(rgb, "large").shape == (125, 100, 3)
    with pytest.raises(ValueError, match="no view 'top'"):
        pose_examples.view(rgb, "top")


def test_dumps_writes_the_content_back(bundled: dict[str, Any]) -> None:
    assert json.loads(pose_examples.dumps(bundled)) == bundled
    assert pose_examples.dumps(bundled) == BUNDLED.read_text()
