"""The one place an onnxruntime session is built: runtime, verifier, quantizer and refiner share it.

CPU provider only (what Python users and the verifier compare against), warnings silenced (the
quantizer's QDQ graphs make onnxruntime chatty), threads and profiling opt-in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

Runner = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


def build_session(model: Path | str | bytes | onnx.ModelProto, threads: int | None = None,
                  profile_prefix: str | None = None) -> ort.InferenceSession:
    """A CPU session on a model file, serialized bytes or an in-memory ``ModelProto``.

    ``threads`` sets intra-op threads (None: onnxruntime's default, one per core);
    ``profile_prefix`` turns on onnxruntime's profiler, writing ``<prefix>_*.json``.
    """
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads:
        opts.intra_op_num_threads = threads
    if profile_prefix:
        opts.enable_profiling = True
        opts.profile_file_prefix = profile_prefix
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else model
    return ort.InferenceSession(source if isinstance(source, bytes) else str(source), opts,
                                providers=["CPUExecutionProvider"])


def runner(session: ort.InferenceSession) -> Runner:
    """``feeds → {output name: array}`` for every output of ``session``."""
    names = [o.name for o in session.get_outputs()]
    return lambda feeds: dict(zip(names, session.run(names, feeds), strict=True))
