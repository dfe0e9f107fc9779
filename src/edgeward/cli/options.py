"""Choices as Enums (so ``--help`` lists them and a bad value is Typer's usage error) and shared options."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from edgeward.errors import OptionError


class Variant(StrEnum):
    """A package file variant (manifest ``files`` key)."""

    fp32 = "fp32"
    fp16 = "fp16"
    int8 = "int8"
    int8_wasm = "int8-wasm"
    int8_kernels = "int8-kernels"


class QuantizeTarget(StrEnum):
    int8 = "int8"
    fp16 = "fp16"


class TuneFor(StrEnum):
    """The backend whose kernels a variant is timed and tuned on (edgeward quantize --target)."""

    cpu = "cpu"
    wasm = "wasm"
    kernels = "kernels"


class CalibrationMethod(StrEnum):
    """onnxruntime's static-quantization calibrators."""

    MinMax = "MinMax"
    Entropy = "Entropy"
    Percentile = "Percentile"
    Distribution = "Distribution"


class HeadKind(StrEnum):
    """A trained head (edgeward train --head)."""

    knn = "knn"
    linear = "linear"
    mlp = "mlp"


class Resize(StrEnum):
    """Pose pre-processing: the package's own (its letterbox), or @tensorflow-models/posenet's."""

    package = "package"
    tfjs_posenet = "tfjs-posenet"


class Optimizer(StrEnum):
    adam = "adam"
    sgd = "sgd"


VariantOption = Annotated[Variant, typer.Option(help="Package variant to run")]
RegistryOption = Annotated[str | None, typer.Option(
    help="Registry URL (default: EDGEWARD_REGISTRY_URL, else the local store)")]
ModelOption = Annotated[str, typer.Option(help="Package name, NAME@VERSION, NAME@RANGE, or a package folder")]


def registry_url(url: str | None) -> str:
    """The registry a command must talk to: ``--registry`` or EDGEWARD_REGISTRY_URL."""
    from edgeward.settings import get_settings

    found = url or get_settings().registry_url
    if not found:
        raise OptionError("no registry: pass --registry URL or set EDGEWARD_REGISTRY_URL")
    return found
