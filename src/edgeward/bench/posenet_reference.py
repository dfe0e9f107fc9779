"""@tensorflow-models/posenet itself, run in Node (web/tools/posenet_reference.mjs, TF.js's 'cpu' kernels):
the poses a TF.js app gets, TF.js's own resizeBilinear and posenet's own padding and mapping back.

It is the reference of the pose option ``resize='tfjs-posenet'`` (runtime/tfjs_resize.py), and
:func:`resize_difference` measures what that option changes: per photo, the keypoint distances (image
pixels) between Edgeward with its own letterbox, Edgeward with ``resize='tfjs-posenet'`` and
@tensorflow-models/posenet's ``estimateSinglePose`` on the same model (``bench/posenet_resize.py``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.errors import ToolMissingError, VerificationError
from edgeward.settings import get_settings
from edgeward.vendor import tfjs_node_modules

Poses = list[dict[str, Any]]


def posenet_reference(images: Sequence[np.ndarray], request: dict[str, Any], timeout: float = 600) -> dict[str, Any]:
    """Run web/tools/posenet_reference.mjs on RGB uint8 ``images`` (referred to by index in ``request``);
    ``resize`` / ``pad`` outputs come back as float32 arrays under ``"arrays"``."""
    settings = get_settings()
    node = shutil.which("node")
    if node is None:
        raise ToolMissingError("the posenet reference needs Node.js ('node' is not on PATH)")
    script = settings.web_root / "tools" / "posenet_reference.mjs"
    # the checkout's web/node_modules, or (an installed wheel) TF.js fetched once into EDGEWARD_HOME
    node_modules = tfjs_node_modules(settings, why="the @tensorflow-models/posenet reference")
    with tempfile.TemporaryDirectory(prefix="edgeward-posenet-") as tmp:
        listed = []
        for i, img in enumerate(images):
            f = Path(tmp) / f"image-{i}.rgb"
            np.ascontiguousarray(img, dtype=np.uint8).tofile(f)
            listed.append({"file": str(f), "height": int(img.shape[0]), "width": int(img.shape[1])})
        req = {**request, "images": listed}
        shapes = {}
        for kind in ("resize", "pad"):
            for j, item in enumerate(req.get(kind, [])):
                item["out"] = str(Path(tmp) / f"{kind}-{j}.f32")
                shapes[item["out"]] = (*item["size"], 3)
        (Path(tmp) / "request.json").write_text(json.dumps(req))
        proc = subprocess.run([node, str(script), str(Path(tmp) / "request.json")], capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, "EDGEWARD_TFJS_NODE_MODULES": str(node_modules)})
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
            raise VerificationError(f"{script}: the @tensorflow-models/posenet reference run failed:\n{tail}")
        reply: dict[str, Any] = json.loads(proc.stdout)
        reply["arrays"] = {f: np.fromfile(f, dtype="<f4").reshape(shape) for f, shape in shapes.items()}
    return reply


def tfjs_posenet_poses(package: str, images: Sequence[np.ndarray]) -> tuple[Poses, dict[str, str]]:
    """@tensorflow-models/posenet's single pose for each image, on the original TF.js model the package was
    converted from (in the Edgeward home's npm folder), and the versions that computed them."""
    from edgeward.bench.live import posenet_multiplier
    from edgeward.bench.tfjs_source import installed_model_json
    from edgeward.package.manifest import PoseNetPostprocess
    from edgeward.runtime.model import load_model

    manifest = load_model(package).manifest
    post = manifest.postprocess
    if not isinstance(post, PoseNetPostprocess) or manifest.preprocess is None:
        raise VerificationError(f"{package}: not a PoseNet package (postprocess kind '{getattr(post, 'kind', None)}')")
    model_json = installed_model_json(manifest, get_settings().npm_dir)
    if model_json is None:
        raise ToolMissingError(f"{package}: its TF.js source ({manifest.provenance.source}) is not installed under "
                               f"{get_settings().npm_dir} (`edgeward zoo build {package}` installs it)")
    h, w = manifest.preprocess.size
    request = {"poses": {"model": str(model_json), "outputs": dict(post.outputs), "outputStride": post.output_stride,
                         "inputResolution": h if h == w else {"height": h, "width": w},
                         "multiplier": posenet_multiplier(model_json) or 1.0, "images": list(range(len(images)))}}
    reply = posenet_reference(images, request)
    return reply["poses"], {"tfjs-core": reply["tfjs"], "posenet": reply["posenet"]}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()  # posenet's 'leftEye' is our 'left_eye'


def keypoint_distance(a: dict[str, Any], b: dict[str, Any], min_score: float = 0.5) -> dict[str, float | int]:
    """Mean and max distance (px) between two poses' keypoints matched by name: over all of them, and over
    the ``confident`` ones (scored at least ``min_score`` in both; a weak keypoint can jump to another peak)."""
    where = {_snake(k["name"]): k for k in b["keypoints"]}
    d, sure = [], []
    for k in a["keypoints"]:
        other = where[_snake(k["name"])]
        d.append(float(np.hypot(k["x"] - other["x"], k["y"] - other["y"])))
        if min(k["score"], other["score"]) >= min_score:
            sure.append(d[-1])
    return {"mean_px": float(np.mean(d)), "max_px": float(np.max(d)), "confident": len(sure),
            "confident_mean_px": float(np.mean(sure)) if sure else 0.0,
            "confident_max_px": float(max(sure, default=0.0))}


def resize_difference(package: str, photos: Sequence[tuple[str, np.ndarray]]) -> dict[str, Any]:
    """Per photo: keypoint distances between Edgeward's letterbox, Edgeward's ``resize='tfjs-posenet'`` and
    @tensorflow-models/posenet (single pose, every keypoint whatever its score), and the means over photos."""
    import edgeward

    handle = edgeward.load(package)
    reference, versions = tfjs_posenet_poses(package, [rgb for _, rgb in photos])
    rows = []
    for (name, rgb), tfjs in zip(photos, reference, strict=True):
        own = handle.estimate_poses(rgb, score_threshold=-1.0)[0]
        rule = handle.estimate_poses(rgb, score_threshold=-1.0, resize="tfjs-posenet")[0]
        rows.append({"photo": name, "size": [int(rgb.shape[1]), int(rgb.shape[0])], "score": round(tfjs["score"], 3),
                     "letterbox_vs_tfjs_posenet_rule": keypoint_distance(own, rule),
                     "letterbox_vs_posenet_package": keypoint_distance(own, tfjs),
                     "tfjs_posenet_rule_vs_posenet_package": keypoint_distance(rule, tfjs)})
    keys = ("letterbox_vs_tfjs_posenet_rule", "letterbox_vs_posenet_package", "tfjs_posenet_rule_vs_posenet_package")
    summary = {key: {stat: float((np.max if "max" in stat else np.mean)([r[key][stat] for r in rows]))
                     for stat in ("mean_px", "max_px", "confident_mean_px", "confident_max_px")} for key in keys}
    return {"package": package, "versions": versions, "photos": rows, "summary": summary}
