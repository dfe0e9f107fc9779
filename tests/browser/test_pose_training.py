"""A pose classifier in real headless Chromium, bound to the Python oracle (tests/train/pose_folder.py:
four pose classes from real photos of people, mirror pictures among the training images):

(a) ``poseFeatures`` of the browser's own PoseNet poses equal Python's ``pose_features`` of Python's poses
    on every photo (keypoints, visibility and features within the tolerances below);
(b) the package ``edgeward train poses/ --base posenet`` writes, run by ``createFeatureClassifier`` on the
    browser's features, gives Python's class on every held-out photo;
(c) a browser trainer on '/models/posenet/latest/' fed the training photos trains the head Python
    trains and predicts every held-out photo as the Python model does.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import edgeward
from edgeward.train.pipeline import TrainResult
from edgeward.train.pose_features import pose_features
from edgeward.train.poses import image_pose_features, is_mirrored
from tests.browser.conftest import OpenedPage, harness_page
from tests.train.pose_folder import make_pose_folder

pytestmark = pytest.mark.browser

PACKAGE = "test-browser-poses"
# Measured here (56 photos): keypoints within 2.1e-4 px and scores within 6.5e-6 of Python's, features
# within 1.4e-6; every visibility flag equal. The tolerances leave room for another CPU's rounding, not
# for a different rule.
KEYPOINT_PX, SCORE, FEATURE = 5e-3, 5e-5, 1e-4


@pytest.fixture(scope="module")
def page(playwright_instance: Any, server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenedPage]:
    with harness_page(playwright_instance, server_url, tmp_path_factory) as opened:
        yield opened


@pytest.fixture(scope="module")
def poses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, str], TrainResult]:
    folder, heldout = make_pose_folder(tmp_path_factory.mktemp("poses"))
    result = edgeward.train(folder, PACKAGE, base="posenet", head="mlp", force=True)
    return folder, heldout, result


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


BLOB = "const blob = (b64) => new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]);"

FEATURES = """async ([images]) => {
  const ew = window.edgewardHarness.edgeward;
  """ + BLOB + """
  const detector = await ew.createPoseDetector('/models/posenet/latest/', {variant: 'fp32'}); // as Python's
  const out = [];
  for (const [b64, mirrored] of images) {
    const poses = await detector.estimatePoses(blob(b64), {maxPoses: 1, scoreThreshold: 0, flipHorizontal: mirrored});
    const features = ew.poseFeatures(poses[0], {flipHorizontal: mirrored, mirrored});
    out.push({keypoints: poses[0].keypoints, features: Array.from(features)});
  }
  await detector.dispose();
  return out;
}"""


@pytest.fixture(scope="module")
def browser_features(page: OpenedPage, poses: Any) -> dict[Path, dict[str, Any]]:
    _, heldout, result = poses
    paths = [*(result.images or []), *sorted(heldout)]
    got = page.page.evaluate(FEATURES, [[[_b64(p), is_mirrored(p)] for p in paths]])
    return dict(zip(paths, got, strict=True))


def test_browser_pose_features_equal_pythons_on_every_photo(browser_features: dict[Path, dict[str, Any]]) -> None:
    posenet = edgeward.load("posenet")
    worst = {"px": 0.0, "score": 0.0, "feature": 0.0}
    for path, browser in browser_features.items():
        mirrored = is_mirrored(path)
        pose = posenet.estimate_poses(path, max_poses=1, score_threshold=0.0, flip_horizontal=mirrored)[0]
        assert [k["name"] for k in browser["keypoints"]] == [k["name"] for k in pose["keypoints"]]
        xy = np.array([[k["x"], k["y"]] for k in pose["keypoints"]])
        bxy = np.array([[k["x"], k["y"]] for k in browser["keypoints"]])
        worst["px"] = max(worst["px"], float(np.abs(bxy - xy).max()))
        worst["score"] = max(worst["score"], max(abs(b["score"] - k["score"])
                                                 for b, k in zip(browser["keypoints"], pose["keypoints"], strict=True)))
        python = pose_features(pose, flip_horizontal=mirrored, mirrored=mirrored)
        features = np.asarray(browser["features"], dtype=np.float32)
        assert (features[2::3] == python[2::3]).all(), f"{path.name}: another keypoint is visible"
        worst["feature"] = max(worst["feature"], float(np.abs(features - python).max()))
    print(f"browser vs Python on {len(browser_features)} photos: keypoints {worst['px']:.1e} px, "
          f"scores {worst['score']:.1e}, pose features {worst['feature']:.1e}")
    assert worst["px"] <= KEYPOINT_PX and worst["score"] <= SCORE and worst["feature"] <= FEATURE, worst


CLASSIFY = """async ([url, rows]) => {
  const ew = window.edgewardHarness.edgeward;
  const head = await ew.createFeatureClassifier(url);
  const out = [];
  for (const row of rows) out.push((await head.classify(row, {topK: 1}))[0]);
  await head.dispose();
  return out;
}"""


def test_the_python_trained_pose_package_classifies_browser_features_as_python(
        page: OpenedPage, poses: Any, browser_features: dict[Path, dict[str, Any]]) -> None:
    _, heldout, result = poses
    paths = sorted(heldout)
    posenet = edgeward.load("posenet")
    python = [result.model.labels[int(np.argmax(result.model.predict_proba(
        image_pose_features(posenet, p).astype(np.float64)[None])))] for p in paths]
    assert python == [heldout[p] for p in paths]  # every held-out photo right
    got = page.page.evaluate(CLASSIFY, [f"/models/{PACKAGE}/latest/", [browser_features[p]["features"] for p in paths]])
    assert [g["label"] for g in got] == python


TRAIN = """async ([examples, heldout, labels]) => {
  const ew = window.edgewardHarness.edgeward;
  """ + BLOB + """
  const trainer = await ew.createTrainer('/models/posenet/latest/', {labels});
  for (const [b64, label, mirrored] of examples) await trainer.addExample(blob(b64), label, {mirrored});
  let refused = null;
  try { await trainer.addExample(new Array(51).fill(0), labels[0], {mirrored: true}); }
  catch (err) { refused = {name: err.name, message: err.message}; }
  const report = await trainer.train({head: 'mlp'});
  const predicted = [];
  for (const b64 of heldout) predicted.push((await trainer.predict(blob(b64), {topK: 1}))[0].label);
  const out = {report, predicted, model: await trainer.model(), counts: await trainer.counts(), refused};
  trainer.dispose();
  return out;
}"""


def test_a_browser_trainer_on_posenet_learns_the_photos_as_python(page: OpenedPage, poses: Any) -> None:
    _, heldout, result = poses
    images = result.images or []
    examples = [[_b64(p), p.parent.name, is_mirrored(p)] for p in images]
    paths = sorted(heldout)
    got = page.page.evaluate(TRAIN, [examples, [_b64(p) for p in paths], result.dataset.labels])
    assert got["refused"]["name"] == "RangeError" and "pose base" in got["refused"]["message"]
    assert got["counts"] == dict(zip(result.dataset.labels, result.report.class_counts, strict=True))
    layers = got["model"]["layers"]
    assert layers[0]["rows"] == 51
    worst = max(float(np.abs(np.asarray(layer["W"]).reshape(w.shape) - w).max())
                for (w, _), layer in zip(result.model.layers, layers, strict=True))
    print(f"browser-trained vs Python-trained pose MLP: max |Δw| = {worst:.1e}")
    assert got["report"]["accuracy"] == result.report.test_accuracy
    posenet = edgeward.load("posenet")
    python = [result.model.labels[int(np.argmax(result.model.predict_proba(
        image_pose_features(posenet, p).astype(np.float64)[None])))] for p in paths]
    assert got["predicted"] == python == [heldout[p] for p in paths]
