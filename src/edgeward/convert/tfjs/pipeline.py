"""Convert a TF.js graph model and verify the ONNX against the original on real photos."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from edgeward.convert.tfjs.converter import convert_tfjs
from edgeward.convert.verify import ParityReport, compare, run_onnx, run_tfjs_reference
from edgeward.errors import ConversionError
from edgeward.package.manifest import LetterboxPreprocess
from edgeward.runtime.image import load_image
from edgeward.runtime.preprocess import letterbox, to_input_dtype
from edgeward.runtime.samples import DEFAULT_VERIFY_IMAGES, sample_path

# Without a known normalisation, photos are mapped to [-1, 1]: it covers both common conventions.
GENERIC_PREPROCESS = {"scale": 1 / 127.5, "offset": -1.0}


@dataclass
class ConversionResult:
    model: onnx.ModelProto
    report: ParityReport
    seconds: float


def image_feeds(model: onnx.ModelProto, image: Path, scale: float, offset: float) -> dict[str, np.ndarray]:
    """Letterboxed photo for every image input; integer inputs get raw pixels (0..255)."""
    feeds = {}
    for inp in model.graph.input:
        integer = inp.type.tensor_type.elem_type in (onnx.TensorProto.INT32, onnx.TensorProto.UINT8)
        dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
        if len(dims) != 4 or dims[3] != 3 or 0 in dims[1:3]:
            raise ConversionError(f"input '{inp.name}' has shape {dims}: verification on photos needs a "
                                  "static [1, H, W, 3] image input (pass --input-shape)")
        if integer:
            spec = LetterboxPreprocess(size=[dims[1], dims[2]], scale=1.0, offset=0.0, pad_value=0.0)
            feeds[inp.name] = to_input_dtype(letterbox(load_image(image), spec)[0], "int32")
        else:
            spec = LetterboxPreprocess(size=[dims[1], dims[2]], scale=scale, offset=offset)
            feeds[inp.name] = letterbox(load_image(image), spec)[0]
    return feeds


def convert_and_verify(model_json: Path, output: Path, *, input_shapes: dict[str, list[int]] | None = None,
                       images: Sequence[Path] | None = None, scale: float = GENERIC_PREPROCESS["scale"],
                       offset: float = GENERIC_PREPROCESS["offset"], tolerance: float = 2e-3,
                       on_step: Callable[[str], None] | None = None) -> ConversionResult:
    step = on_step or (lambda _msg: None)
    start = time.perf_counter()
    step("converting")
    model = convert_tfjs(model_json, output, input_shapes)
    seconds = time.perf_counter() - start
    report = ParityReport(tolerance=tolerance)
    for image in images or [sample_path(n) for n in DEFAULT_VERIFY_IMAGES]:
        step(f"verifying on {Path(image).name}")
        feeds = image_feeds(model, Path(image), scale, offset)
        expected = run_tfjs_reference(model_json, feeds)
        report.update(Path(image).name, compare(expected, run_onnx(output, feeds), str(model_json)))
    try:
        report.check(str(model_json))
    except ConversionError:
        output.unlink(missing_ok=True)  # never leave an unverified model behind
        raise
    return ConversionResult(model, report, seconds)
