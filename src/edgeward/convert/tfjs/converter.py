"""Assemble an ONNX model from a TF.js graph through the op table."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper

from edgeward.convert.tfjs import ops as _ops  # noqa: F401  (fills the op table)
from edgeward.convert.tfjs import ops_reduce as _ops_reduce  # noqa: F401
from edgeward.convert.tfjs import ops_shape as _ops_shape  # noqa: F401
from edgeward.convert.tfjs import ops_tensor as _ops_tensor  # noqa: F401
from edgeward.convert.tfjs.context import Context, cancel_transposes
from edgeward.convert.tfjs.folding import try_fold
from edgeward.convert.tfjs.ops import OPS
from edgeward.convert.tfjs.reader import TfjsGraph, TfjsNode, read_tfjs
from edgeward.errors import ConversionError

OPSET = 17
IR_VERSION = 9  # what onnxruntime-web 1.x loads
_ONNX_DTYPES = {"float32": TensorProto.FLOAT, "int32": TensorProto.INT32, "int64": TensorProto.INT64,
                "bool": TensorProto.BOOL, "float16": TensorProto.FLOAT16, "uint8": TensorProto.UINT8}


def _topological(nodes: list[TfjsNode]) -> list[TfjsNode]:
    by_name = {n.name: n for n in nodes}
    order: list[TfjsNode] = []
    state: dict[str, int] = {}
    for root in nodes:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                state[node.name] = 2
                order.append(node)
                continue
            if state.get(node.name):
                continue
            state[node.name] = 1
            stack.append((node, True))
            for ref in node.inputs:
                dep = by_name.get(ref.lstrip("^").split(":")[0])
                if dep is None:
                    raise ConversionError(f"node '{node.name}' ({node.op}): input '{ref}' is not a node")
                if state.get(dep.name) == 1:  # still being expanded: it is on the current path
                    raise ConversionError(f"node '{node.name}' ({node.op}): the graph has a cycle")
                if not state.get(dep.name):
                    stack.append((dep, False))
    return order


def _check_ops(nodes: list[TfjsNode]) -> None:
    missing = [n for n in nodes if n.op not in OPS and n.op not in ("Const", "Placeholder", "NoOp")]
    if missing:
        listed = ", ".join(f"{n.op} (node '{n.name}')" for n in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise ConversionError(
            f"unsupported op(s): {listed}{more}. Supported: {', '.join(sorted(OPS))}. "
            "Add a converter to the op table in edgeward/convert/tfjs/ops.py."
        )


def build_onnx(graph: TfjsGraph, input_shapes: dict[str, list[int]] | None = None) -> onnx.ModelProto:
    """Convert a parsed TF.js graph; ``input_shapes`` overrides the Placeholder shapes."""
    nodes = _topological(graph.nodes)
    _check_ops(nodes)
    ctx = Context(graph.weights)
    inputs = []
    out_names = set(graph.outputs)
    for node in nodes:
        if node.op == "Const":
            if node.name not in graph.weights:
                raise ConversionError(f"Const node '{node.name}' has no value in the weights manifest")
            ctx.consts[node.name] = graph.weights[node.name]
            ctx.shapes[node.name] = list(graph.weights[node.name].shape)
        elif node.op == "Placeholder":
            shape = (input_shapes or {}).get(node.name) or node.attr_shape() or None
            dtype = node.attr_dtype("dtype")
            ctx.shapes[node.name] = shape
            dims = [d if d >= 0 else None for d in shape] if shape else None
            inputs.append(helper.make_tensor_value_info(node.name, _ONNX_DTYPES[dtype], dims))
        elif node.op != "NoOp" and not try_fold(ctx, node, out_names):
            OPS[node.op](ctx, node)
    onnx_nodes = cancel_transposes(out_names, ctx.nodes)
    referenced = {i for n in onnx_nodes for i in n.input}
    for name in sorted(referenced):  # Const nodes and folded values that running nodes still read
        if name in ctx.consts and name not in ctx.initializers:
            ctx.add_initializer(name, ctx.consts[name])
    initializers = [t for name, t in ctx.initializers.items() if name in referenced]
    produced = {o for n in onnx_nodes for o in n.output} | {i.name for i in inputs}
    for name in graph.outputs:
        if name not in produced:
            raise ConversionError(f"output '{name}' is not produced by any converted node")
    model = _assemble(graph, onnx_nodes, inputs, initializers, ctx)
    onnx.checker.check_model(model, full_check=True)
    return model


def _assemble(graph: TfjsGraph, nodes: list[onnx.NodeProto], inputs: list[onnx.ValueInfoProto],
              initializers: list[onnx.TensorProto], ctx: Context) -> onnx.ModelProto:
    """Build the model; output element types come from ONNX shape inference, shapes from ours."""

    def make(outputs: list[onnx.ValueInfoProto]) -> onnx.ModelProto:
        g = helper.make_graph(nodes, Path(graph.path).stem, inputs, outputs, initializers)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="edgeward", producer_version=_version())
        m.ir_version = IR_VERSION
        return m

    probe = onnx.shape_inference.infer_shapes(make([helper.make_empty_tensor_value_info(n) for n in graph.outputs]))
    types = {v.name: v.type.tensor_type.elem_type for v in [*probe.graph.value_info, *probe.graph.output]}
    outputs = []
    for name in graph.outputs:
        shape = ctx.shapes.get(name)
        dims = [d if d >= 0 else None for d in shape] if shape is not None else None
        outputs.append(helper.make_tensor_value_info(name, types.get(name) or TensorProto.FLOAT, dims))
    return make(outputs)


def _version() -> str:
    from edgeward import __version__

    return __version__


def convert_tfjs(model_json: Path, output: Path, input_shapes: dict[str, list[int]] | None = None) -> onnx.ModelProto:
    """Read ``model.json`` + shards, convert, and write ``output`` (not yet verified)."""
    graph = read_tfjs(Path(model_json))
    model = build_onnx(graph, input_shapes)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(output.suffix + ".part")
    tmp.write_bytes(model.SerializeToString())
    tmp.replace(output)
    return model

