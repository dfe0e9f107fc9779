"""Plain ONNX import: check the model fully, keep external data inside its folder, verify it runs.

Bounds first (edgeward.convert.onnx_bounds): the file's size, node count and declared tensor bytes before
external data is read, every inferable tensor size after the check, and the example inputs made for
verification. ``onnx.checker.check_model(full_check=True)`` (structure and shape inference). Tensors stored as
external data must name a relative file *inside* the model's folder: an absolute path, ``..``, or
a link that leads outside is refused before any byte is read. The written copy carries its weights
inline. Verification runs onnxruntime against ONNX's own reference evaluator (the spec's
implementation) on random inputs, when that evaluator implements every op of the model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import external_data_helper, helper

from edgeward.convert.importer import (
    DEFAULT_TOLERANCE,
    RANDOM_CASES,
    ImportResult,
    first_line,
    graph_io,
    random_like,
    verify_import,
)
from edgeward.convert.limits import MAX_EXAMPLE_ELEMENTS
from edgeward.convert.onnx_bounds import check_declared, check_file, check_inferred, itemsize
from edgeward.errors import ConversionError, ModelFormatError

# Types random_like cannot sample (complex, and the float8 / 4-bit types numpy has no arithmetic for).
_NO_RANDOM = {getattr(onnx.TensorProto, n) for n in dir(onnx.TensorProto)
              if n.startswith(("COMPLEX", "BFLOAT", "FLOAT8", "FLOAT4", "INT4", "UINT4", "INT2", "UINT2"))}

MAX_INLINE_BYTES = 1_800_000_000  # protobuf's limit is 2 GiB


def check_external_data(model: onnx.ModelProto, folder: Path, source: str) -> None:
    """Refuse external-data locations that would be read from outside ``folder``."""
    root = folder.resolve()
    for tensor in external_data_helper._get_all_tensors(model):
        if not external_data_helper.uses_external_data(tensor):
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        where = f"{source}: tensor '{tensor.name}' stores its data in '{location}'"
        if not location or Path(location).is_absolute() or location.startswith(("/", "\\")) or ".." in Path(
                location.replace("\\", "/")).parts:
            raise ModelFormatError(f"{where}: external data must be a relative path inside {folder}")
        target = (root / location).resolve()
        if not target.is_relative_to(root):
            raise ModelFormatError(f"{where}, which resolves outside {folder}")
        if not target.is_file():
            raise ModelFormatError(f"{where}, which is missing")


def load_checked(path: Path) -> onnx.ModelProto:
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"{path}: file not found")
    check_file(path)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:
        raise ModelFormatError(f"{path}: not an ONNX model: {first_line(e)}") from None
    check_declared(model, str(path))
    check_external_data(model, path.parent, str(path))
    try:
        external_data_helper.load_external_data_for_model(model, str(path.parent))
    except Exception as e:
        raise ModelFormatError(f"{path}: cannot read its external data: {first_line(e)}") from None
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:
        raise ModelFormatError(f"{path}: invalid ONNX model: {first_line(e)}") from None
    check_inferred(model, str(path))
    return model


def import_onnx(path: Path | str, output: Path | str, *, input_shapes: Mapping[str, Sequence[int]] | None = None,
                tolerance: float = DEFAULT_TOLERANCE, random_cases: int = RANDOM_CASES) -> ImportResult:
    """Check ``path``, write a self-contained copy to ``output`` and verify that copy."""
    started = time.perf_counter()
    path, output = Path(path), Path(output)
    model = load_checked(path)
    output.parent.mkdir(parents=True, exist_ok=True)
    if model.ByteSize() > MAX_INLINE_BYTES:
        onnx.save(model, str(output), save_as_external_data=True, location=output.name + ".data")
    else:
        onnx.save(model, str(output))
    feeds = _example_feeds(model, input_shapes or {}, str(path))
    cases = [("random-normal-0", feeds)]
    for i in range(1, random_cases + 1):
        cases.append((f"random-normal-{i}", {k: random_like(v, seed=i) for k, v in feeds.items()}))
    notes: list[str] = []
    try:
        from onnx.reference import ReferenceEvaluator

        evaluator = ReferenceEvaluator(model)
    except Exception as e:
        evaluator = None
        notes.append(f"ONNX's reference evaluator cannot run this model ({first_line(e)}): checked that "
                     "onnxruntime runs it, not its numbers")
    outputs = [o.name for o in model.graph.output]

    def reference(f: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if evaluator is None:
            return {}
        try:
            return dict(zip(outputs, evaluator.run(None, f), strict=True))
        except Exception as e:
            raise ConversionError(f"{path}: ONNX's reference evaluator failed: {first_line(e)}") from None

    report, rel = verify_import(output, cases, reference, str(path), tolerance)
    ins, outs = graph_io(output)
    return ImportResult(path=output, source=str(path), framework="onnx", report=report, max_rel_diff=rel,
                        input_names=ins, output_names=outs, seconds=time.perf_counter() - started, notes=notes)


def _example_feeds(model: onnx.ModelProto, shapes: Mapping[str, Sequence[int]], source: str) -> dict[str, np.ndarray]:
    inits = {i.name for i in model.graph.initializer}
    feeds: dict[str, np.ndarray] = {}
    for i, inp in enumerate(x for x in model.graph.input if x.name not in inits):
        t = inp.type.tensor_type
        if not inp.type.HasField("tensor_type"):
            raise ConversionError(f"{source}: input '{inp.name}' is not a tensor")
        if not itemsize(t.elem_type) or t.elem_type in _NO_RANDOM:
            raise ConversionError(f"{source}: input '{inp.name}' is of type "
                                  f"{helper.tensor_dtype_to_string(t.elem_type) if t.elem_type else 'UNDEFINED'}: "
                                  "no random example can be made to verify it")
        dtype = helper.tensor_dtype_to_np_dtype(t.elem_type)
        given = shapes.get(inp.name, shapes.get("") if i == 0 else None)
        if given is not None:
            shape = [int(d) for d in given]
            if len(shape) != len(t.shape.dim):
                raise ConversionError(f"{source}: input '{inp.name}' has rank {len(t.shape.dim)}, "
                                      f"--input-shape gives {shape}")
        else:
            shape = [d.dim_value if d.HasField("dim_value") else 1 for d in t.shape.dim]
        if any(d < 0 for d in shape) or math.prod(shape) > MAX_EXAMPLE_ELEMENTS:
            raise ConversionError(f"{source}: input '{inp.name}' has shape {shape}: an example input needs 0 to "
                                  f"{MAX_EXAMPLE_ELEMENTS} elements (give a smaller --input-shape)")
        feeds[inp.name] = random_like(np.zeros(shape, dtype=dtype), seed=i)
    return feeds
