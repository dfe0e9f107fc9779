"""Detection: NMS on constructed boxes, and CenterNet on real photos."""

from __future__ import annotations

import numpy as np
import pytest

from edgeward.errors import EdgewardError
from edgeward.runtime.image import load_image
from edgeward.runtime.samples import sample_path
from edgeward.tasks.handles import TaskHandle
from edgeward.tasks.nms import iou, nms


def test_iou() -> None:
    a = np.array([0, 0, 10, 10.0])
    assert iou(a, a) == 1.0
    assert iou(a, np.array([5, 0, 15, 10.0])) == pytest.approx(50 / 150)
    assert iou(a, np.array([10, 10, 20, 20.0])) == 0.0


def test_nms_is_class_wise_and_keeps_score_order() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]], float)
    scores = np.array([0.8, 0.9, 0.7, 0.5])
    classes = np.array([0, 0, 1, 0])
    assert nms(boxes, scores, classes, iou_threshold=0.5, max_detections=10) == [1, 2, 3]
    assert nms(boxes, scores, classes, iou_threshold=0.5, max_detections=2) == [1, 2]
    assert nms(boxes, scores, classes, iou_threshold=0.99, max_detections=10) == [1, 0, 2, 3]


@pytest.mark.parametrize(("image", "label"), [
    ("astronaut.png", "person"), ("coffee.png", "cup"), ("chelsea.png", "cat"),
    ("motorcycle_left.png", "motorcycle"),
])
def test_centernet_finds_the_obvious_object(centernet: TaskHandle, image: str, label: str) -> None:
    found = centernet.detect(sample_path(image))
    assert found and found[0]["label"] == label
    h, w = load_image(sample_path(image)).shape[:2]
    x1, y1, x2, y2 = found[0]["box"]
    assert 0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h
    assert (x2 - x1) * (y2 - y1) > 0.2 * w * h  # the subject fills the photo
    assert [d["score"] for d in found] == sorted((d["score"] for d in found), reverse=True)


def test_detect_arguments(centernet: TaskHandle, posenet: TaskHandle) -> None:
    with pytest.raises(EdgewardError, match="iou_threshold"):
        centernet.detect(sample_path("coffee.png"), iou_threshold=2)
    with pytest.raises(EdgewardError, match="not a detector"):
        posenet.detect(sample_path("coffee.png"))
