"""Assemble an ONNX model from a TF.js graph through the op table."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper

from edgeward.convert.importer import first_line
from edgeward.convert.tfjs import ops as _ops  # noqa: F401  (fills the op table)
from edgeward.convert.tfjs import ops_reduce as _ops_reduce  # noqa: F401
from edgeward.convert.tfjs import ops_shape as _ops_shape  # noqa: F401
from edgeward.convert.tfjs import ops_tensor as _ops_tensor  # noqa: F401
from edgeward.convert.tfjs.context import Context, cancel_transposes
from edgeward.convert.tfjs.folding import try_fold
from edgeward.convert.tfjs.ops import ARITY, OPS
from edgeward.convert.tfjs.reader import TfjsGraph, TfjsNode, read_tfjs
from edgeward.errors import ConversionError, EdgewardError

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
    for n in nodes:
        given = sum(not i.startswith("^") for i in n.inputs)
        if given < ARITY.get(n.op, 0) or any(i.startswith("^") for i in n.inputs[:given]):
            raise ConversionError(f"op {n.op} (node '{n.name}'): takes {ARITY.get(n.op, 0)} input(s) before any "
                                  f"control input ('^name'), has {n.inputs}")


UNCHECKED = "the op table does not check this case"
"""In the error of a node the op table failed on without its own message (the fuzzing counts these as bugs)."""


def _convert_node(ctx: Context, node: TfjsNode, keep: set[str]) -> None:
    """Fold or convert one node. The op table checks what it reads and says what is wrong; a case it does not
    check still ends as an error naming the node, never a bare IndexError from deep inside an op."""
    try:
        if not try_fold(ctx, node, keep):
            OPS[node.op](ctx, node)
    except EdgewardError:
        raise
    except (IndexError, KeyError, ValueError, TypeError, ZeroDivisionError, OverflowError, AttributeError) as err:
        raise ConversionError(f"op {node.op} (node '{node.name}'): cannot be converted as given, {UNCHECKED} "
                              f"({type(err).__name__}: {str(err)[:120]})") from err


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
            shape = (input_shapes or {}).get(node.name) or node.attr_shape()
            if shape is None:
                raise ConversionError(f"input '{node.name}' (Placeholder) has no known rank: give its shape "
                                      "(--input-shape)")
            dtype = node.attr_dtype("dtype")
            ctx.shapes[node.name] = shape
            dims = [d if d >= 0 else None for d in shape]  # [] is a scalar
            inputs.append(helper.make_tensor_value_info(node.name, _ONNX_DTYPES[dtype], dims))
        elif node.op != "NoOp":
            _convert_node(ctx, node, out_names)
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
    available = produced | set(ctx.initializers)
    for n in onnx_nodes:
        for i in n.input:
            if i and i not in available:  # e.g. 'x:1' of a node with one output
                raise ConversionError(f"node '{n.name.split('/')[0]}': input '{i}' is not an output of any node")
    try:
        model = _assemble(graph, onnx_nodes, inputs, initializers, ctx)
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as err:
        # The op table emitted what ONNX refuses: the source graph's shapes or types do not fit together.
        raise ConversionError(f"{graph.path}: the converted graph is not valid ONNX: {first_line(err)}") from None
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
    inferred = {v.name: v.type.tensor_type for v in [*probe.graph.value_info, *probe.graph.output]}
    outputs = []
    for name in graph.outputs:
        shape = ctx.shapes.get(name)
        if shape is None and name in inferred and inferred[name].HasField("shape"):
            shape = [d.dim_value if d.HasField("dim_value") else -1 for d in inferred[name].shape.dim]
        if shape is None:  # ONNX wants every graph output's rank
            raise ConversionError(f"output '{name}': its rank is not known at conversion time (it depends on input "
                                  "values or unknown input shapes); give the input shapes (--input-shape)")
        dims = [d if d >= 0 else None for d in shape]
        elem = inferred[name].elem_type if name in inferred else 0
        outputs.append(helper.make_tensor_value_info(name, elem or TensorProto.FLOAT, dims))
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

