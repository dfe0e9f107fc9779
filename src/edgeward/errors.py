"""One error hierarchy. Every message names the file, field or op that is at fault."""

from __future__ import annotations


class EdgewardError(Exception):
    """Base class: the CLI prints these without a traceback and exits with ``exit_code``.

    The codes are edgeward.cli.exit_codes.ExitCode: 1 a check failed (the default), 2 usage or bad
    input, 3 the environment (a tool, extra or browser is missing, a registry is unreachable).
    """

    exit_code = 1


class ConversionError(EdgewardError):
    """A source model could not be converted (unsupported op, malformed graph)."""


class ModelFormatError(ConversionError):
    """A model file (model.json, weight shard, ONNX) is missing, corrupt or truncated."""

    exit_code = 2


class VerificationError(ConversionError):
    """A converted model disagrees with its source beyond tolerance."""


class ManifestError(EdgewardError):
    """A package manifest is missing, malformed, or has a field we do not understand."""

    exit_code = 2


class IntegrityError(EdgewardError):
    """A file does not match the sha256 or byte size its manifest promises."""


class PackageNotFoundError(EdgewardError):
    """No package of that name (and version) is in the local store."""

    exit_code = 2


class TaskError(EdgewardError):
    """The package's task does not offer what was asked (``classify`` on a pose package)."""

    exit_code = 2


class OptionError(EdgewardError, ValueError):
    """An option is out of range (``max_poses=0``); the browser runtime throws a RangeError."""

    exit_code = 2


class TrainingError(EdgewardError):
    """The data cannot be trained on (a single class, a class with no examples, a NaN, ragged rows)."""

    exit_code = 2


class ImageError(EdgewardError):
    """An input image is missing or cannot be decoded."""

    exit_code = 2


class ToolMissingError(EdgewardError):
    """An external tool the command needs (node, npm, chromium) is not installed."""

    exit_code = 3


class MissingExtraError(ToolMissingError):
    """An optional framework (torch, keras, scikit-learn) is not installed; the message names the extra."""


class BrowserError(EdgewardError):
    """The headless browser run failed; the message carries the page's error."""


class BrowserStartError(BrowserError):
    """Chromium is there but could not be started (a crash, a wrong binary, missing libraries)."""

    exit_code = 3
