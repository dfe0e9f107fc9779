"""Pose features (src/edgeward/train/pose_features.py) on real poses of real photos, the mirroring rule,
masking, and a pose classifier trained end to end from a folder of real photos (tests/train/pose_folder.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import edgeward
from edgeward.cli import app
from edgeward.errors import OptionError, TaskError, TrainingError
from edgeward.package.manifest import read_manifest
from edgeward.train.pipeline import TrainResult
from edgeward.train.pose_features import POSE_FEATURE_DIM, POSE_KEYPOINTS, pose_features, swap_side
from edgeward.train.poses import image_pose_features
from tests.train.pose_folder import PHOTOS, make_pose_folder, photo, scaled
from tests.train.store import isolated_store, trained

PACKAGES = ("posenet", "movenet-lightning")
J = {name: j for j, name in enumerate(POSE_KEYPOINTS)}


def _estimate(package: str, rgb: np.ndarray, flip: bool = False) -> dict[str, Any]:
    return edgeward.load(package).estimate_poses(rgb, max_poses=1, score_threshold=0.0, flip_horizontal=flip)[0]


def _rgb(name: str) -> np.ndarray:
    return np.ascontiguousarray(photo(name)[..., :3])


def _table(f: np.ndarray) -> np.ndarray:
    return f.reshape(len(POSE_KEYPOINTS), 3).astype(np.float64)


def test_features_are_keypoints_centred_on_the_hips_over_the_torso() -> None:
    pose = _estimate("posenet", _rgb("samples-3"))  # standing, full length: all 17 keypoints confident
    f = pose_features(pose)
    assert f.dtype == np.float32 and f.shape == (POSE_FEATURE_DIM,) == (51,)
    xy = np.array([[k["x"], k["y"]] for k in pose["keypoints"]])
    hips, shoulders = xy[[J["left_hip"], J["right_hip"]]].mean(0), xy[[J["left_shoulder"], J["right_shoulder"]]].mean(0)
    expected = (xy - hips) / np.linalg.norm(shoulders - hips)
    t = _table(f)
    assert (t[:, 2] == 1).all()
    assert np.abs(t[:, :2] - expected).max() < 1e-6
    assert abs(np.linalg.norm(t[[J["left_shoulder"], J["right_shoulder"]], :2].mean(0)) - 1) < 1e-6  # torso = 1
    assert t[J["nose"], 1] < -1 < 0 < t[J["left_ankle"], 1]  # y grows downwards, as in the image


def test_where_and_how_large_the_person_is_does_not_matter() -> None:
    pose = _estimate("posenet", _rgb("camera.png"))
    moved = {"keypoints": [{**k, "x": 3 * k["x"] + 400, "y": 3 * k["y"] - 50} for k in pose["keypoints"]]}
    assert np.abs(pose_features(moved) - pose_features(pose)).max() < 1e-5
    # A real photo at twice the size, estimated again: the same features up to model noise (measured 0.005)
    # for the keypoints seen in both (one ankle scores about 0.3 and comes and goes).
    a, b = _table(pose_features(_estimate("posenet", scaled(_rgb("camera.png"), 2.0)))), _table(pose_features(pose))
    both = (a[:, 2] == 1) & (b[:, 2] == 1)
    assert both.sum() >= 12 and np.abs(a[both, :2] - b[both, :2]).max() < 0.02


def test_fallbacks_without_hips_or_torso() -> None:
    pose = _estimate("posenet", _rgb("samples-3"))
    xy = np.array([[k["x"], k["y"]] for k in pose["keypoints"]])
    no_hips = [{**k, "score": 0.1 if k["name"].endswith("_hip") else k["score"]} for k in pose["keypoints"]]
    t = _table(pose_features(no_hips))
    seen = t[:, 2] == 1
    box = xy[seen].max(0) - xy[seen].min(0)
    expected = (xy - xy[[J["left_shoulder"], J["right_shoulder"]]].mean(0)) / box.max()
    assert not seen[J["left_hip"]] and np.abs(t[seen, :2] - expected[seen]).max() < 1e-6
    no_torso = [{**k, "score": 0.1 if k["name"] in ("left_hip", "right_shoulder") else k["score"]}
                for k in pose["keypoints"]]
    t = _table(pose_features(no_torso))
    seen = t[:, 2] == 1
    lo, hi = xy[seen].min(0), xy[seen].max(0)
    assert np.abs(t[seen, :2] - (xy[seen] - (lo + hi) / 2) / (hi - lo).max()).max() < 1e-6


def test_keypoints_below_the_threshold_are_masked_with_a_visibility_feature() -> None:
    pose = _estimate("posenet", _rgb("astronaut.png"))  # a half-length portrait: the legs are not seen
    scores = np.array([k["score"] for k in pose["keypoints"]])
    for threshold in (0.3, 0.5):
        t = _table(pose_features(pose, threshold=threshold))
        assert (t[:, 2] == (scores >= threshold)).all()
        assert (t[t[:, 2] == 0] == 0).all()  # masked: x = y = 0
    assert 5 <= int((scores >= 0.3).sum()) < 17
    just_above_fifth = float(np.sort(scores)[-5]) + 1e-9  # 4 keypoints left: too few to be a pose
    with pytest.raises(TrainingError, match=r"no confident pose: 4 of 17 keypoints score at least .* need 5"):
        pose_features(pose, threshold=just_above_fifth)
    with pytest.raises(OptionError, match=r"threshold must be a number in \[0, 1\], got 2"):
        pose_features(pose, threshold=2)
    with pytest.raises(TrainingError, match="the pose has no 'right_ankle' keypoint"):
        pose_features(pose["keypoints"][:-1])


@pytest.mark.parametrize("package", PACKAGES)
def test_a_flipped_estimate_gives_the_unflipped_features(package: str) -> None:
    rgb = _rgb("samples-4")
    flipped = _estimate(package, rgb, flip=True)  # x mirrored, names kept: the subject's own
    assert np.abs(pose_features(flipped, flip_horizontal=True) - pose_features(_estimate(package, rgb))).max() < 1e-6


@pytest.mark.parametrize("package", PACKAGES)
@pytest.mark.parametrize("name", ["samples-3", "samples-4", "camera.png"])
def test_a_mirrored_photo_estimated_with_flip_horizontal_gives_the_original_features(package: str, name: str) -> None:
    """The rule: a mirror picture's sides are named as they look in the mirror; mirrored=True swaps them
    back. Measured (max |Δ| over keypoints seen in both): 0.05-0.12 with the rule, 0.7-1.8 without."""
    rgb = _rgb(name)
    original = _table(pose_features(_estimate(package, rgb)))
    estimate = _estimate(package, np.ascontiguousarray(rgb[:, ::-1]), flip=True)
    ruled = _table(pose_features(estimate, flip_horizontal=True, mirrored=True))
    naive = _table(pose_features(estimate, flip_horizontal=True))
    both = (original[:, 2] == 1) & (ruled[:, 2] == 1)
    assert both.sum() >= 10
    assert np.abs(ruled[both, :2] - original[both, :2]).max() < 0.15
    assert np.abs(naive[both, :2] - original[both, :2]).max() > 0.5  # the mirror image's sides: another pose
    # Estimated without the flip, the same rule (x back, sides swapped) gives the same features.
    plain = _table(pose_features(_estimate(package, np.ascontiguousarray(rgb[:, ::-1])), mirrored=True))
    assert np.abs(plain[both, :2] - ruled[both, :2]).max() < 1e-5


@pytest.mark.parametrize("package", PACKAGES)
def test_a_left_handed_pose_stays_left_handed(package: str) -> None:
    rgb = _rgb("samples-3")  # her left hand holds a phone up to her face
    lw, rw = J["left_wrist"], J["right_wrist"]
    original = _table(pose_features(_estimate(package, rgb)))
    assert original[lw, 1] < original[rw, 1] - 0.5  # the left wrist is the raised one
    mirror = np.ascontiguousarray(rgb[:, ::-1])
    for estimate, options in ((_estimate(package, mirror, True), {"flip_horizontal": True, "mirrored": True}),
                              (_estimate(package, mirror), {"mirrored": True}),
                              (_estimate(package, rgb, True), {"flip_horizontal": True})):
        t = _table(pose_features(estimate, **options))
        assert t[lw, 1] < t[rw, 1] - 0.5, options
        assert np.sign(t[lw, 0]) == np.sign(original[lw, 0]), options  # and on the same side of the hips
    naive = _table(pose_features(_estimate(package, mirror, True), flip_horizontal=True))
    assert naive[rw, 1] < naive[lw, 1] - 0.5  # without the rule the mirror picture is right-handed
    assert swap_side("left_wrist") == "right_wrist" and swap_side("nose") == "nose"


# --- a pose classifier trained end to end ---------------------------------------------------------

@pytest.fixture(scope="module")
def poses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Path, str]]:
    return make_pose_folder(tmp_path_factory.mktemp("poses"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with isolated_store(tmp_path_factory.mktemp("store"), (*PACKAGES, "centernet")) as packages:
        yield packages


@pytest.fixture(scope="module")
def result(poses: tuple[Path, dict[Path, str]], store: Path) -> TrainResult:
    return edgeward.train(poses[0], "poses-mlp", base="posenet", head="mlp")


def test_the_package_is_a_pose_feature_classifier_on_its_base(result: TrainResult, store: Path) -> None:
    m = read_manifest(result.path / "manifest.json")
    assert m.task == "features" and m.base == "posenet@1.0.0" and set(m.files) == {"fp32"}
    assert m.head is not None and m.head.features == "pose" and m.head.dim == 51 and m.head.kind == "mlp"
    assert m.labels == sorted(PHOTOS) == result.dataset.labels
    assert m.training is not None and m.training.examples == 48 and m.training.class_counts == [12, 12, 12, 12]
    assert "posenet@1.0.0 pose features" in m.training.data


def test_mirror_pictures_add_the_subjects_own_pose(result: TrainResult) -> None:
    rows = {f"{p.parent.name}/{p.name}": x for p, x in zip(result.images or [], result.dataset.x, strict=True)}
    for label in PHOTOS:
        a, b = _table(rows[f"{label}/large.png"]), _table(rows[f"{label}/large.mirrored.png"])
        both = (a[:, 2] == 1) & (b[:, 2] == 1)
        assert np.abs(a[both, :2] - b[both, :2]).max() < 0.35, label  # model noise, not the mirror pose


def test_heldout_photos_are_classified_by_the_package_as_by_python(result: TrainResult,
                                                                    poses: tuple[Path, dict[Path, str]]) -> None:
    package, base = edgeward.load("poses-mlp"), edgeward.load("posenet")
    assert len(poses[1]) >= 8  # two held-out crops per class: the loop below checks every one
    for path, label in sorted(poses[1].items()):
        features = image_pose_features(base, path)
        python = result.model.labels[int(np.argmax(result.model.predict_proba(features.astype(np.float64)[None])))]
        top = package.classify(features, top_k=1)[0]
        assert top["label"] == python == label, path.name


def test_movenet_is_a_pose_base_too(poses: tuple[Path, dict[Path, str]], store: Path) -> None:
    r = edgeward.train(poses[0], "poses-movenet", base="movenet-lightning", head="knn")
    package, base = edgeward.load("poses-movenet"), edgeward.load("movenet-lightning")
    assert package.manifest.base == "movenet-lightning@1.0.0" and package.manifest.head.features == "pose"
    assert [package.classify(image_pose_features(base, p), top_k=1)[0]["label"] for p in sorted(poses[1])] == \
           [poses[1][p] for p in sorted(poses[1])]
    assert r.report.test_accuracy is not None and r.report.test_accuracy >= 0.9


def test_the_cli_trains_a_pose_folder(poses: tuple[Path, dict[Path, str]], store: Path) -> None:
    out = CliRunner().invoke(app, ["train", str(poses[0]), "--name", "my-poses", "--base", "posenet", "--head",
                                   "linear", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    m = read_manifest(Path(data["package"]) / "manifest.json")
    assert m.task == "features" and m.base == "posenet@1.0.0" and m.head is not None and m.head.features == "pose"


def test_images_with_no_confident_pose_are_refused_naming_each(tmp_path: Path, store: Path) -> None:
    root = tmp_path / "d"
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        Image.fromarray(_rgb("samples-3")).save(root / label / "person.png")
    Image.new("RGB", (64, 64), (200, 30, 30)).save(root / "a" / "red.png")
    Image.new("RGB", (64, 64), (240, 240, 240)).save(root / "b" / "white.png")
    before = trained(store)
    with pytest.raises(TrainingError) as e:
        edgeward.train(root, "never", base="posenet", test_split=0.0)
    message = str(e.value)
    assert message.startswith("2 image(s) with no confident pose for posenet (remove or replace them)")
    assert "a/red.png: no confident pose" in message and "b/white.png: no confident pose" in message
    assert "person.png" not in message
    with pytest.raises(TaskError, match=r"centernet: a 'detect' package with no embedding output .* or a pose"):
        edgeward.train(root, "never", base="centernet", test_split=0.0)
    assert trained(store) == before
