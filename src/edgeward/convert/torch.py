"""PyTorch → ONNX: torch.onnx's exporter, verified against the module itself.

Accepted sources:

- a live ``torch.nn.Module`` plus an example input (:func:`from_torch`): exported with the
  torch.export-based exporter (``dynamo=True``, needs onnxscript, installed by ``edgeward[torch]``);
- a ``.pt2`` file written by ``torch.export.save``: its saved example inputs are used;
- a ``.pt`` TorchScript archive (``torch.jit.save``), with ``--input-shape``;
- a ``.pt`` whole pickled module (``torch.save(model)``), with ``--input-shape``. Unpickling runs
  code from the file and needs the model's class importable: load only files you made yourself, from
  your own disk — never an uploaded or downloaded file. A ``.pt`` holding only a ``state_dict`` has
  weights but no architecture and is refused with a hint.

Inputs of the example are verified, then :data:`RANDOM_CASES` random ones of the same shape.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import time
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgeward.convert.importer import (
    DEFAULT_TOLERANCE,
    RANDOM_CASES,
    ImportResult,
    as_numpy,
    example_cases,
    finish,
    first_line,
    graph_io,
    require,
)
from edgeward.errors import ConversionError, ModelFormatError

_UNSUPPORTED = [
    re.compile(r"No ONNX function found for <OpOverload\(op='([^']+)'"),
    re.compile(r"Exporting the operator '?([\w:.]+)'? to ONNX opset version \d+ is not supported"),
    re.compile(r"Unsupported: ONNX export of operator ([\w:.]+)"),
]
_NODE = re.compile(r"Error when translating node (%\w+)")


def from_torch(module: Any, example: Any, output: Path | str, *, input_names: Sequence[str] | None = None,
               output_names: Sequence[str] | None = None, tolerance: float = DEFAULT_TOLERANCE,
               random_cases: int = RANDOM_CASES, source: str | None = None) -> ImportResult:
    """Export a ``torch.nn.Module`` (or ScriptModule, or ExportedProgram) to ONNX and verify it.

    ``example`` is one tensor / array or a tuple of them (the module's positional inputs). Raises
    ``ConversionError`` naming the unsupported op, or the example shape the module rejected.
    """
    torch = require("torch")
    started = time.perf_counter()
    output = Path(output)
    source = source or type(module).__name__
    args = _example_tuple(torch, example)
    is_program = isinstance(module, torch.export.ExportedProgram)
    runnable = module.module() if is_program else module
    if hasattr(runnable, "eval") and not is_program:
        runnable.eval()
    first = _run(torch, runnable, args, source)
    out_names = list(output_names or (["output"] if len(first) == 1 else [f"output_{i}" for i in range(len(first))]))
    if len(out_names) != len(first):
        raise ConversionError(f"{source}: {len(out_names)} output names given, the model returns {len(first)} outputs")
    output.parent.mkdir(parents=True, exist_ok=True)
    _export(torch, module, args, output, input_names, out_names, source)
    names, _ = graph_io(output)
    if len(names) != len(args):
        raise ConversionError(f"{source}: the exported graph has {len(names)} inputs, the example has {len(args)}")

    def reference(feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        outs = _run(torch, runnable, tuple(torch.from_numpy(np.ascontiguousarray(feeds[n])) for n in names), source)
        return dict(zip(out_names, outs, strict=True))

    example_feeds = {n: as_numpy(a) for n, a in zip(names, args, strict=True)}
    return finish(output, "torch", source, example_cases(example_feeds, random_cases), reference, tolerance, started)


def convert_torch_file(path: Path, output: Path, input_shapes: Sequence[Sequence[int]] | None = None,
                       tolerance: float = DEFAULT_TOLERANCE, example: Sequence[np.ndarray] | None = None
                       ) -> ImportResult:
    """``.pt2`` (torch.export), ``.pt`` (TorchScript or a whole pickled module) → verified ONNX.

    The example input: ``example`` arrays, else random normal of ``input_shapes``, else (``.pt2``)
    the archive's saved example inputs.
    """
    torch = require("torch")
    path = Path(path)
    if not path.is_file():
        raise ModelFormatError(f"{path}: file not found")
    chosen: Any = tuple(example) if example is not None else None
    if path.suffix == ".pt2":
        try:
            model: Any = torch.export.load(str(path))
        except Exception as e:
            raise ModelFormatError(f"{path}: not a torch.export archive (torch.export.save): {first_line(e)}") from None
        saved = getattr(model, "example_inputs", None)
        if chosen is None and not input_shapes:
            if not (saved and saved[0]):
                raise ConversionError(f"{path}: the archive has no example inputs; pass --input-shape 1,3,224,224")
            chosen = tuple(saved[0])
    else:
        model = _load_pt(torch, path)
        if chosen is None and not input_shapes:
            raise ConversionError(f"{path}: a .pt model needs the example input's shape: --input-shape 1,3,224,224 "
                                  "(once per input)")
    if chosen is None:
        chosen = _random_inputs(torch, input_shapes or [])
    return from_torch(model, chosen, output, tolerance=tolerance, source=str(path))


def _load_pt(torch: Any, path: Path) -> Any:
    try:
        names = zipfile.ZipFile(path).namelist()
    except zipfile.BadZipFile:
        raise ModelFormatError(f"{path}: not a PyTorch zip archive (torch.save / torch.jit.save)") from None
    if any("/code/" in n for n in names):
        try:
            return torch.jit.load(str(path), map_location="cpu")
        except Exception as e:
            raise ModelFormatError(f"{path}: TorchScript archive cannot be loaded: {first_line(e)}") from None
    try:  # a state_dict loads without running code from the file; a whole module does not
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception:
        try:
            # Runs pickled code: only ever called on the user's own local file (see the module docstring).
            obj = torch.load(str(path), map_location="cpu", weights_only=False)
        except Exception as e:
            raise ModelFormatError(f"{path}: cannot unpickle the module (is its class importable?): "
                                   f"{first_line(e)}") from None
    if isinstance(obj, torch.nn.Module):
        return obj
    if isinstance(obj, dict):
        raise ConversionError(f"{path}: holds a state_dict (weights without the model's code). Save the model "
                              "with torch.export.save (.pt2) or torch.jit.save, or call "
                              "edgeward.convert.from_torch(module, example, output) in Python")
    raise ConversionError(f"{path}: holds a {type(obj).__name__}, not a torch.nn.Module")


def _random_inputs(torch: Any, shapes: Sequence[Sequence[int]]) -> tuple[Any, ...]:
    gen = torch.Generator().manual_seed(0)
    return tuple(torch.randn(*[int(d) for d in s], generator=gen) for s in shapes)


def _example_tuple(torch: Any, example: Any) -> tuple[Any, ...]:
    items = example if isinstance(example, tuple | list) else (example,)
    out = []
    for i, x in enumerate(items):
        if isinstance(x, torch.Tensor):
            out.append(x.detach().cpu())
        elif isinstance(x, np.ndarray | np.generic | int | float):
            out.append(torch.from_numpy(np.ascontiguousarray(np.asarray(x))))
        else:
            raise ConversionError(f"example input {i} is a {type(x).__name__}; give tensors or numpy arrays")
    if not out:
        raise ConversionError("the example input is empty: give at least one tensor")
    return tuple(out)


def _run(torch: Any, module: Any, args: tuple[Any, ...], source: str) -> list[np.ndarray]:
    try:
        with torch.no_grad():
            result = module(*args)
    except Exception as e:
        shapes = ", ".join(str(list(a.shape)) for a in args)
        raise ConversionError(f"{source}: the model rejects the example input of shape {shapes}: "
                              f"{first_line(e)}") from None
    items = result if isinstance(result, tuple | list) else (result,)
    if not all(isinstance(t, torch.Tensor) for t in items):
        kinds = ", ".join(type(t).__name__ for t in items)
        raise ConversionError(f"{source}: the model must return a tensor or a tuple of tensors, got {kinds}")
    return [as_numpy(t) for t in items]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The exporter prints progress and warns about torchvision; a CLI shows its own progress."""
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.onnx._internal.exporter._registration",
                                              "torch._export", "torch.export")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _export(torch: Any, module: Any, args: tuple[Any, ...], output: Path, input_names: Sequence[str] | None,
            output_names: list[str], source: str) -> None:
    script = isinstance(module, torch.jit.ScriptModule)
    if script and not input_names:
        input_names = ["input"] if len(args) == 1 else [f"input_{i}" for i in range(len(args))]
    try:
        with _quiet():
            if script:  # the torch.export-based exporter cannot read TorchScript; the TorchScript one can
                torch.onnx.export(module, args, str(output), dynamo=False, input_names=list(input_names or []),
                                  output_names=output_names)
            else:
                require("onnxscript")
                is_program = isinstance(module, torch.export.ExportedProgram)
                program = torch.onnx.export(module, () if is_program else args, dynamo=True, verbose=False,
                                            input_names=list(input_names) if input_names else None,
                                            output_names=output_names, optimize=True)
                program.save(str(output))
    except ConversionError:
        raise
    except Exception as e:
        raise ConversionError(_describe_export_error(e, source)) from None


def _describe_export_error(e: BaseException, source: str) -> str:
    text = str(e)
    for pattern in _UNSUPPORTED:
        m = pattern.search(text)
        if m:
            node = _NODE.search(text)
            where = f" (graph node {node.group(1)})" if node else ""
            return (f"{source}: unsupported op '{m.group(1)}'{where}: torch.onnx has no ONNX translation for it. "
                    "Rewrite that part of the model with supported ops, or keep it outside the exported module")
    summary = text.split("## Exception summary", 1)[-1].strip()
    lines = [ln for ln in summary.splitlines() if ln.strip() and not ln.startswith("(Refer")]
    detail = lines[0] if lines else type(e).__name__
    return f"{source}: torch.onnx export failed: {re.sub(r'<class [^>]+>: ', '', detail)}"
