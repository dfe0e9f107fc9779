"""A trained head → a model package in the store, every graph checked by onnxruntime first.

Two shapes (the manifest's ``head`` says which head, ``training`` how it was trained):
  * ``features`` (raw numbers, pose features): files.fp32 is the head graph (onnx_graphs.py).
  * ``classify`` (a head on a base package's embedding): files.fp32 is the base graph and the head in
    one (image in; outputs ``head_probabilities`` and the base's ``embedding``), files.head the head
    alone — so ``edgeward classify``, ``edgeward.load`` and ``createClassifier`` run it unchanged.
Checks before anything is written: a linear / MLP head's probabilities within 1e-5 of the Python
model's on the given rows, a KNN head's predicted classes identical (and votes equal); the joined graph
against the base's embedding + the Python head on the given images. The package is then written
beside its final folder and renamed into place (``write_package``): on any error nothing is left.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx

import edgeward
from edgeward.errors import OptionError, VerificationError
from edgeward.package.build import tensor_specs
from edgeward.package.manifest import ClassifyPostprocess, HeadSpec, Manifest, Provenance, TrainingReport
from edgeward.package.store import file_entry, packages_root, write_package
from edgeward.runtime.image import ImageInput, load_image
from edgeward.runtime.model import Model
from edgeward.runtime.preprocess import letterbox, to_input_dtype
from edgeward.runtime.session import build_session, runner
from edgeward.train import onnx_graphs
from edgeward.train.head import TrainedHead
from edgeward.train.knn import KnnModel

TrainedModel = TrainedHead | KnnModel
HEAD_TOLERANCE = 1e-5
PREFIX = "head_"


def predict_proba(model: TrainedModel, x: np.ndarray) -> np.ndarray:
    """The Python model's probabilities [m, classes] (KNN: votes / k)."""
    return model.predict_many(x)[1] if isinstance(model, KnnModel) else model.predict_proba(x)


def head_spec(model: TrainedModel, features: str) -> HeadSpec:
    if isinstance(model, KnnModel):
        return HeadSpec(kind="knn", features=features, dim=model.examples.shape[1],  # type: ignore[arg-type]
                        input=onnx_graphs.INPUT, output=onnx_graphs.OUTPUT, k=model.k)
    hidden = model.layers[0][0].shape[1] if len(model.layers) > 1 else None
    return HeadSpec(kind=model.kind, features=features, dim=len(model.mean),  # type: ignore[arg-type]
                    input=onnx_graphs.INPUT, output=onnx_graphs.OUTPUT, hidden=hidden, standardized=True)


def head_graph(model: TrainedModel, opset: int = onnx_graphs.OPSET,
               ir_version: int = onnx_graphs.IR_VERSION) -> onnx.ModelProto:
    if isinstance(model, KnnModel):
        return onnx_graphs.knn_graph(model, opset, ir_version)
    return onnx_graphs.head_graph(model, opset, ir_version)


def compare(model: TrainedModel, got: np.ndarray, expected: np.ndarray, what: str) -> float:
    """max |Δp| of ``got`` (onnxruntime) against ``expected`` (Python); VerificationError past the rule."""
    diff = float(np.abs(got.astype(np.float64) - expected).max()) if len(expected) else 0.0
    if isinstance(model, KnnModel):
        same = np.argmax(got, axis=1) == np.argmax(expected, axis=1)
        if not same.all() or diff > 1e-6:
            row = int(np.flatnonzero(~same)[0]) if not same.all() else int(np.argmax(np.abs(got - expected).max(1)))
            raise VerificationError(f"{what}: the KNN graph disagrees with the Python model on row {row} "
                                    f"(max |Δ votes/k| {diff:.3g})")
    elif diff > HEAD_TOLERANCE:
        raise VerificationError(f"{what}: max |Δp| {diff:.3g} against the Python head (tolerance {HEAD_TOLERANCE})")
    return diff


def verify_head(graph: onnx.ModelProto, model: TrainedModel, x: np.ndarray) -> float:
    """Run the head graph on rows ``x`` [m, D] and compare (see ``compare``)."""
    got = runner(build_session(graph))({onnx_graphs.INPUT: np.asarray(x, dtype=np.float32)})[onnx_graphs.OUTPUT]
    return compare(model, got, predict_proba(model, x), "head graph")


def check_new(name: str, version: str, force: bool, root: Path | None = None) -> Path:
    """The package folder ``name@version`` will take; OptionError when it is taken (unless ``force``)."""
    target = packages_root(root) / name / version
    if target.exists() and not force:
        raise OptionError(f"package {name}@{version} already exists ({target}); pass --force (force=True) to "
                          f"replace it, or another --version")
    return target


def _provenance(report: TrainingReport, diffs: dict[str, float], cases: list[str], images: list[str]) -> Provenance:
    return Provenance(source=f"edgeward train: {report.data}", converter=f"edgeward {edgeward.__version__} (train)",
                      parity_max_abs_diff=diffs, parity_cases=cases, parity_images=images)


def export_features(model: TrainedModel, name: str, version: str, report: TrainingReport, check_x: np.ndarray,
                    features: str = "raw", base: str | None = None, license: str = "unknown",
                    check_what: str = "held-out rows", root: Path | None = None, force: bool = False) -> Path:
    """A ``features`` package: the head graph is files.fp32; ``check_x`` are the rows it is checked on."""
    check_new(name, version, force, root)
    graph = head_graph(model)
    diff = verify_head(graph, model, check_x)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.fp32.onnx"
        onnx.save(graph, str(path))
        inputs, outputs = tensor_specs(path)
        manifest = Manifest(name=name, version=version, task="features", files={"fp32": file_entry(path)},
                            inputs=inputs, outputs=outputs, labels=list(model.labels),
                            provenance=_provenance(report, {onnx_graphs.OUTPUT: diff},
                                                   [f"{len(check_x)} {check_what}"], []),
                            license=license, base=base, head=head_spec(model, features), training=report)
        return write_package(manifest, {"fp32": path}, root)


def export_classifier(model: TrainedModel, name: str, version: str, report: TrainingReport, base: Model,
                      check_x: np.ndarray, check_images: Sequence[ImageInput] = (), check_names: Sequence[str] = (),
                      check_what: str = "held-out rows", root: Path | None = None, force: bool = False) -> Path:
    """A ``classify`` package: ``base``'s graph + the head (files.fp32) and the head alone (files.head).
    ``check_x``: embeddings the head is checked on; ``check_images``: images the joined graph is run on,
    compared with the base's embedding of each through the Python head."""
    check_new(name, version, force, root)
    bm = base.manifest
    post = bm.postprocess
    if not isinstance(post, ClassifyPostprocess) or post.embedding is None:
        raise OptionError(f"{bm.name}: no embedding output to put a head on")
    base_graph = onnx.load(str(base.directory / bm.files["fp32"].path))
    opset, ir_version = onnx_graphs.base_format(base_graph)
    graph = head_graph(model, opset, ir_version)
    diffs = {onnx_graphs.OUTPUT: verify_head(graph, model, check_x)}
    joined = onnx_graphs.join(base_graph, graph, post.embedding, PREFIX)
    diffs.update(_verify_joined(joined, model, base, check_images))
    with tempfile.TemporaryDirectory() as tmp:
        files = {"fp32": Path(tmp) / "model.fp32.onnx", "head": Path(tmp) / "head.onnx"}
        onnx.save(joined, str(files["fp32"]))
        onnx.save(graph, str(files["head"]))
        _, outputs = tensor_specs(files["fp32"])
        manifest = Manifest(
            name=name, version=version, task="classify",
            files={variant: file_entry(path) for variant, path in files.items()},
            inputs=bm.inputs, outputs=outputs, preprocess=bm.preprocess,
            postprocess=ClassifyPostprocess(output=PREFIX + onnx_graphs.OUTPUT, embedding=post.embedding),
            labels=list(model.labels),
            provenance=_provenance(report, diffs, [f"{len(check_x)} {check_what}"], list(check_names)),
            license=bm.license, base=f"{bm.name}@{bm.version}", head=head_spec(model, "embedding"), training=report)
        return write_package(manifest, files, root)


def _verify_joined(joined: onnx.ModelProto, model: TrainedModel, base: Model,
                   images: Sequence[ImageInput]) -> dict[str, float]:
    """The joined graph on each image against base embedding → Python head (and the embedding itself)."""
    if not images:
        return {}
    bm = base.manifest
    post = bm.postprocess
    assert isinstance(post, ClassifyPostprocess) and post.embedding is not None
    run = runner(build_session(joined))
    spec = bm.inputs[0]
    got, embeddings, expected = [], [], []
    for image in images:
        x, _ = letterbox(load_image(image), bm.preprocess)
        feeds = {spec.name: to_input_dtype(x, spec.dtype)}
        out = run(feeds)
        got.append(out[PREFIX + onnx_graphs.OUTPUT].reshape(-1))
        embeddings.append(out[post.embedding].reshape(-1))
        expected.append(base.run(feeds)[post.embedding].reshape(-1))
    embedding_diff = float(np.abs(np.array(embeddings) - np.array(expected)).max())
    if embedding_diff > 1e-4:
        raise VerificationError(f"joined graph: its embedding differs from {bm.name}'s by {embedding_diff:.3g}")
    probs = predict_proba(model, np.array(expected, dtype=np.float64))  # the chain the head was trained on
    diff = compare(model, np.array(got), probs, "joined graph")
    return {PREFIX + onnx_graphs.OUTPUT: diff, post.embedding: embedding_diff}
