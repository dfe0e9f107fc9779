"""The ROI-at-a-smaller-input bench (edgeward.bench.roi_sizes, bench/roi_small_input.py) on a few frames of the
live clip: real PoseNet outputs, the numbers it reports sane and consistent with each other."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from edgeward.bench.camera import fit, read_y4m, sample_images, write_y4m
from edgeward.bench.roi_sizes import CLIP_PHOTOS, agreement, clip_frames, compare, default_configs, inference_ms
from edgeward.tasks.handles import PoseHandle


def test_the_clip_reads_back_as_written(tmp_path: Path) -> None:
    images = sample_images()
    frames = read_y4m(write_y4m(tmp_path / "c.y4m", images, 64, 48, repeat=2))
    assert len(frames) == 6 and frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    for i, image in enumerate(images):
        want = fit(image, 64, 48).astype(float)
        assert np.abs(frames[2 * i].astype(float) - want).mean() < 4  # 4:2:0 chroma and rounding only
        assert np.array_equal(frames[2 * i], frames[2 * i + 1])
    (tmp_path / "cut.y4m").write_bytes((tmp_path / "c.y4m").read_bytes()[:-10])
    with pytest.raises(ValueError, match="frame 5 is cut short"):
        read_y4m(tmp_path / "cut.y4m")


def _pose(shift: float, score: float = 0.9) -> list[dict]:
    return [{"score": score, "keypoints": [{"name": f"k{i}", "x": 100.0 + shift * (i % 2), "y": 50.0,
                                            "score": score if i < 4 else 0.1} for i in range(6)]}]


def test_agreement_counts_confident_reference_keypoints_within_the_radius() -> None:
    ref = [_pose(0), _pose(0), []]
    got = agreement(ref, [_pose(6), _pose(10), _pose(0)], radius_px=8)
    # 4 confident keypoints a frame; odd ones moved by 6 (agree) then 10 px (miss); no reference in frame 3
    assert got["keypoints"] == 8 and got["agreement"] == 6 / 8
    assert got["mean_px_error"] == pytest.approx((6 * 2 + 10 * 2) / 8) and got["max_px_error"] == 10
    missing = agreement(ref, [_pose(0), [], []])
    assert missing["agreement"] == 4 / 8 and missing["mean_px_error"] == 0  # a lost pose: all its keypoints miss


@pytest.fixture(scope="module")
def clip() -> tuple[list[np.ndarray], list[str]]:
    frames, photos = clip_frames(repeat=2)
    assert len(frames) == 6 and photos == [p for p in CLIP_PHOTOS for _ in range(2)]
    return frames, photos


def test_compare_on_the_clip(posenet: PoseHandle, clip: tuple[list[np.ndarray], list[str]]) -> None:
    frames, photos = clip
    configs = default_configs(posenet)
    assert [(c.roi, c.crop_size, c.whole_size) for c in configs] == [
        (False, None, None), (True, None, None), (True, (257, 257), None), (False, None, (257, 257))]
    reference, roi385, roi257, whole257 = compare(posenet, frames, photos, configs)
    assert reference.agreement == 1.0 and reference.mean_px_error == 0.0 and reference.crops == 0
    assert reference.poses == reference.reference_poses == 6 and reference.keypoints >= 6 * 5
    assert whole257.crops == 0 and roi257.crops >= 3 and roi385.crops >= 1  # ROI after a frame with a pose
    for r in (roi385, roi257, whole257):
        assert r.frames == 6 and r.keypoints == reference.keypoints and 0 <= r.poses <= 6
        assert 0 <= r.agreement < 1 and r.estimate_ms > 0  # another input: not the reference's numbers
        assert sum(p["keypoints"] for p in r.by_photo.values()) == r.keypoints
    for r in (roi257, whole257):  # the astronaut alone: the same person at 257, a few px off
        alone = r.by_photo["astronaut"]
        assert alone["poses"] == 2 and alone["agreement"] >= 0.5 and 0 < alone["mean_px_error"] < 15
    assert math.isclose(whole257.agreement, sum(p["agreement"] * p["keypoints"] for p in whole257.by_photo.values())
                        / whole257.keypoints)


def test_native_inference_ms_per_size(posenet: PoseHandle, clip: tuple[list[np.ndarray], list[str]]) -> None:
    ms = inference_ms(posenet, clip[0][0], runs=5)
    assert list(ms) == ["385x385", "257x257"] and all(v > 0 for v in ms.values())
    assert ms["257x257"] < ms["385x385"]  # 45 % of the pixels
