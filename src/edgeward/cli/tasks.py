"""``edgeward pose | detect | classify | embed``: run a task on one image through ``edgeward.load``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import RenderableType

from edgeward.cli.exit_codes import friendly
from edgeward.cli.options import ModelOption, RegistryOption, Resize, Variant, VariantOption
from edgeward.cli.output import Column, JsonFlag, emit, table
from edgeward.errors import OptionError

ImageArg = Annotated[Path, typer.Argument(help="An image file")]
_KEYPOINTS = [Column("name", "keypoint"), Column("x", fmt=".1f", right=True), Column("y", fmt=".1f", right=True),
              Column("score", fmt=".2f", right=True)]
_DETECTIONS = [Column("label"), Column("score", fmt=".2f", right=True),
               *(Column(k, fmt=".1f", right=True) for k in ("x1", "y1", "x2", "y2"))]
_CLASSES = [Column("class_id", right=True), Column("label"), Column("score", fmt=".4f", right=True)]


def _handle(image: Path, model: str, variant: Variant, registry: str | None) -> Any:
    """The task handle for ``model``; the image is checked first, so a bad path fails before a model loads."""
    import edgeward
    from edgeward.runtime.image import load_image

    load_image(image)
    return edgeward.load(model, variant=variant.value, registry_url=registry)


@friendly
def pose(
    image: ImageArg,
    model: ModelOption = "posenet",
    multi: Annotated[bool, typer.Option("--multi", help="Multi-pose decoding")] = False,
    max_poses: Annotated[int, typer.Option(help="Most poses to return with --multi")] = 5,
    score_threshold: Annotated[float, typer.Option(help="Minimum pose (and root part) score")] = 0.5,
    nms_radius: Annotated[float, typer.Option(help="NMS radius in image pixels")] = 20.0,
    flip: Annotated[bool, typer.Option("--flip", help="Mirror x (for selfie views)")] = False,
    resize: Annotated[Resize, typer.Option(
        help="Pre-processing: the package's own letterbox, or tfjs-posenet (@tensorflow-models/posenet's: pad to "
             "the input's aspect with black, TF.js bilinear resize) for the poses a TF.js app gets")] = Resize.package,
    browser: Annotated[bool, typer.Option("--browser", help="Run in headless Chromium instead")] = False,
    variant: VariantOption = Variant.fp32,
    registry: RegistryOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Estimate poses in an image, in Python (onnxruntime) or in the browser runtime."""
    opts: dict[str, Any] = {"max_poses": max_poses if multi else 1, "score_threshold": score_threshold,
                            "nms_radius": nms_radius, "flip_horizontal": flip,
                            "resize": None if resize is Resize.package else resize.value}
    if browser:
        from edgeward.browser.harness import estimate_poses_in_browser

        if registry:
            raise OptionError("--browser runs packages from the local store: drop --registry")
        poses = estimate_poses_in_browser(model, image, variant.value, **opts)  # the same file as Python's
    else:
        poses = _handle(image, model, variant, registry).estimate_poses(image, **opts)

    def render() -> list[RenderableType]:
        if not poses:
            return [f"no pose scored ≥ {score_threshold}"]
        return [table(p["keypoints"], _KEYPOINTS, f"pose {i + 1}: score {p['score']:.3f}")
                for i, p in enumerate(poses)]

    emit(poses, as_json, render)


@friendly
def detect(
    image: ImageArg,
    model: ModelOption = "centernet",
    score_threshold: Annotated[float, typer.Option(help="Minimum detection score")] = 0.3,
    iou_threshold: Annotated[float, typer.Option(help="Class-wise NMS overlap limit")] = 0.5,
    max_detections: Annotated[int, typer.Option(help="Most detections to return")] = 20,
    variant: VariantOption = Variant.fp32,
    registry: RegistryOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Detect objects in an image (boxes in image pixels, best first)."""
    found = _handle(image, model, variant, registry).detect(
        image, score_threshold=score_threshold, iou_threshold=iou_threshold, max_detections=max_detections)
    rows = [{**d, **dict(zip(("x1", "y1", "x2", "y2"), d["box"], strict=True))} for d in found]
    emit(found, as_json, lambda: table(rows, _DETECTIONS, f"{len(found)} detection(s) in {image.name}"))


@friendly
def classify(
    image: ImageArg,
    model: ModelOption = "efficientnet-lite0",
    top_k: Annotated[int, typer.Option("--top-k", help="How many classes to return")] = 5,
    variant: VariantOption = Variant.fp32,
    registry: RegistryOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Classify an image (ImageNet classes with EfficientNet-Lite0), best first."""
    from edgeward.tasks.classify import check_top_k

    check_top_k(top_k)  # before the image: an OptionError (exit 2) for --top-k 0
    found = _handle(image, model, variant, registry).classify(image, top_k=top_k)
    emit(found, as_json, lambda: table(found, _CLASSES, f"top {len(found)} class(es) for {image.name}"))


@friendly
def embed(
    image: ImageArg,
    model: ModelOption = "efficientnet-lite0",
    variant: VariantOption = Variant.fp32,
    registry: RegistryOption = None,
    as_json: JsonFlag = False,
) -> None:
    """A classifier's penultimate features for an image (for transfer learning); --json prints the vector."""
    import numpy as np

    features = np.asarray(_handle(image, model, variant, registry).embed(image), dtype=np.float32)
    stats = {"size": features.size, "l2_norm": float(np.linalg.norm(features)), "min": float(features.min()),
             "mean": float(features.mean()), "max": float(features.max())}
    emit(features, as_json, lambda: table([stats], [Column("size", right=True), *(
        Column(k, fmt=".4f", right=True) for k in ("l2_norm", "min", "mean", "max"))],
        f"embedding of {image.name}"))
