"""The model package manifest: the one contract between the Python and browser halves.

Written once here; ``manifest.schema.json`` (exported by ``edgeward schema``) validates it in JS.
Unknown fields are errors that name the field, never silent defaults.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from edgeward import strict_json
from edgeward.errors import ManifestError
from edgeward.package.size_keys import size_key_errors

SCHEMA_VERSION = 1
MANIFEST_FILE = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
"""A manifest.json larger than this is refused before it is read (a trained head's report over 1,000
classes is about 5 MB; the registry takes 1 MB)."""
MAX_DEPTH = 32
"""Nesting deeper than any manifest field (the schema's deepest is 6 levels)."""
_NUMBER = r"(0|[1-9][0-9]{0,14})"
VERSION_PATTERN = rf"^{_NUMBER}\.{_NUMBER}\.{_NUMBER}(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
"""X.Y.Z[-pre]: what edgeward.package.semver parses, so every published version can be sorted. ASCII digits
(pydantic's regex engine reads \\d as any script's digits, JavaScript's as 0-9), no leading zeros, at most 15
digits a number (below 2^53, exact in JavaScript), no empty pre-release identifier."""


class _Strict(BaseModel):
    # Defaults are plain values, not factories, so the JSON Schema carries them and the browser fills them in
    # too (pydantic copies a mutable default for each instance).
    model_config = ConfigDict(extra="forbid", frozen=True)


class VariantReport(_Strict):
    """How an optimized variant (int8, fp16) was made and what it measured against fp32
    (written by ``edgeward quantize``; see ``edgeward.optimize.gate`` for the metrics)."""

    method: str
    """e.g. 'static QDQ int8, per-channel, MinMax' or 'fp16 (float32 inputs/outputs)'."""
    bytes_ratio: float
    """File bytes divided by the fp32 file's bytes."""
    metrics: dict[str, float] = {}
    gate: str = ""
    """The accuracy gate's thresholds, in words."""
    gate_passed: bool
    native_ms: dict[str, float] = {}
    """Median ms per inference in native onnxruntime (CPU), same run: 'fp32' and the variant's name with
    default threads, and with a '_1thread' suffix on one thread."""
    target: Literal["cpu", "wasm", "webgpu", "kernels"] | None = None
    """The backend it was tuned for, by timing that backend's kernels: 'cpu' (native onnxruntime, the Python
    runtime), 'wasm' (onnxruntime-web's WASM backend), 'kernels' (Edgeward's own WASM kernels: a ``.ewk`` file,
    edgeward.kernels); null: none. A runtime picks, unless told otherwise, the variant made for the backend it
    runs on (:func:`pick_variant`)."""
    wasm_ms: dict[str, float] = {}
    """Median ms per inference in onnxruntime-web WASM (Node, the browser's .wasm), same run, interleaved:
    'fp32' and the variant's name, each with a '_1thread' / '_2threads' suffix."""
    excluded_nodes: list[str] = []
    """Nodes kept in fp32 by the mixed-precision search."""
    calibration: list[str] = []
    heldout: list[str] = []
    tool: str = ""


class FileEntry(_Strict):
    path: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]+$")]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    bytes: Annotated[int, Field(ge=0)]
    report: VariantReport | None = None
    """Measured figures of an optimized variant (absent for fp32)."""
    parity_max_abs_diff: dict[str, float] = {}
    """A file converted on its own (a size file, ``fp32@257x257``): its max abs difference to the source model
    per output, on ``provenance.parity_images`` at its own input size. Empty: the main file (its figures are
    ``provenance.parity_max_abs_diff``) or a variant made from it (``report``)."""

    @model_serializer(mode="wrap")
    def _omit_empty_report(self, handler: Any) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("report") is None:
            data.pop("report", None)
        return data


class TensorSpec(_Strict):
    name: str
    dtype: Literal["float32", "float16", "int32", "int64", "uint8", "bool"]
    shape: list[int | None]
    layout: Literal["NHWC", "NCHW"] | None = None


class LetterboxPreprocess(_Strict):
    """Resize keeping aspect ratio, centred, padded; then ``pixel * scale + offset``.

    ``resize: 'center_crop'`` scales to cover instead (s = max, not min, of the two ratios): the
    shorter side fills the input and the longer one is cropped equally on both sides; nothing is padded.

    The exact sampling rule (bilinear, half-pixel centres, no antialias) is written in
    ``edgeward.runtime.preprocess`` and mirrored in ``web/src/preprocess.js``.
    """

    resize: Literal["letterbox", "center_crop"] = "letterbox"
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


class MoveNetPostprocess(_Strict):
    """MoveNet decodes inside its graph: ``output`` holds [1, P, 17 * 3 (+ 5)] rows of (y, x, score)
    normalised to the model input; multi-pose rows end with a box (ymin, xmin, ymax, xmax, score)."""

    kind: Literal["movenet"] = "movenet"
    keypoints: list[str]
    skeleton: list[Annotated[list[int], Field(min_length=2, max_length=2)]]
    output: str
    multipose: bool = False


class CenterNetPostprocess(_Strict):
    """CenterNet decodes its top-k inside its graph: ``output`` holds [1, N, 6] rows of
    (x1, y1, x2, y2, score, class) with box edges in model-input pixels; class indexes ``labels``.
    Score threshold and class-wise non-maximum suppression run after (``edgeward.tasks.detect``)."""

    kind: Literal["centernet"] = "centernet"
    output: str


class ClassifyPostprocess(_Strict):
    """An image classifier: ``output`` holds [1, C] class probabilities (softmax inside the graph),
    indexed by ``labels``; top-k runs after (``edgeward.tasks.classify``). ``embedding`` names an
    optional [1, D] output, the penultimate features (for transfer learning)."""

    kind: Literal["classify"] = "classify"
    output: str
    embedding: str | None = None


Postprocess = Annotated[PoseNetPostprocess | MoveNetPostprocess | CenterNetPostprocess | ClassifyPostprocess,
                        Field(discriminator="kind")]


class HeadSpec(_Strict):
    """A trained classifier head (``edgeward train``): what it takes and how it decides. Its graph is
    ``files.fp32`` in a ``features`` package and ``files.head`` in a ``classify`` package (whose fp32
    is then the base package's graph and this head in one)."""

    kind: Literal["knn", "linear", "mlp"]
    """'knn': cosine k-nearest neighbours over stored unit examples (votes / k); 'linear': softmax
    regression; 'mlp': one hidden ReLU layer."""
    features: Literal["embedding", "pose", "raw"]
    """Its input: the base package's embedding, pose features from the base pose package, or raw
    numbers (CSV columns, digit pixels)."""
    dim: Annotated[int, Field(ge=1)]
    """Length of one feature vector."""
    input: str
    """The head graph's input, float32 [N, dim]."""
    output: str
    """The head graph's output, float32 [N, classes] probabilities indexed by ``labels``."""
    k: Annotated[int, Field(ge=1)] | None = None
    """Neighbours that vote (knn only)."""
    hidden: Annotated[int, Field(ge=1)] | None = None
    """Hidden units (mlp only)."""
    standardized: bool = False
    """The graph standardises its input with the training split's mean and std (linear, mlp)."""


class EpochRecord(_Strict):
    """Scores after one epoch (held-out ones are null when nothing was held out)."""

    epoch: Annotated[int, Field(ge=1)]
    train_loss: float
    train_accuracy: float
    test_loss: float | None = None
    test_accuracy: float | None = None


class TrainingReport(_Strict):
    """How a head was trained and how it scored on the held-out split (``edgeward train``)."""

    data: str
    """What it was trained on, e.g. 'sklearn:load_digits' or 'images:flowers/ (efficientnet-lite0@1.0.0)'."""
    data_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    """``edgeward.train.data.data_hash`` of the features, classes and labels."""
    examples: Annotated[int, Field(ge=0)]
    train: Annotated[int, Field(ge=0)]
    test: Annotated[int, Field(ge=0)]
    class_counts: list[Annotated[int, Field(ge=0)]]
    """Examples per class, in ``labels`` order."""
    test_split: Annotated[float, Field(ge=0, lt=1)]
    seed: Annotated[int, Field(ge=0)]
    options: dict[str, str | int | float | bool | None]
    """The training options used (HeadOptions' fields; k for knn)."""
    history: list[EpochRecord]
    """One record per epoch (empty for knn, which stores its examples)."""
    best_epoch: Annotated[int, Field(ge=0)] | None = None
    test_accuracy: float | None = None
    per_class_accuracy: dict[str, float | None]
    """Held-out accuracy per label (null: no held-out example of that class)."""
    confusion: list[list[Annotated[int, Field(ge=0)]]]
    """confusion[true][predicted] counts on the held-out split."""
    trainer: str
    """e.g. 'edgeward 0.1.0 (python)'."""


class Provenance(_Strict):
    source: str
    converter: str
    parity_max_abs_diff: dict[str, float] = {}
    parity_images: list[str] = []
    parity_cases: list[str] = []
    """Non-image inputs the parity was measured on (importers: 'example', 'random-normal-1', ...)."""


FILE_KEY_PATTERN = r"^(fp32|fp16|int8|int8-wasm|int8-kernels)(@[1-9][0-9]{0,3}x[1-9][0-9]{0,3})?$|^head$"
"""A ``files`` key: a variant (MODEL_VARIANTS), 'head', or a size key ``<variant>@<H>x<W>``: that variant of the
same network converted for a [1, H, W, C] input (edgeward.package.sizes; the rules a pattern cannot say are
in :func:`manifest_rule_errors`)."""
FileKey = Annotated[str, Field(pattern=FILE_KEY_PATTERN)]


def _key_pattern_as_property_names(schema: dict[str, Any]) -> None:
    """pydantic writes a dict with pattern keys as ``patternProperties``, which lets any other key through;
    say it as ``propertyNames`` + ``additionalProperties``, as for the dicts keyed by a Literal."""
    ((pattern, value),) = schema.pop("patternProperties").items()
    schema["propertyNames"] = {"pattern": pattern}
    schema["additionalProperties"] = value


class Manifest(_Strict):
    schema_version: Literal[1] = 1
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    version: Annotated[str, Field(pattern=VERSION_PATTERN, max_length=256)]
    task: Literal["pose", "detect", "classify", "tensor", "features"]
    """'tensor': a raw model (importers); tensors in, tensors out, no pre- or post-processing.
    'features': a trained head on feature vectors (``head`` says which), no pre- or post-processing."""
    files: Annotated[dict[FileKey, FileEntry], Field(json_schema_extra=_key_pattern_as_property_names)]
    """Model variants by name; 'head' is a trained classify package's head alone (input: features);
    'int8-wasm' is an int8 tuned for onnxruntime-web's WASM kernels (``edgeward quantize --target wasm``);
    'int8-kernels' the net lowered for Edgeward's own WASM kernels (a ``.ewk`` file, ``--target kernels``);
    '<variant>@<H>x<W>' (e.g. 'fp32@257x257') that variant converted for an H×W input, every other field
    applying unchanged (output spatial dims follow the input; edgeward.package.sizes)."""
    inputs: Annotated[list[TensorSpec], Field(min_length=1)]
    outputs: Annotated[list[TensorSpec], Field(min_length=1)]
    if TYPE_CHECKING:  # every task but 'tensor' has both (the validator below); task code reads them as given
        preprocess: LetterboxPreprocess = None  # type: ignore[assignment]
        postprocess: (PoseNetPostprocess | MoveNetPostprocess | CenterNetPostprocess
                      | ClassifyPostprocess) = None  # type: ignore[assignment]
    else:  # 'tensor' manifests (importers) omit both
        preprocess: LetterboxPreprocess | None = None
        postprocess: Postprocess | None = None
    labels: list[str] | None = None
    provenance: Provenance
    license: str
    base: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*@" + VERSION_PATTERN[1:], max_length=512)] | None = None
    """The package a trained head was trained on, ``NAME@X.Y.Z`` (null: none)."""
    head: HeadSpec | None = None
    training: TrainingReport | None = None

    @field_validator("schema_version", mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):  # True == 1 passes Literal[1], even strictly; JSON Schema's const 1 refuses it
            raise ValueError("Input should be 1")
        return value

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Manifest:
        """The rules a JSON Schema cannot say (web/src/manifest.js mirrors them, MANIFEST_RULES there):
        pose, detect and classify need preprocess and postprocess; 'features' needs head and labels and
        has neither; a head on an embedding or pose features needs its base; knn needs k, mlp hidden;
        files.head and training belong to a package with a head; a size key's rules (:func:`size_key_errors`)."""
        errors = manifest_rule_errors(self.model_dump(mode="json"))
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def to_json(self) -> str:
        data = self.model_dump(mode="json")
        for key in ("base", "head", "training"):  # absent unless trained: older manifests stay byte-identical
            if data[key] is None:
                del data[key]
        for entry in data["files"].values():  # and reports written before a variant had a target
            if not entry["parity_max_abs_diff"]:  # and entries of files not converted on their own
                del entry["parity_max_abs_diff"]
            report = entry.get("report") or {}
            for key in ("target", "wasm_ms"):
                if key in report and not report[key]:
                    del report[key]
        return json.dumps(data, indent=2) + "\n"


PROCESSED_TASKS = ("pose", "detect", "classify")


def manifest_rule_errors(m: dict[str, Any]) -> list[str]:
    """The cross-field rules, each broken one as a message naming its field (the JSON-Schema-valid ``m``)."""
    errors = []
    if m["task"] in PROCESSED_TASKS:
        missing = [f for f in ("preprocess", "postprocess") if m.get(f) is None]
        if missing:
            errors.append(f"task '{m['task']}' needs field(s) {', '.join(map(repr, missing))}")
    head = m.get("head")
    if m["task"] == "features":
        missing = [f for f in ("head", "labels") if m.get(f) is None]
        if missing:
            errors.append(f"task 'features' needs field(s) {', '.join(map(repr, missing))}")
        extra = [f for f in ("preprocess", "postprocess") if m.get(f) is not None]
        if extra:
            errors.append(f"task 'features' has no field(s) {', '.join(map(repr, extra))} (its input is features)")
    if head is not None:
        if head["features"] != "raw" and m.get("base") is None:
            errors.append(f"field 'base': a head on '{head['features']}' features needs the package they come from")
        for kind, key in (("knn", "k"), ("mlp", "hidden")):
            if head["kind"] == kind and head.get(key) is None:
                errors.append(f"field 'head.{key}': a '{kind}' head needs it")
    else:
        if "head" in m.get("files", {}):
            errors.append("field 'files.head': only a package with a 'head' field has a head file")
        if m.get("training") is not None:
            errors.append("field 'training': only a package with a 'head' field has a training report")
    return errors + size_key_errors(m)


MODEL_VARIANTS = ("fp32", "fp16", "int8", "int8-wasm", "int8-kernels")
"""The files that are the whole model, in the order a runtime falls back on (web/src/variants.js: VARIANTS)."""


def pick_variant(manifest: Manifest, backend: str, wanted: str | None = None) -> str:
    """The variant a runtime on ``backend`` ('cpu', 'wasm', 'webgpu') runs: ``wanted`` when given; else the
    one made for that backend (its report's ``target``, accuracy gate passed); else the first of
    :data:`MODEL_VARIANTS` the package has. web/src/variants.js (pickVariant) mirrors it."""
    files: dict[str, FileEntry] = dict(manifest.files)
    if wanted:
        if "@" in wanted:  # a size key such as 'fp32@257x257' (or a malformed one): never a variant
            raise ManifestError(f"field 'files': '{wanted}' is a file for another input size, not a variant "
                                f"(ask for '{wanted.partition('@')[0]}' and that input size)")
        if wanted not in files:
            raise ManifestError(f"field 'files' has no '{wanted}' variant (has {', '.join(files)})")
        return wanted
    for name in MODEL_VARIANTS:
        report = files[name].report if name in files else None
        if report is not None and report.target == backend and report.gate_passed:
            return name
    found = next((name for name in MODEL_VARIANTS if name in files), None)
    if found is None:
        raise ManifestError(f"field 'files' lists no model file ({', '.join(MODEL_VARIANTS)})")
    return found


def _describe(err: ValidationError, source: str) -> str:
    lines = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or "<root>"
        if e["type"] == "extra_forbidden":
            lines.append(f"unknown field '{field}'")
        else:
            lines.append(f"field '{field}': {e['msg']}")
    return f"{source}: invalid manifest: " + "; ".join(lines)


def _json_values(value: Any, source: str, path: tuple[str | int, ...] = ()) -> Any:
    """``value`` with JSON's semantics: an integral float is an integer (5.0 is 5 to JSON Schema and to
    JavaScript); NaN and infinities, which JSON has not, text that is not Unicode (a lone surrogate, which
    JSON's \\ud800 escape can spell but UTF-8 cannot store) and nesting past MAX_DEPTH are refused."""
    def bad(what: str) -> ManifestError:
        return ManifestError(f"{source}: invalid manifest: field '{'.'.join(map(str, path)) or '<root>'}': {what}")

    if len(path) > MAX_DEPTH:
        raise ManifestError(f"{source}: invalid manifest: field '{'.'.join(map(str, path[:4]))}…' is nested "
                            f"deeper than {MAX_DEPTH} levels")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise bad(f"{value} is not a JSON number")
        return int(value) if value.is_integer() else value
    if isinstance(value, str) and not _unicode(value):
        raise bad("not well-formed Unicode (a lone surrogate)")
    if isinstance(value, dict):
        for k in value:
            if isinstance(k, str) and not _unicode(k):
                raise bad(f"key {k!r} is not well-formed Unicode (a lone surrogate)")
        return {k: _json_values(v, source, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_values(v, source, (*path, i)) for i, v in enumerate(value)]
    return value


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_manifest(data: Any, source: str = MANIFEST_FILE) -> Manifest:
    """Validate parsed JSON strictly, as the JSON Schema (and web/src/manifest.js) reads it: no lax coercions
    ('5' is not an integer, true is not a number, 1 is not a bool)."""
    try:
        return Manifest.model_validate(_json_values(data, source), strict=True)
    except ValidationError as err:
        raise ManifestError(_describe(err, source)) from None


def read_manifest(path: Path) -> Manifest:
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{path}: {size} bytes, over the {MAX_MANIFEST_BYTES} byte limit for a manifest")
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise ManifestError(f"{path}: manifest not found") from None
    except IsADirectoryError:
        raise ManifestError(f"{path}: is a folder, not a manifest") from None
    try:
        data = strict_json.loads(raw)
    except json.JSONDecodeError as err:
        raise ManifestError(f"{path}: not valid JSON ({err.msg} at line {err.lineno})") from None
    except ValueError as err:
        raise ManifestError(f"{path}: not valid JSON ({err})") from None
    return parse_manifest(data, str(path))


def json_schema() -> dict[str, Any]:
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://edgeward.dev/schema/manifest-v1.json"
    return schema
