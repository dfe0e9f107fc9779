"""Fixtures of the training oracle (src/edgeward/train/) for web/test/train/*.test.js, registered with
write_fixtures' ``@writer``: the PRNG stream, the digits split, KNN predictions, linear and MLP heads
trained 10 epochs, and evaluate(). float64 values are written exactly (repr); camelCase for the JS.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import numpy as np

from edgeward.errors import EdgewardError
from edgeward.train import Rng, data_hash, digits, evaluate, fit_knn, stratified_split, train_head
from edgeward.train import pose_features as pf
from edgeward.train.head import TrainedHead
from edgeward.train.knn import normalize
from edgeward.train.options import HeadOptions
from tests.web.write_fixtures import f32, f64, writer

if TYPE_CHECKING:
    from tests.web.write_fixtures import Context

Fixture = dict[str, Any]
SEEDS = (0, 1, 42, 2**32 - 1)
SPLITS = ((0.3, 0), (0.3, 1), (0.2, 7), (0.5, 3), (0.0, 0))
HEADS: tuple[dict[str, Any], ...] = (  # Python option names; each trained on the default digits split
    {"head": "linear"},
    {"head": "mlp"},
    {"head": "mlp", "hidden": 32, "dropout": 0.2, "optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9,
     "batch_size": 50, "epochs": 3, "seed": 7},
    {"head": "linear", "epochs": 40, "patience": 2, "learning_rate": 0.05},
)


def camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def camel_keys(d: dict[str, Any]) -> dict[str, Any]:
    return {camel(k): v for k, v in d.items()}


def _error(fn: Any) -> Fixture:
    try:
        fn()
    except EdgewardError as e:
        return {"name": type(e).__name__, "message": str(e)}
    raise AssertionError("expected an error")


@writer("train_prng")
def _prng(ctx: Context) -> Fixture:
    """1000 uniforms, 1000 normals and shuffles of several sizes, each from a fresh Rng(seed)."""
    cases = []
    for seed in SEEDS:
        rng = Rng(seed)
        uniforms = [rng.uniform() for _ in range(1000)]
        rng = Rng(seed)
        normals = [rng.normal() for _ in range(1000)]
        rng = Rng(seed)
        shuffles = [{"n": n, "perm": rng.shuffle(n).tolist()} for n in (0, 1, 2, 10, 100, 1000)]
        cases.append({"seed": seed, "uniforms": uniforms, "normals": normals, "shuffles": shuffles,
                      "stateAfterShuffles": rng.state})
    return {"cases": cases}


@writer("train_digits")
def _digits(ctx: Context) -> Fixture:
    """scikit-learn's digits as the trainer sees them (pixels / 16) and the data hash of the report."""
    d = digits()
    return {"rows": int(d.x.shape[0]), "cols": int(d.x.shape[1]), "x": f64(d.x), "y": d.y.tolist(),
            "labels": d.labels, "dataHash": data_hash(d)}


@writer("train_split")
def _split(ctx: Context) -> Fixture:
    """stratified_split of the digits labels for several (test split, seed), and one refusal."""
    y = digits().y
    cases = []
    for test_split, seed in SPLITS:
        train, test = stratified_split(y, test_split, seed)
        cases.append({"testSplit": test_split, "seed": seed, "trainIdx": train.tolist(), "testIdx": test.tolist()})
    small = [0, 0, 0, 0, 1]
    return {"cases": cases, "refused": {"y": small, "testSplit": 0.5, "seed": 0,
                                        "error": _error(lambda: stratified_split(np.array(small), 0.5, 0))}}


@writer("train_knn")
def _knn(ctx: Context) -> Fixture:
    """KNN fitted on the digits training split, predicting every held-out digit, for several k; and the
    tie cases of tests/train/test_knn.py."""
    d = digits()
    train, test = stratified_split(d.y, 0.3, 0)
    runs = []
    for k in (1, 3, 5, 10):
        model = fit_knn(d.x[train], d.y[train], d.labels, k)
        classes, conf = model.predict_many(d.x[test])
        runs.append({"k": k, "classes": classes.tolist(), "confidences": [f64(row) for row in conf]})
    ties = []
    for x, y, k, query in (([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]], [0, 1, 2, 0], 2, [1.0, 0.0]),
                           ([[1.0, 0.0], [1.0, 0.1]], [1, 0], 2, [1.0, 0.0]),
                           ([[1.0, 0.0], [0.0, 1.0], [0.0, 2.0]], [1, 0, 0], 1, [0.0, 0.0])):
        labels = [str(c) for c in range(max(y) + 1)]
        cls, conf = fit_knn(np.array(x), np.array(y), labels, k).predict(np.array(query))
        ties.append({"x": x, "y": y, "k": k, "labels": labels, "query": query, "class": cls, "confidences": f64(conf)})
    return {"trainIdx": train.tolist(), "testIdx": test.tolist(), "runs": runs, "ties": ties,
            "normalized": f32(normalize(d.x[train[:20]]))}


def _head(h: TrainedHead, x_test: np.ndarray) -> Fixture:
    return {"kind": h.kind, "labels": h.labels, "mean": f64(h.mean), "std": f64(h.std),
            "layers": [{"rows": int(w.shape[0]), "cols": int(w.shape[1]), "W": f64(w), "b": f64(b)}
                       for w, b in h.layers],
            "history": [camel_keys(r) for r in h.history], "bestEpoch": h.best_epoch,
            "predicted": [int(c) for c in np.argmax(h.predict_proba(x_test), axis=1)],
            "proba": f64(h.predict_proba(x_test[:20]))}


@writer("train_head")
def _heads(ctx: Context) -> Fixture:
    """Linear and MLP heads trained on the digits split (10 epochs with the defaults; SGD + dropout;
    early stopping): weights, history and held-out predictions."""
    d = digits()
    train, test = stratified_split(d.y, 0.3, 0)
    runs = []
    for options in HEADS:
        head = train_head(d, train, test, options)
        runs.append({"options": camel_keys(options), **_head(head, d.x[test])})
    return {"defaults": camel_keys(asdict(HeadOptions())), "trainIdx": train.tolist(), "testIdx": test.tolist(),
            "runs": runs}


@writer("train_evaluate")
def _evaluate(ctx: Context) -> Fixture:
    """evaluate() of a linear head's held-out predictions (2 epochs: some errors), a case with an empty
    class and one with no examples."""
    d = digits()
    train, test = stratified_split(d.y, 0.3, 0)
    predicted = train_head(d, train, test, {"head": "linear", "epochs": 2}).predict(d.x[test])
    cases = [(d.y[test].tolist(), predicted.tolist(), d.labels),
             ([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], ["cat", "dog", "owl"]), ([], [], ["a", "b"])]
    return {"cases": [{"yTrue": t, "yPred": p, "labels": labels,
                       "result": camel_keys(evaluate(np.array(t, dtype=np.int64), np.array(p, dtype=np.int64), labels))}
                      for t, p, labels in cases]}


def _pose_case(pose: Any, options: dict[str, Any], what: str) -> Fixture:
    """pose_features(pose, **options) as a fixture case: the float32 features, or the error."""
    kwargs = {"threshold": options.get("threshold", 0.3), "flip_horizontal": options.get("flipHorizontal", False),
              "mirrored": options.get("mirrored", False)}
    try:
        return {"what": what, "pose": pose, "options": options, "features": f32(pf.pose_features(pose, **kwargs))}
    except EdgewardError as e:
        return {"what": what, "pose": pose, "options": options, "error": {"name": type(e).__name__, "message": str(e)}}


@writer("train_pose_features")
def _pose_features(ctx: Context) -> Fixture:
    """pose_features of real PoseNet / MoveNet poses: photos as captured, estimated flipped, mirrored
    pictures (with and without the flip), other thresholds; edited poses for every fallback (no hips,
    no torso, keypoints in another order) and every refusal."""
    from edgeward.zoo.photos import heldout_photos

    named = {p.name: p.rgb for p in heldout_photos()}
    photos = {"astronaut": ctx.astronaut, "webcam": ctx.webcam, "party": ctx.party, "camera": named["camera.png"],
              "selfie": named["samples-3"], "seated": named["samples-5"]}
    cases = []
    for package in ("posenet", "movenet-lightning"):
        for photo, rgb in photos.items():
            mirror = np.ascontiguousarray(rgb[:, ::-1])
            for pose, options in ((ctx.poses(package, rgb, False)[0], [{}, {"threshold": 0.5}, {"threshold": 0.1}]),
                                  (ctx.poses(package, rgb, True)[0], [{"flipHorizontal": True}]),
                                  (ctx.poses(package, mirror, True)[0], [{"flipHorizontal": True, "mirrored": True}]),
                                  (ctx.poses(package, mirror, False)[0], [{"mirrored": True}])):
                cases += [_pose_case(pose, o, f"{package} {photo}") for o in options]
    base = ctx.poses("posenet", ctx.webcam, False)[0]

    def edited(**scores: float) -> list[Fixture]:
        return [{**k, "score": scores.get(k["name"], k["score"])} for k in base["keypoints"]]

    kps = base["keypoints"]
    edits: list[tuple[str, Any, dict[str, Any]]] = [
        ("no hips: the shoulders' midpoint", edited(left_hip=0.1, right_hip=0.1), {}),
        ("no hips, no shoulders: the box", edited(left_hip=0.1, right_shoulder=0.2), {}),
        ("another order, a bare list", list(reversed(kps)), {}),
        ("mirrored, no torso", edited(left_hip=0.1), {"mirrored": True, "flipHorizontal": True}),
        ("too few confident", base, {"threshold": 0.999}),
        ("missing", kps[:-1], {}),
        ("twice", [*kps, kps[0]], {}),
        ("unknown name", [*kps[:-1], {**kps[-1], "name": "tail"}], {}),
        ("not a number", [*kps[:-1], {**kps[-1], "x": "7"}], {}),
        ("one point", [{**k, "x": 5.0, "y": 5.0} for k in kps], {}),
        ("threshold", base, {"threshold": 1.5}),
        ("not a pose", {"score": 1.0}, {}),
    ]
    cases += [_pose_case(pose, options, what) for what, pose, options in edits]
    return {"dim": pf.POSE_FEATURE_DIM, "keypoints": list(pf.POSE_KEYPOINTS), "threshold": pf.DEFAULT_THRESHOLD,
            "minKeypoints": pf.MIN_KEYPOINTS, "estimate": camel_keys(pf.POSE_ESTIMATE), "cases": cases}
