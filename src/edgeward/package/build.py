"""Package an imported ONNX model as a raw-tensor model package (task ``tensor``).

The manifest's inputs and outputs are read from the ONNX graph itself (name, dtype, shape; a
symbolic dimension such as the batch becomes ``null``). No pre- or post-processing: the browser's
``loadModel(url).run(feeds)`` and Python's ``edgeward.load(name).run(feeds)`` take and return tensors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnx
from onnx import TensorProto

import edgeward
from edgeward.convert.importer import ImportResult
from edgeward.errors import ConversionError
from edgeward.package.manifest import Manifest, Provenance, TensorSpec
from edgeward.package.store import file_entry, write_package

_DTYPES = {TensorProto.FLOAT: "float32", TensorProto.FLOAT16: "float16", TensorProto.INT32: "int32",
           TensorProto.INT64: "int64", TensorProto.UINT8: "uint8", TensorProto.BOOL: "bool"}


def tensor_specs(onnx_path: Path) -> tuple[list[TensorSpec], list[TensorSpec]]:
    model = onnx.load(str(onnx_path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}

    def spec(v: Any) -> TensorSpec:
        t = v.type.tensor_type
        if not v.type.HasField("tensor_type") or t.elem_type not in _DTYPES:
            kind = onnx.helper.tensor_dtype_to_string(t.elem_type) if v.type.HasField("tensor_type") else "non-tensor"
            raise ConversionError(f"{onnx_path}: '{v.name}' is {kind}; packages carry "
                                  f"{', '.join(_DTYPES.values())} tensors")
        shape = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        return TensorSpec(name=v.name, dtype=_DTYPES[t.elem_type], shape=shape)  # type: ignore[arg-type]

    inputs = [spec(v) for v in model.graph.input if v.name not in inits]
    return inputs, [spec(v) for v in model.graph.output]


def package_tensor_model(onnx_path: Path | str, name: str, version: str = "1.0.0", *,
                         result: ImportResult | None = None, source: str | None = None, license: str = "unknown",
                         labels: list[str] | None = None, root: Path | None = None) -> Path:
    """Write ``onnx_path`` to the local store as ``name@version`` (task 'tensor'); returns the folder."""
    onnx_path = Path(onnx_path)
    inputs, outputs = tensor_specs(onnx_path)
    provenance = Provenance(
        source=source or (result.source if result else str(onnx_path)),
        converter=f"edgeward {edgeward.__version__}" + (f" ({result.framework} importer)" if result else ""),
        parity_max_abs_diff=dict(result.report.max_abs_diff) if result else {},
        parity_cases=list(result.report.cases) if result else [],
    )
    entry = file_entry(onnx_path).model_copy(update={"path": "model.fp32.onnx"})
    manifest = Manifest(name=name, version=version, task="tensor", files={"fp32": entry},
                        inputs=inputs, outputs=outputs, labels=labels, provenance=provenance, license=license)
    return write_package(manifest, {"fp32": onnx_path}, root)
