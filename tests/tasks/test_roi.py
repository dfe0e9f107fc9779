"""ROI tracking: the crop rule (tasks/roi.py) and pose estimation on a crop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edgeward.errors import EdgewardError
from edgeward.tasks.handles import TaskHandle
from edgeward.tasks.roi import check_roi, next_roi

SIZE = (385, 385)


def pose(points: list[tuple[float, float]], score: float = 0.9) -> dict[str, Any]:
    return {"score": score, "keypoints": [{"name": f"k{i}", "x": x, "y": y, "score": score}
                                          for i, (x, y) in enumerate(points)]}


def test_no_roi_without_enough_confident_keypoints() -> None:
    assert next_roi([], 640, 480, SIZE) is None
    assert next_roi([pose([(100, 100), (120, 140)])], 640, 480, SIZE) is None  # two keypoints only
    assert next_roi([pose([(100, 100), (120, 140), (90, 200)], score=0.1)], 640, 480, SIZE) is None


def test_roi_grows_the_box_to_the_input_aspect_and_stays_even_and_inside() -> None:
    roi = next_roi([pose([(300, 150), (340, 200), (320, 330)])], 640, 480, SIZE)
    assert roi is not None
    x0, y0, x1, y1 = roi
    assert x0 % 2 == 0 and y0 % 2 == 0 and 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 480
    # box 40 x 180, grown by 0.25 * 180 on every side → 130 x 270, then square (input aspect 1): 270
    assert abs((x1 - x0) - 270) <= 2 and abs((y1 - y0) - 270) <= 2
    assert x0 <= 300 and x1 >= 340 and y0 <= 150 and y1 >= 330  # the keypoints stay inside


def test_roi_slides_inside_the_frame_and_has_a_minimum_size() -> None:
    x0, y0, x1, y1 = next_roi([pose([(5, 5), (9, 8), (7, 12)])], 640, 480, SIZE) or (0, 0, 0, 0)
    assert (x0, y0) == (0, 0)  # slid, not clipped: it keeps its size
    assert x1 - x0 >= 0.4 * 480 and y1 - y0 >= 0.4 * 480
    # a box as large as the frame is no crop at all
    assert next_roi([pose([(0, 0), (639, 0), (320, 479)])], 640, 480, SIZE) is None


def test_flipped_poses_give_the_crop_of_the_frame_as_captured() -> None:
    points = [(300, 150), (340, 200), (320, 330)]
    mirrored = [(639 - x, y) for x, y in points]
    assert next_roi([pose(mirrored)], 640, 480, SIZE, flipped=True) == next_roi([pose(points)], 640, 480, SIZE)


@pytest.mark.parametrize(("roi", "message"), [
    ((0, 0, 10), "4 integers"),
    ((0, 0, 10.5, 10), "4 integers"),
    ((10, 0, 5, 10), "not inside"),
    ((0, 0, 700, 10), "not inside"),
    ((1, 0, 10, 10), "must be even"),
])
def test_bad_rois_are_named(roi: tuple[Any, ...], message: str) -> None:
    with pytest.raises(EdgewardError, match=message):
        check_roi(roi, 640, 480)


@pytest.fixture(scope="module")
def small_person(tmp_path_factory: pytest.TempPathFactory, astronaut: Path) -> Path:
    """The astronaut at half size in a wide 960 x 640 frame (a person far from the camera)."""
    from PIL import Image

    person = Image.open(astronaut).convert("RGB").resize((256, 256), Image.Resampling.BILINEAR)
    frame = Image.new("RGB", (960, 640), (90, 90, 90))
    frame.paste(person, (560, 300))
    path = tmp_path_factory.mktemp("roi") / "small_person.png"
    frame.save(path)
    return path


def test_estimate_on_a_crop_returns_whole_image_coordinates(posenet: TaskHandle, small_person: Path,
                                                            tmp_path: Path) -> None:
    from PIL import Image

    whole = posenet.estimate_poses(small_person, score_threshold=0.3)
    assert whole
    roi = next_roi(whole, 960, 640, SIZE)
    assert roi is not None
    x0, y0 = roi[:2]
    assert x0 >= 300 and y0 >= 150  # around the person, not the whole frame
    cropped = posenet.estimate_poses(small_person, score_threshold=0.3, roi=roi)
    # exactly the poses of the cut-out crop, moved by the crop's origin
    cut = tmp_path / "cut.png"
    Image.open(small_person).crop(roi).save(cut)
    alone = posenet.estimate_poses(cut, score_threshold=0.3)
    assert cropped and len(cropped) == len(alone)
    for a, b in zip(alone[0]["keypoints"], cropped[0]["keypoints"], strict=True):
        assert (b["x"], b["y"], b["score"]) == pytest.approx((a["x"] + x0, a["y"] + y0, a["score"]), abs=1e-9)
    # and the face lands where the whole-frame estimate put it
    for a, b in zip(whole[0]["keypoints"][:3], cropped[0]["keypoints"][:3], strict=True):
        assert abs(a["x"] - b["x"]) <= 8 and abs(a["y"] - b["y"]) <= 8, (a, b)


def test_flip_with_a_crop_mirrors_in_the_whole_frame(posenet: TaskHandle, small_person: Path) -> None:
    roi = (480, 200, 880, 600)
    plain = posenet.estimate_poses(small_person, score_threshold=0.0, roi=roi)
    flipped = posenet.estimate_poses(small_person, score_threshold=0.0, roi=roi, flip_horizontal=True)
    for a, b in zip(plain[0]["keypoints"], flipped[0]["keypoints"], strict=True):
        assert b["x"] == pytest.approx(959 - a["x"]) and b["y"] == pytest.approx(a["y"])


def test_roi_outside_the_image_is_an_error(posenet: TaskHandle, astronaut: Path) -> None:
    with pytest.raises(EdgewardError, match="not inside the 512x512 image"):
        posenet.estimate_poses(astronaut, roi=(0, 0, 600, 600))
