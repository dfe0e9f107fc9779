"""An image folder (one subfolder per class) → a Dataset of a base package's features.

    flowers/
      daisy/  a.jpg b.png …
      rose/   c.jpg …

Classes are the subfolder names in sorted order. The base's task decides each image's features: a
classifier with an embedding output gives ``edgeward.load(base).embed(image)`` (EfficientNet-Lite0: 1280
numbers), a pose package (PoseNet, MoveNet) the pose features of its best pose (train/poses.py).
Names starting with '.' (.DS_Store, .git) are ignored. Anything else that is not an image — a file
that is not a decodable image, a file beside the class folders, a folder inside a class folder — is
**refused** before any image is embedded, with one line naming it: a silently smaller dataset would
train a different model than the one its owner thinks they trained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from edgeward.errors import ImageError, TaskError, TrainingError
from edgeward.package.manifest import ClassifyPostprocess
from edgeward.runtime.image import bomb_message, check_size
from edgeward.train.data import Dataset

DEFAULT_BASE = "efficientnet-lite0"
Progress = Callable[[int, int, Path], object]
"""(images done, total, the image being embedded)."""


@dataclass(frozen=True)
class ImageDataset:
    """The features as a Dataset, the image behind each row, the base package (its handle) and what the
    features are (the manifest's head.features: 'embedding' or 'pose')."""

    dataset: Dataset
    paths: list[Path]
    base: Any
    features: str = "embedding"


def embedding_base(spec: str) -> Any:
    """The handle of ``spec``: a classifier with an embedding output, or a pose package; TaskError naming
    it otherwise."""
    import edgeward

    handle = edgeward.load(spec)
    post = handle.manifest.postprocess
    if handle.manifest.task != "pose" and (not isinstance(post, ClassifyPostprocess) or post.embedding is None):
        raise TaskError(f"{handle.name}: a '{handle.manifest.task}' package with no embedding output "
                        f"(postprocess.embedding); a base must be a classifier that has one, e.g. {DEFAULT_BASE}, "
                        f"or a pose package (posenet, a movenet)")
    return handle


def _visible(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _check_image(path: Path) -> None:
    if not path.is_file():
        raise TrainingError(f"{path}: not an image file (a class folder holds image files only)")
    try:
        with Image.open(path) as img:
            check_size(img, str(path))  # a decompression bomb: refused on its header
            img.verify()  # the header and structure, without decoding every pixel
    except ImageError as e:
        raise TrainingError(str(e)) from None
    except Image.DecompressionBombError as e:
        raise TrainingError(f"{path}: {bomb_message(e)}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        reason = "not an image" if isinstance(e, UnidentifiedImageError) else f"a broken image ({e})"
        raise TrainingError(f"{path}: {reason}; an image folder holds only images (remove or move it)") from None


def scan(folder: str | Path) -> tuple[list[str], list[tuple[Path, int]]]:
    """(class names, [(image path, class index)]) of an image folder, every rule of the module checked."""
    root = Path(folder)
    if not root.is_dir():
        raise TrainingError(f"{root}: not a folder")
    entries = _visible(root)
    stray = [p for p in entries if not p.is_dir()]
    if stray:
        raise TrainingError(f"{stray[0]}: a file beside the class folders; put images in one subfolder per class")
    if len(entries) < 2:
        found = f"one ({entries[0].name!r})" if entries else "none"
        raise TrainingError(f"{root}: {found} class folder; training needs at least 2 (one subfolder per class)")
    labels = [p.name for p in entries]
    items: list[tuple[Path, int]] = []
    for c, class_dir in enumerate(entries):
        files = _visible(class_dir)
        if not files:
            raise TrainingError(f"{class_dir}: class {class_dir.name!r} has no images")
        for path in files:
            _check_image(path)
            items.append((path, c))
    return labels, items


def image_folder(folder: str | Path, base: str = DEFAULT_BASE, on_progress: Progress | None = None) -> ImageDataset:
    """Features of every image of ``folder`` from ``base`` (checked first: folder rules, then the base)."""
    labels, items = scan(folder)
    handle = embedding_base(base)
    m = handle.manifest
    features = "pose" if m.task == "pose" else "embedding"
    if features == "pose":
        from edgeward.train.poses import pose_rows

        rows = pose_rows(handle, [p for p, _ in items], on_progress)
    else:
        rows = []
        for i, (path, _) in enumerate(items):
            if on_progress is not None:
                on_progress(i, len(items), path)
            rows.append(np.asarray(handle.embed(path), dtype=np.float64))
        if on_progress is not None and items:
            on_progress(len(items), len(items), items[-1][0])
    source = f"{Path(folder)} (images → {m.name}@{m.version} {'pose features' if features == 'pose' else features})"
    dataset = Dataset(np.array(rows), np.array([c for _, c in items], dtype=np.int64), labels, source)
    return ImageDataset(dataset, [p for p, _ in items], handle, features)
