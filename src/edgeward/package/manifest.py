"""The model package manifest: the one contract between the Python and browser halves.

Written once here; ``manifest.schema.json`` (exported by ``edgeward schema``) validates it in JS.
Unknown fields are errors that name the field, never silent defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edgeward.errors import ManifestError

SCHEMA_VERSION = 1
MANIFEST_FILE = "manifest.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileEntry(_Strict):
    path: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]+$")]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    bytes: Annotated[int, Field(ge=0)]


class TensorSpec(_Strict):
    name: str
    dtype: Literal["float32", "float16", "int32", "int64", "uint8", "bool"]
    shape: list[int | None]
    layout: Literal["NHWC", "NCHW"] | None = None


class LetterboxPreprocess(_Strict):
    """Resize keeping aspect ratio, centred, padded; then ``pixel * scale + offset``.

    The exact sampling rule (bilinear, half-pixel centres, no antialias) is written in
    ``edgeward.runtime.preprocess`` and mirrored in ``web/src/preprocess.js``.
    """

    resize: Literal["letterbox"] = "letterbox"
    size: Annotated[list[int], Field(min_length=2, max_length=2)]
    """[height, width] of the model input."""
    scale: float
    offset: float
    pad_value: float = 0.0
    """Value of padded pixels, after scale and offset."""


class PoseNetPostprocess(_Strict):
    kind: Literal["posenet"] = "posenet"
    output_stride: Annotated[int, Field(gt=0)]
    keypoints: list[str]
    skeleton: list[Annotated[list[int], Field(min_length=2, max_length=2)]]
    """Pairs of keypoint indices to draw."""
    pose_chain: list[Annotated[list[int], Field(min_length=2, max_length=2)]]
    """[parent, child] edges rooted at the nose; edge e uses displacement channels e and e+E."""
    outputs: dict[Literal["heatmap", "offset", "displacement_fwd", "displacement_bwd"], str]
    """Which model output holds each PoseNet tensor."""
    heatmap_activation: Literal["sigmoid", "none"] = "sigmoid"
    refine_steps: Annotated[int, Field(ge=0)] = 2


Postprocess = Annotated[PoseNetPostprocess, Field(discriminator="kind")]


class Provenance(_Strict):
    source: str
    converter: str
    parity_max_abs_diff: dict[str, float] = Field(default_factory=dict)
    parity_images: list[str] = Field(default_factory=list)


class Manifest(_Strict):
    schema_version: Literal[1] = 1
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]
    task: Literal["pose"]
    files: dict[Literal["fp32", "fp16", "int8"], FileEntry]
    inputs: Annotated[list[TensorSpec], Field(min_length=1)]
    outputs: Annotated[list[TensorSpec], Field(min_length=1)]
    preprocess: LetterboxPreprocess
    postprocess: Postprocess
    labels: list[str] | None = None
    provenance: Provenance
    license: str

    def output(self, role: str) -> str:
        return self.postprocess.outputs[role]  # type: ignore[index]

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2) + "\n"


def _describe(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "<root>"
        if e["type"] == "extra_forbidden":
            lines.append(f"unknown field '{field}'")
        else:
            lines.append(f"field '{field}': {e['msg']}")
    return f"{source}: invalid manifest: " + "; ".join(lines)


def parse_manifest(data: Any, source: str = MANIFEST_FILE) -> Manifest:
    try:
        return Manifest.model_validate(data)
    except ValidationError as err:
        raise ManifestError(_describe(err, source)) from None


def read_manifest(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ManifestError(f"{path}: manifest not found") from None
    except json.JSONDecodeError as err:
        raise ManifestError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    return parse_manifest(data, str(path))


def json_schema() -> dict[str, Any]:
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://edgeward.dev/schema/manifest-v1.json"
    return schema
