"""Trained heads as ONNX graphs (float32), and a head joined onto its base package's graph.

Head (linear / MLP): ``features`` [N, D] → Sub mean → Div std → (MatMul, Add, Relu)… → MatMul, Add →
Softmax → ``probabilities`` [N, C]. KNN: ``features`` → divided by its L2 norm (a zero row stays zero:
it is divided by 1) → MatMul with the stored unit examples [D, M] (a constant) → TopK k (ONNX breaks
ties by the lower index, as the KNN rule does) → Gather the examples' classes → OneHot, ReduceSum / k
→ ``probabilities``. Nothing lives outside the graph, so a package needs no side files.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from edgeward.errors import ConversionError
from edgeward.train.head import TrainedHead
from edgeward.train.knn import KnnModel

INPUT = "features"
OUTPUT = "probabilities"
OPSET = 17  # a features package's own graphs; a joined graph takes its base's opset (>= 13)
IR_VERSION = 8
MIN_OPSET = 13  # ReduceSum with axes as an input


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.ascontiguousarray(value), name)


def _model(nodes: list[onnx.NodeProto], inits: list[onnx.TensorProto], dim: int, classes: int, name: str,
           opset: int, ir_version: int) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", dim])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["N", classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="edgeward")
    model.ir_version = ir_version
    onnx.checker.check_model(model, full_check=True)
    return model


def head_graph(head: TrainedHead, opset: int = OPSET, ir_version: int = IR_VERSION) -> onnx.ModelProto:
    """A linear or MLP head: standardise, the dense layers (ReLU between), softmax."""
    inits = [_const("mean", head.mean.astype(np.float32)), _const("std", head.std.astype(np.float32))]
    nodes = [helper.make_node("Sub", [INPUT, "mean"], ["centred"]),
             helper.make_node("Div", ["centred", "std"], ["a0"])]
    a = "a0"
    for i, (w, b) in enumerate(head.layers):
        inits += [_const(f"W{i}", w.astype(np.float32)), _const(f"b{i}", b.astype(np.float32))]
        nodes += [helper.make_node("MatMul", [a, f"W{i}"], [f"m{i}"]),
                  helper.make_node("Add", [f"m{i}", f"b{i}"], [f"z{i}"])]
        a = f"z{i}"
        if i < len(head.layers) - 1:
            nodes.append(helper.make_node("Relu", [a], [f"h{i}"]))
            a = f"h{i}"
    nodes.append(helper.make_node("Softmax", [a], [OUTPUT], axis=-1))
    return _model(nodes, inits, len(head.mean), len(head.labels), f"{head.kind}_head", opset, ir_version)


def knn_graph(knn: KnnModel, opset: int = OPSET, ir_version: int = IR_VERSION) -> onnx.ModelProto:
    """Cosine KNN with the unit examples as a constant; probabilities are votes / k."""
    n, dim = knn.examples.shape
    k = min(knn.k, n)  # as KnnModel.predict: at most every example votes
    inits = [_const("examples_t", np.ascontiguousarray(knn.examples.astype(np.float32).T)),
             _const("example_classes", knn.example_labels.astype(np.int64)),
             _const("axis1", np.array([1], dtype=np.int64)), _const("zero", np.array(0.0, dtype=np.float32)),
             _const("one", np.array(1.0, dtype=np.float32)), _const("k", np.array([k], dtype=np.int64)),
             _const("depth", np.array(len(knn.labels), dtype=np.int64)),
             _const("onehot_values", np.array([0.0, 1.0], dtype=np.float32)),
             _const("k_float", np.array(float(k), dtype=np.float32))]
    nodes = [
        helper.make_node("Mul", [INPUT, INPUT], ["squares"]),
        helper.make_node("ReduceSum", ["squares", "axis1"], ["norm2"], keepdims=1),
        helper.make_node("Sqrt", ["norm2"], ["norm"]),
        helper.make_node("Greater", ["norm", "zero"], ["nonzero"]),
        helper.make_node("Where", ["nonzero", "norm", "one"], ["divisor"]),
        helper.make_node("Div", [INPUT, "divisor"], ["unit"]),
        helper.make_node("MatMul", ["unit", "examples_t"], ["similarities"]),
        helper.make_node("TopK", ["similarities", "k"], ["top_values", "top_indices"], axis=-1, largest=1, sorted=1),
        helper.make_node("Gather", ["example_classes", "top_indices"], ["top_classes"], axis=0),
        helper.make_node("OneHot", ["top_classes", "depth", "onehot_values"], ["votes_each"], axis=-1),
        helper.make_node("ReduceSum", ["votes_each", "axis1"], ["votes"], keepdims=0),
        helper.make_node("Div", ["votes", "k_float"], [OUTPUT]),
    ]
    return _model(nodes, inits, dim, len(knn.labels), "knn_head", opset, ir_version)


def base_format(base: onnx.ModelProto) -> tuple[int, int]:
    """(default-domain opset, IR version) a head must use to join ``base``."""
    opset = next((o.version for o in base.opset_import if o.domain in ("", "ai.onnx")), 0)
    if opset < MIN_OPSET:
        raise ConversionError(f"the base graph uses opset {opset}; joining a head needs opset >= {MIN_OPSET}")
    return opset, base.ir_version


def join(base: onnx.ModelProto, head: onnx.ModelProto, embedding: str, prefix: str = "head_") -> onnx.ModelProto:
    """One graph: ``base``'s input(s) → ``embedding`` → the head → ``prefix + probabilities``, also
    keeping ``embedding`` as an output. Base nodes no kept output needs (its own classifier) are pruned;
    every head name is prefixed, so nothing collides with the base's names."""
    inputs = [i.name for i in base.graph.input if i.name not in {t.name for t in base.graph.initializer}]
    pruned = onnx.utils.Extractor(base).extract_model(inputs, [embedding])
    prefixed = onnx.compose.add_prefix(head, prefix)
    taken = {n for node in pruned.graph.node for n in (*node.input, *node.output)} | {
        t.name for t in pruned.graph.initializer}
    clash = sorted(taken & {n for node in prefixed.graph.node for n in node.output})
    if clash:
        raise ConversionError(f"head names {clash} collide with the base graph's; choose another prefix")
    merged = onnx.compose.merge_models(pruned, prefixed, io_map=[(embedding, prefix + INPUT)],
                                       outputs=[prefix + OUTPUT, embedding], producer_name="edgeward")
    kept = {o.name: onnx.ValueInfoProto() for o in merged.graph.output}
    for o in merged.graph.output:
        kept[o.name].CopyFrom(o)
    del merged.graph.output[:]
    merged.graph.output.extend([kept[prefix + OUTPUT], kept[embedding]])  # the head's answer first
    onnx.checker.check_model(merged, full_check=True)
    return merged
