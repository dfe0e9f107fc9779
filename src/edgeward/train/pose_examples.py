"""The pose trainer app's bundled example poses (web/apps/pose-trainer/example-poses.json), made from real
photos by the zoo's own pose models — never typed in:

    .venv/bin/python -m edgeward.train.pose_examples web/apps/pose-trainer/example-poses.json

Four poses, one real photo of a person each (edgeward.zoo.photos; the photos tests/train/pose_folder.py
trains on): ``portrait`` (scikit-image's astronaut, half-length, facing the camera), ``filming`` (scikit-
image's camera: a man at a camera on a tripod), ``selfie`` (standing, a phone raised) and ``seated`` (on a
stool), both from @vladmandic/human's samples.jpg. Each photo gives ``VIEWS`` (the whole photo, 90 % crops
at the four corners, an 85 % centre crop, the photo scaled to 80 % and 125 %).

For every pose package (PoseNet, MoveNet Lightning / Thunder / MultiPose) each view's best pose
(``POSE_ESTIMATE``, as training estimates it) is stored as its 17 COCO keypoints ``[x, y, score]`` (x, y in
the view's pixels rounded to 0.01, score to 1e-4). The app turns them into pose features with
``poseFeatures`` (the rule of pose_features.py), so the examples are that model's own features; a view
whose pose is not confident enough to learn from (``pose_features`` refuses it) is left out and listed.
Keypoints rather than features: the file stays readable (where each joint was found), and the features
follow the one feature rule wherever it lives.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

import edgeward
from edgeward.errors import TrainingError
from edgeward.train.pose_features import POSE_ESTIMATE, POSE_KEYPOINTS, pose_features

FORMAT = "edgeward-example-poses/1"
MADE_BY = "python -m edgeward.train.pose_examples"
PHOTOS = {"portrait": "astronaut.png", "filming": "camera.png", "selfie": "samples-3", "seated": "samples-5"}
MODELS = ("posenet", "movenet-lightning", "movenet-thunder", "movenet-multipose")
# tag: (fraction of the photo, where the crop sits in the free room (0: left / top, 1: right / bottom))
_CROPS = {"tl": (0.9, (0.0, 0.0)), "tr": (0.9, (1.0, 0.0)), "bl": (0.9, (0.0, 1.0)), "br": (0.9, (1.0, 1.0)),
          "centre": (0.85, (0.5, 0.5))}
_SCALES = {"small": 0.8, "large": 1.25}
VIEWS = ("whole", *_CROPS, *_SCALES)


def photo(name: str) -> tuple[np.ndarray, str]:
    """(RGB pixels, source) of one of edgeward.zoo.photos' held-out real photos, by name."""
    from edgeward.zoo.photos import heldout_photos

    p = next(p for p in heldout_photos() if p.name == name)
    return np.ascontiguousarray(p.rgb[..., :3]), p.source


def view(rgb: np.ndarray, tag: str) -> np.ndarray:
    """The view ``tag`` (one of VIEWS) of a photo."""
    h, w = rgb.shape[:2]
    if tag in _CROPS:
        fraction, (fx, fy) = _CROPS[tag]
        ch, cw = round(h * fraction), round(w * fraction)
        y0, x0 = round((h - ch) * fy), round((w - cw) * fx)
        return np.ascontiguousarray(rgb[y0:y0 + ch, x0:x0 + cw])
    if tag in _SCALES:
        size = (round(w * _SCALES[tag]), round(h * _SCALES[tag]))
        return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))
    if tag == "whole":
        return rgb
    raise ValueError(f"no view '{tag}' (views: {', '.join(VIEWS)})")


def keypoint_rows(pose: dict[str, Any]) -> list[list[float]]:
    """A pose's keypoints as [[x, y, score]] in COCO order (rounded as stored)."""
    by_name = {k["name"]: k for k in pose["keypoints"]}
    return [[round(float(by_name[n]["x"]), 2), round(float(by_name[n]["y"]), 2), round(float(by_name[n]["score"]), 4)]
            for n in POSE_KEYPOINTS]


def as_pose(rows: Sequence[Sequence[float]]) -> dict[str, Any]:
    """[[x, y, score]] in COCO order → a pose {keypoints: [{name, x, y, score}]} (what the app builds)."""
    return {"keypoints": [{"name": n, "x": x, "y": y, "score": s}
                          for n, (x, y, s) in zip(POSE_KEYPOINTS, rows, strict=True)]}


def model_examples(model: str) -> dict[str, Any]:
    """{version, examples: [{pose, view, keypoints}], left_out: ["pose/view: why"]} for one pose package."""
    handle = edgeward.load(model)
    examples, left_out = [], []
    for label, name in PHOTOS.items():
        rgb, _ = photo(name)
        for tag in VIEWS:
            poses = handle.estimate_poses(view(rgb, tag), **POSE_ESTIMATE)
            if not poses:
                left_out.append(f"{label}/{tag}: no pose found")
                continue
            rows = keypoint_rows(poses[0])
            try:
                pose_features(as_pose(rows))  # what the app will compute: it must accept the pose
            except TrainingError as e:
                left_out.append(f"{label}/{tag}: {e}")
                continue
            examples.append({"pose": label, "view": tag, "keypoints": rows})
    return {"version": handle.manifest.version, "examples": examples, "left_out": left_out}


def example_poses(models: Sequence[str] = MODELS) -> dict[str, Any]:
    """The whole file's content for ``models``."""
    return {
        "format": FORMAT, "made_by": MADE_BY, "keypoints": list(POSE_KEYPOINTS), "views": list(VIEWS),
        "photos": {label: photo(name)[1] for label, name in PHOTOS.items()},
        "models": {m: model_examples(m) for m in models},
    }


def dumps(content: dict[str, Any]) -> str:
    """Compact JSON, one example per line (small, and a diff shows what changed)."""
    lines = []
    for name, entry in content["models"].items():
        rows = ",\n".join(f"      {json.dumps(e, separators=(',', ':'))}" for e in entry["examples"])
        lines.append(f'    {json.dumps(name)}: {{"version": {json.dumps(entry["version"])}, '
                     f'"left_out": {json.dumps(entry["left_out"])}, "examples": [\n{rows}\n    ]}}')
    head = {k: v for k, v in content.items() if k != "models"}
    return json.dumps(head, indent=2)[:-2] + ',\n  "models": {\n' + ",\n".join(lines) + "\n  }\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(f"usage: {MADE_BY} OUT.json", file=sys.stderr)
        return 2
    content = example_poses()
    Path(args[0]).write_text(dumps(content))
    for name, entry in content["models"].items():
        print(f"{name}: {len(entry['examples'])} examples, {len(entry['left_out'])} left out", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
