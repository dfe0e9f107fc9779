"""Conversion state shared by the op table: emitted ONNX nodes, initializers and static shapes."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from edgeward.convert.tfjs.reader import TfjsNode
from edgeward.errors import ConversionError

NHWC_TO_NCHW = [0, 3, 1, 2]
NCHW_TO_NHWC = [0, 2, 3, 1]


class Context:
    """Tensors keep TF's (NHWC) meaning; ops needing NCHW wrap themselves in Transposes,
    and ``cancel_transposes`` removes the back-to-back pairs afterwards."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, onnx.TensorProto] = {}
        self.shapes: dict[str, list[int] | None] = {}
        self.consts: dict[str, np.ndarray] = {}
        self._uid = 0

    def fresh(self, base: str) -> str:
        self._uid += 1
        return f"{base}__{self._uid}"

    def tensor(self, tf_input: str) -> str:
        """ONNX tensor name for a TF input reference ('node', 'node:1')."""
        name, _, idx = tf_input.partition(":")
        return name if idx in ("", "0") else f"{name}:{idx}"

    def const_value(self, node: TfjsNode, index: int) -> np.ndarray:
        if not 0 <= index < len(node.inputs):
            raise ConversionError(f"op {node.op} (node '{node.name}'): has no input {index} (inputs {node.inputs})")
        name = self.tensor(node.inputs[index])
        if name not in self.consts:
            raise ConversionError(
                f"op {node.op} (node '{node.name}'): input {index} ('{name}') must be known at conversion "
                "time (a constant, or computed from constants and static shapes: fix the input shape)"
            )
        return self.consts[name]

    def add_initializer(self, name: str, value: np.ndarray) -> str:
        self.initializers[name] = numpy_helper.from_array(np.asarray(value, order="C"), name)  # keeps 0-d scalars 0-d
        self.consts[name] = value
        self.shapes[name] = list(value.shape)
        return name

    def emit(self, op: str, inputs: list[str], outputs: list[str], name: str, **attrs: Any) -> None:
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))

    def transpose(self, x: str, perm: list[int], name: str) -> str:
        out = self.fresh(f"{name}/transpose")
        self.emit("Transpose", [x], [out], name=out, perm=perm)
        shape = self.shapes.get(x)
        if shape is not None and len(shape) != len(perm):
            raise ConversionError(f"node '{name}': input '{x}' has shape {shape}, not {len(perm)}-D (NHWC)")
        self.shapes[out] = [shape[p] for p in perm] if shape else None
        return out


def broadcast_shapes(a: list[int] | None, b: list[int] | None) -> list[int] | None:
    """Numpy broadcasting on static shapes (-1 = unknown); None when either rank is unknown."""
    if a is None or b is None:
        return None
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + list(a), [1] * (n - len(b)) + list(b)
    return [x if y == 1 else y if x == 1 else x if x == y else -1 for x, y in zip(a, b, strict=True)]


def cancel_transposes(graph_outputs: set[str], nodes: list[onnx.NodeProto]) -> list[onnx.NodeProto]:
    """Drop Transpose pairs whose permutations compose to identity (NCHW→NHWC→NCHW)."""
    producer = {o: n for n in nodes for o in n.output}
    consumers: dict[str, int] = {}
    for n in nodes:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    rename: dict[str, str] = {}
    dropped: set[int] = set()
    for n in nodes:
        if n.op_type != "Transpose" or n.output[0] in graph_outputs:
            continue
        first = producer.get(n.input[0])
        if first is None or first.op_type != "Transpose":
            continue
        p1 = list(first.attribute[0].ints)
        p2 = list(n.attribute[0].ints)
        if [p1[p] for p in p2] != list(range(len(p1))):
            continue
        rename[n.output[0]] = first.input[0]
        dropped.add(id(n))
        if consumers.get(first.output[0], 0) == 1 and first.output[0] not in graph_outputs:
            dropped.add(id(first))
    kept = [n for n in nodes if id(n) not in dropped]
    for n in kept:
        for i, name in enumerate(n.input):
            while name in rename:
                name = rename[name]
            n.input[i] = name
    return kept
