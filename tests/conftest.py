"""Shared fixtures: the real PoseNet (built by the zoo recipe at setup) and real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import edgeward
from edgeward.runtime.samples import sample_path
from edgeward.tasks.handles import TaskHandle
from edgeward.zoo import build
from edgeward.zoo import posenet as posenet_recipe
from edgeward.zoo.npm import npm_package


@pytest.fixture(scope="session")
def posenet_json() -> Path:
    return npm_package(posenet_recipe.NPM_NAME, posenet_recipe.NPM_VERSION) / posenet_recipe.MODEL_PATH


@pytest.fixture(scope="session")
def posenet_dir() -> Path:
    return build("posenet")


@pytest.fixture(scope="session")
def posenet(posenet_dir: Path) -> TaskHandle:
    return edgeward.load(str(posenet_dir))


@pytest.fixture(scope="session")
def astronaut() -> Path:
    return sample_path("astronaut.png")


@pytest.fixture(scope="session")
def camera() -> Path:
    return sample_path("camera.png")


@pytest.fixture(scope="session")
def movenet_lightning() -> TaskHandle:
    return edgeward.load(str(build("movenet-lightning")))


@pytest.fixture(scope="session")
def movenet_thunder() -> TaskHandle:
    return edgeward.load(str(build("movenet-thunder")))


@pytest.fixture(scope="session")
def movenet_multipose() -> TaskHandle:
    return edgeward.load(str(build("movenet-multipose")))


@pytest.fixture(scope="session")
def party_photo() -> np.ndarray:
    """The large group photo in @vladmandic/human's samples.jpg (about a dozen people)."""
    from edgeward.zoo.photos import calibration_photos

    return next(p.rgb for p in calibration_photos() if p.name == "samples-party")


@pytest.fixture(scope="session")
def coffee() -> Path:
    return sample_path("coffee.png")


@pytest.fixture(scope="session")
def centernet() -> TaskHandle:
    return edgeward.load(str(build("centernet")))


@pytest.fixture(scope="session")
def efficientnet() -> TaskHandle:
    return edgeward.load(str(build("efficientnet-lite0")))
