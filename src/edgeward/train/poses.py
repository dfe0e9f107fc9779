"""An image folder of people, one subfolder per pose class → pose features (train/pose_features.py).

    poses/
      selfie/  a.jpg  a.mirrored.jpg …
      seated/  c.png …

``edgeward train poses/ --name my-poses --base posenet`` (or a MoveNet): train/images.py checks the folder
by its rules and hands a pose base here. Each image's best pose (``POSE_ESTIMATE``: one pose, whatever its
score) becomes ``pose_features(pose)``; the package is a ``features`` head with ``head.features = 'pose'``.

* **Mirror pictures.** An image whose name ends in ``.mirrored`` before its extension (``a.mirrored.jpg``)
  is a flipped copy of its subject: it is estimated with ``flip_horizontal=True`` and its sides swapped
  (``mirrored=True``), so it adds the subject's own pose again — mirror augmentation that keeps a
  left-handed pose left-handed. Any other image is taken as captured.
* **No confident pose** (fewer than ``MIN_KEYPOINTS`` keypoints scoring at least 0.3): the image is
  **refused**, not skipped — like a stray file in an image folder, a silently smaller dataset would train
  another model than its owner thinks. Every image is estimated first, and one TrainingError names each
  such file, so they can all be removed (or replaced) at once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.errors import TrainingError
from edgeward.train.pose_features import POSE_ESTIMATE, best_pose_features

MIRRORED = ".mirrored"
SHOWN = 5  # files named in the error; the rest are counted


def is_mirrored(path: Path) -> bool:
    """Whether ``path`` names a mirror picture (``NAME.mirrored.EXT``)."""
    return path.stem.endswith(MIRRORED)


def image_pose_features(handle: Any, image: Any, mirrored: bool = False) -> np.ndarray:
    """float32 pose features of ``image``'s best pose by the pose package ``handle`` (a PoseHandle)."""
    poses = handle.estimate_poses(image, **POSE_ESTIMATE, flip_horizontal=mirrored)
    return best_pose_features(poses, flip_horizontal=mirrored, mirrored=mirrored)


def pose_rows(handle: Any, paths: list[Path], on_progress: Callable[[int, int, Path], object] | None = None
              ) -> list[np.ndarray]:
    """The float64 pose features of every image; TrainingError naming each image with no confident pose."""
    rows: list[np.ndarray] = []
    refused: list[str] = []
    for i, path in enumerate(paths):
        if on_progress is not None:
            on_progress(i, len(paths), path)
        try:
            rows.append(image_pose_features(handle, path, is_mirrored(path)).astype(np.float64))
        except TrainingError as e:
            refused.append(f"{path}: {e}")
    if on_progress is not None and paths:
        on_progress(len(paths), len(paths), paths[-1])
    if refused:
        more = f"; and {len(refused) - SHOWN} more" if len(refused) > SHOWN else ""
        raise TrainingError(f"{len(refused)} image(s) with no confident pose for {handle.name} "
                            f"(remove or replace them): {'; '.join(refused[:SHOWN])}{more}")
    return rows
