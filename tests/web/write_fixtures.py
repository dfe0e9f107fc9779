"""JSON fixtures for the JS tests (``node --test web/test/``): real inputs through the Python oracle.

    .venv/bin/python -m tests.web.write_fixtures OUT_DIR [NAME ...]
    EDGEWARD_FIXTURES=OUT_DIR node --test web/test/

Each writer in ``WRITERS`` returns one JSON document, written as ``OUT_DIR/<name>.json``: the inputs
(real photos from scikit-image and @vladmandic/human; real outputs of the zoo packages run by
onnxruntime) and what the Python oracle returns for them. The JS test of the same module reads it and
must give the same answer. To add a module: write ``def _mine(ctx: Context) -> dict`` below and
register it with ``@writer("mine")``.

float32 tensors are plain lists of their shortest float32 decimals (``Float32Array.from`` gives back
the same float32 values); float64 results are written exactly (Python's ``repr``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.package.manifest import LetterboxPreprocess
from edgeward.package.store import package_dir
from edgeward.runtime.model import Model
from edgeward.runtime.preprocess import letterbox, to_input_dtype
from edgeward.tasks import classify, movenet, nms, posenet, roi

Fixture = dict[str, Any]
WRITERS: dict[str, Callable[[Context], Fixture]] = {}


def writer(name: str) -> Callable[[Callable[[Context], Fixture]], Callable[[Context], Fixture]]:
    """Register a fixture writer: ``name`` is the file (``<name>.json``) its JS test reads."""
    def register(fn: Callable[[Context], Fixture]) -> Callable[[Context], Fixture]:
        if name in WRITERS:
            raise ValueError(f"fixture '{name}' is registered twice")
        WRITERS[name] = fn
        return fn
    return register


def f32(a: Any) -> list[float]:
    """A float32 array as a flat list of its shortest decimals (round-trips through Float32Array)."""
    x = np.asarray(a, dtype=np.float32).reshape(-1)
    if not np.isfinite(x).all():
        raise ValueError("fixture tensors must be finite")
    out = [float(str(v)) for v in x]
    if not np.array_equal(np.asarray(out, dtype=np.float32), x):  # the decimals give back the same float32s
        raise AssertionError("a float32 value did not round-trip through its shortest decimal")
    return out


def tensor(a: np.ndarray) -> Fixture:
    """{dims, data}: a float32 tensor, row-major."""
    return {"dims": list(a.shape), "data": f32(a)}


def f64(a: Any) -> list[float]:
    return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]


def raw_pose(p: posenet.RawPose) -> Fixture:
    return {"score": float(p.score), "ys": f64(p.ys), "xs": f64(p.xs), "scores": f64(p.scores)}


class Context:
    """Photos and zoo models, loaded once and shared by the writers."""

    @cached_property
    def astronaut(self) -> np.ndarray:
        import skimage.data

        return np.ascontiguousarray(skimage.data.astronaut()[..., :3])

    @cached_property
    def coffee(self) -> np.ndarray:
        import skimage.data

        return np.ascontiguousarray(skimage.data.coffee()[..., :3])

    @cached_property
    def party(self) -> np.ndarray:
        """The group photo of @vladmandic/human's samples.jpg (about a dozen people)."""
        from edgeward.zoo.photos import calibration_photos

        return next(p.rgb for p in calibration_photos() if p.name == "samples-party")

    @cached_property
    def webcam(self) -> np.ndarray:
        """A webcam photo of one person (@vladmandic/human's screenshot-vrm.jpg)."""
        from edgeward.zoo.photos import heldout_photos

        return next(p.rgb for p in heldout_photos() if p.name == "vrm-webcam")

    def model(self, name: str) -> Model:
        cache = self.__dict__.setdefault("_models", {})
        if name not in cache:
            cache[name] = Model(package_dir(name))
        return cache[name]

    def run(self, name: str, rgb: np.ndarray) -> tuple[dict[str, np.ndarray], Any]:
        """Letterbox ``rgb`` for package ``name`` and run it: (outputs, letterbox box)."""
        model = self.model(name)
        spec = model.manifest.inputs[0]
        x, box = letterbox(rgb, model.manifest.preprocess)
        return model.run({spec.name: to_input_dtype(x, spec.dtype)}), box


    def poses(self, name: str, rgb: np.ndarray, flipped: bool) -> list[Fixture]:
        """The best pose of a PoseNet / MoveNet package in image pixels ([{score, keypoints}]), made from
        the low-level decoders; ``flipped``: x mirrored, as with flip_horizontal."""
        manifest = self.model(name).manifest
        post = manifest.postprocess
        out, box = self.run(name, rgb)
        if post.kind == "posenet":
            heat = out[post.outputs["heatmap"]][0]
            scores = posenet.sigmoid(heat) if post.heatmap_activation == "sigmoid" else heat
            raw = posenet.decode_single(scores, out[post.outputs["offset"]][0], post.output_stride)
        else:
            in_h, in_w = manifest.preprocess.size
            raw = movenet.decode_movenet(out[post.output], len(post.keypoints), in_h, in_w, post.multipose, 1, 0.0)[0]
        xs, ys = box.to_image(raw.xs, raw.ys)
        if flipped:
            xs = (rgb.shape[1] - 1) - xs
        return [{"score": float(raw.score), "keypoints": [
            {"name": n, "x": float(x), "y": float(y), "score": float(sc)}
            for n, x, y, sc in zip(post.keypoints, xs, ys, raw.scores, strict=True)]}]


# --- pre-processing -------------------------------------------------------------------------------

@writer("preprocess")
def _preprocess(ctx: Context) -> Fixture:
    """letterbox / center_crop of small real crops, with the zoo's own scale/offset; int32 inputs."""
    post = ctx.model("posenet").manifest.preprocess
    moves = ctx.model("movenet-lightning").manifest.preprocess
    effnet = ctx.model("efficientnet-lite0").manifest.preprocess
    crops = {  # name: (rgb, spec)
        "astronaut-eye-up": (ctx.astronaut[80:95, 200:220], post.model_copy(update={"size": [40, 28]})),
        "astronaut-down": (ctx.astronaut[10:110, 150:230], post.model_copy(update={"size": [24, 30]})),
        "coffee-pad": (ctx.coffee[100:171, 200:260], post.model_copy(update={"size": [32, 32], "pad_value": -0.5})),
        "coffee-crop": (ctx.coffee[50:110, 150:250], effnet.model_copy(update={"size": [30, 30]})),
        "party-crop-tall": (ctx.party[0:90, 300:340], effnet.model_copy(update={"size": [20, 36]})),
        "party-int": (ctx.party[200:260, 600:670], moves.model_copy(update={"size": [28, 28]})),
    }
    cases = []
    for name, (rgb, spec) in crops.items():
        spec = LetterboxPreprocess.model_validate(spec.model_dump())
        x, box = letterbox(np.ascontiguousarray(rgb), spec)
        cases.append({
            "name": name, "width": int(rgb.shape[1]), "height": int(rgb.shape[0]),
            "rgb": [int(v) for v in rgb.reshape(-1)], "spec": spec.model_dump(mode="json"),
            "box": {"scale": box.scale, "padX": box.pad_x, "padY": box.pad_y},
            "output": tensor(x), "int32": [int(v) for v in to_input_dtype(x, "int32").reshape(-1)],
        })
    return {"cases": cases}


# --- PoseNet --------------------------------------------------------------------------------------

@writer("posenet")
def _posenet(ctx: Context) -> Fixture:
    """decode_single / decode_multiple on PoseNet's real outputs for a one-person and a group photo."""
    model = ctx.model("posenet")
    post = model.manifest.postprocess
    chain = [[int(a), int(b)] for a, b in post.pose_chain]
    photos = []
    for name, rgb in (("astronaut", ctx.astronaut), ("party", ctx.party)):
        out, box = ctx.run("posenet", rgb)
        heat = out[post.outputs["heatmap"]][0]
        scores = posenet.sigmoid(heat)
        offsets = out[post.outputs["offset"]][0]
        fwd, bwd = out[post.outputs["displacement_fwd"]][0], out[post.outputs["displacement_bwd"]][0]
        multiple = []
        for max_poses, threshold, radius, refine in ((5, 0.25, 20.0, 2), (10, 0.1, 10.0, 2), (3, 0.5, 30.0, 0)):
            poses = posenet.decode_multiple(scores, offsets, fwd, bwd, post.output_stride, chain, max_poses,
                                            threshold, radius * box.scale, refine)
            multiple.append({"maxPoses": max_poses, "scoreThreshold": threshold, "nmsRadius": radius * box.scale,
                             "refineSteps": refine, "poses": [raw_pose(p) for p in poses]})
        photos.append({
            "name": name, "heatmap": tensor(heat), "scores": tensor(scores), "offsets": tensor(offsets),
            "displacementFwd": tensor(fwd), "displacementBwd": tensor(bwd),
            "single": raw_pose(posenet.decode_single(scores, offsets, post.output_stride)), "multiple": multiple,
        })
    return {"outputStride": post.output_stride, "chain": chain, "photos": photos}


# --- MoveNet --------------------------------------------------------------------------------------

@writer("movenet")
def _movenet(ctx: Context) -> Fixture:
    """decode_movenet on MoveNet Lightning (single) and MultiPose outputs for real photos."""
    cases = []
    for package, photo, rgb in (("movenet-lightning", "astronaut", ctx.astronaut),
                                ("movenet-lightning", "webcam", ctx.webcam),
                                ("movenet-multipose", "party", ctx.party)):
        manifest = ctx.model(package).manifest
        post = manifest.postprocess
        out, _ = ctx.run(package, rgb)
        output = out[post.output]
        in_h, in_w = manifest.preprocess.size
        decoded = []
        for max_poses, threshold in ((1, 0.0), (6, 0.0), (6, 0.2), (3, 0.35), (6, 0.9)):
            poses = movenet.decode_movenet(output, len(post.keypoints), in_h, in_w, post.multipose,
                                           max_poses, threshold)
            decoded.append({"maxPoses": max_poses, "scoreThreshold": threshold, "poses": [raw_pose(p) for p in poses]})
        cases.append({"package": package, "photo": photo, "numKeypoints": len(post.keypoints), "inputH": in_h,
                      "inputW": in_w, "multipose": post.multipose, "output": tensor(output), "decoded": decoded})
    return {"cases": cases}


# --- NMS ------------------------------------------------------------------------------------------

@writer("nms")
def _nms(ctx: Context) -> Fixture:
    """Class-wise NMS on CenterNet's real boxes (model-input pixels) for a group photo and a still life."""
    cases = []
    for photo, rgb in (("party", ctx.party), ("coffee", ctx.coffee)):
        manifest = ctx.model("centernet").manifest
        rows = ctx.run("centernet", rgb)[0][manifest.postprocess.output].reshape(-1, 6).astype(np.float64)
        rows = rows[rows[:, 4] >= 0.05]
        boxes, scores, classes = rows[:, :4], rows[:, 4], rows[:, 5].astype(np.int64)
        runs = [{"iouThreshold": t, "maxDetections": m, "kept": nms.nms(boxes, scores, classes, t, m)}
                for t, m in ((0.5, 20), (0.3, 100), (0.7, 5), (0.0, 100), (1.0, 100))]
        first = range(min(len(rows), 8))
        pairs = [[i, j, nms.iou(boxes[i], boxes[j])] for i in first for j in first]
        cases.append({"photo": photo, "boxes": [f64(b) for b in boxes], "scores": f64(scores),
                      "classes": [int(c) for c in classes], "runs": runs, "iou": pairs})
    return {"cases": cases}


# --- ROI ------------------------------------------------------------------------------------------

@writer("roi")
def _roi(ctx: Context) -> Fixture:
    """next_roi on real PoseNet / MoveNet poses, as captured and mirrored, for several input shapes."""
    cases = []
    for package, photo, rgb in (("posenet", "astronaut", ctx.astronaut), ("posenet", "webcam", ctx.webcam),
                                ("movenet-lightning", "party", ctx.party), ("movenet-lightning", "coffee", ctx.coffee)):
        h, w = rgb.shape[:2]
        for flipped in (False, True):
            poses = ctx.poses(package, rgb, flipped)
            for size, opts in (([385, 385], {}), ([192, 192], {"minScore": 0.5}), ([256, 192], {"margin": 0.1}),
                               ([192, 256], {"minFraction": 0.9}), ([385, 385], {"minScore": 0.99}),
                               ([385, 385], {"minFraction": 0.0, "margin": 0.0})):
                kwargs = {"min_score": opts.get("minScore", roi.DEFAULT_MIN_SCORE),
                          "margin": opts.get("margin", roi.DEFAULT_MARGIN),
                          "min_fraction": opts.get("minFraction", roi.DEFAULT_MIN_FRACTION)}
                crop = roi.next_roi(poses, w, h, size, flipped=flipped, **kwargs)
                cases.append({"package": package, "photo": photo, "width": w, "height": h, "inputSize": size,
                              "options": {**opts, "flipped": flipped}, "poses": poses,
                              "roi": list(crop) if crop is not None else None})
    cases.append({"package": None, "photo": None, "width": 640, "height": 480, "inputSize": [385, 385],
                  "options": {}, "poses": [], "roi": roi.next_roi([], 640, 480, [385, 385])})
    return {"minKeypoints": roi.MIN_KEYPOINTS,
            "defaults": {"minScore": roi.DEFAULT_MIN_SCORE, "margin": roi.DEFAULT_MARGIN,
                         "minFraction": roi.DEFAULT_MIN_FRACTION, "flipped": False},
            "cases": cases}


# --- top-k ----------------------------------------------------------------------------------------

@writer("classify")
def _classify(ctx: Context) -> Fixture:
    """top_k of EfficientNet-Lite0's real probabilities (and of the same rounded to 2 decimals: ties)."""
    manifest = ctx.model("efficientnet-lite0").manifest
    labels = manifest.labels or []
    cases = []
    for photo, rgb in (("coffee", ctx.coffee), ("astronaut", ctx.astronaut)):
        probs = ctx.run("efficientnet-lite0", rgb)[0][manifest.postprocess.output].reshape(-1).astype(np.float32)
        for variant, scores in (("raw", probs), ("rounded", np.round(probs, 2).astype(np.float32))):
            ks = ((1, True), (5, True), (12, True), (5, False)) + (((1000, True),) if variant == "rounded" else ())
            top = [{"k": k, "labels": named, "classes": classify.top_k(scores, labels if named else None, k)}
                   for k, named in ks]
            cases.append({"photo": photo, "variant": variant, "scores": f32(scores), "top": top})
    return {"labels": labels, "cases": cases}


# --- whole decoders (tasks/pose.py, detect.py, classify.py) ---------------------------------------

def _named(out: dict[str, np.ndarray], post: Any) -> Fixture:
    """The outputs a decoder reads (those postprocess names), as tensors: the rest is dead weight."""
    names = set(post.outputs.values()) if post.kind == "posenet" else {post.output, getattr(post, "embedding", None)}
    return {k: tensor(v) for k, v in out.items() if k in names}


def _box(box: Any) -> Fixture:
    return {"scale": box.scale, "padX": box.pad_x, "padY": box.pad_y, "imageW": box.image_w, "imageH": box.image_h}


@writer("decoders")
def _decoders(ctx: Context) -> Fixture:
    """decode_poses / decode_detections / decode_classification — what the worker calls — on real model
    outputs, with the options (camelCase for the JS), the letterbox and the frame each was given."""
    from edgeward.tasks.classify import ClassifyOptions, decode_classification
    from edgeward.tasks.detect import DetectOptions, decode_detections
    from edgeward.tasks.pose import Frame, PoseOptions, decode_poses

    pose, detect, classification = [], [], []
    for package, photo, rgb in (("posenet", "party", ctx.party), ("movenet-multipose", "party", ctx.party),
                                ("movenet-lightning", "webcam", ctx.webcam)):
        manifest = ctx.model(package).manifest
        h, w = rgb.shape[:2]
        for crop in (None, ((w // 4) // 2 * 2, 0, w, h)):  # whole image; an even-aligned ROI crop
            part = rgb if crop is None else np.ascontiguousarray(rgb[crop[1]:crop[3], crop[0]:crop[2]])
            out, box = ctx.run(package, part)
            frame = Frame(0, 0, w) if crop is None else Frame(crop[0], crop[1], w)
            cases = []
            for max_poses, threshold, radius, flip in ((1, 0.2, 20.0, False), (6, 0.15, 20.0, True),
                                                       (3, 0.3, 40.0, False)):
                options = PoseOptions(max_poses, threshold, radius, flip)
                cases.append({"options": {"maxPoses": max_poses, "scoreThreshold": threshold, "nmsRadius": radius,
                                          "flipHorizontal": flip},
                              "poses": decode_poses(manifest.postprocess, out, box, options, manifest.preprocess.size,
                                                    frame)})
            pose.append({"package": package, "photo": photo, "crop": crop, "frame": frame._asdict(),
                         "postprocess": manifest.postprocess.model_dump(mode="json"),
                         "inputSize": manifest.preprocess.size, "box": _box(box),
                         "outputs": _named(out, manifest.postprocess), "cases": cases})
    manifest = ctx.model("centernet").manifest
    for photo, rgb in (("party", ctx.party), ("coffee", ctx.coffee)):
        out, box = ctx.run("centernet", rgb)
        for threshold, iou, most in ((0.3, 0.5, 20), (0.1, 0.3, 50), (0.6, 0.7, 2)):
            found = decode_detections(manifest.postprocess, out, box, manifest.labels,
                                      DetectOptions(threshold, iou, most))
            detect.append({"photo": photo, "box": _box(box), "outputs": _named(out, manifest.postprocess),
                           "options": {"scoreThreshold": threshold, "iouThreshold": iou, "maxDetections": most},
                           "detections": found})
    detect_post = manifest.postprocess.model_dump(mode="json")
    manifest = ctx.model("efficientnet-lite0").manifest
    for photo, rgb in (("coffee", ctx.coffee),):
        out, _ = ctx.run("efficientnet-lite0", rgb)
        for k, embedding in ((5, False), (3, True)):
            got = decode_classification(manifest.postprocess, out, manifest.labels, ClassifyOptions(k, embedding))
            classification.append({"photo": photo, "outputs": _named(out, manifest.postprocess),
                                   "options": {"topK": k, "embedding": embedding}, "classes": got["classes"],
                                   "embedding": f32(got["embedding"]) if embedding else None})
    return {"pose": pose, "detect": {"postprocess": detect_post, "labels": ctx.model("centernet").manifest.labels,
                                     "cases": detect},
            "classify": {"postprocess": manifest.postprocess.model_dump(mode="json"), "labels": manifest.labels,
                         "cases": classification}}


# --- integrity ------------------------------------------------------------------------------------

@writer("integrity")
def _integrity(ctx: Context) -> Fixture:
    """PoseNet's package folder and its manifest's file entries (sha256 and size as Python computed them)."""
    directory = package_dir("posenet")
    files = json.loads((directory / "manifest.json").read_text())["files"]
    return {"packageDir": str(directory),
            "files": {k: {f: e[f] for f in ("path", "sha256", "bytes")} for k, e in files.items()}}


# --- manifest validation --------------------------------------------------------------------------

ZOO = ("posenet", "movenet-lightning", "movenet-thunder", "movenet-multipose", "centernet", "efficientnet-lite0")


@writer("manifest")
def _manifest(ctx: Context) -> Fixture:
    """The zoo's real manifests (valid, with pydantic's normalised form) and bad copies of them: at
    least one per rule of the JSON Schema (tests/web/manifest_cases.py), each rejected by pydantic."""
    from tests.web import manifest_cases

    manifests = {name: json.loads((package_dir(name) / "manifest.json").read_text()) for name in ZOO}
    return manifest_cases.fixture(manifests)


# More writers live in their own modules; importing one registers them. Run as __main__, this module
# is aliased to its import name first, so they register into this WRITERS and not into a second copy.
sys.modules.setdefault("tests.web.write_fixtures", sys.modules[__name__])
from tests.web import (  # noqa: E402, F401
    export_fixtures,
    federated_fixtures,
    image_fixtures,
    kernels_fixtures,
    manifest_fuzz,
    resize_fixtures,
    size_fixtures,
    train_fixtures,
    variant_fixtures,
)


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    names = argv[1:] or list(WRITERS)
    unknown = [n for n in names if n not in WRITERS]
    if unknown:
        print(f"unknown fixture(s) {', '.join(unknown)}; known: {', '.join(WRITERS)}", file=sys.stderr)
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context()
    for name in names:
        data = WRITERS[name](ctx)
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(data, separators=(",", ":"), allow_nan=False))
        print(f"{path}: {path.stat().st_size / 1e3:.0f} kB")
    index = out_dir / "index.json"  # every fixture in the folder (web/test/helpers.js checks them)
    written = set(json.loads(index.read_text())) if index.is_file() else set()
    index.write_text(json.dumps(sorted(written | set(names))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
