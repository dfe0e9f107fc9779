"""One error hierarchy. Every message names the file, field or op that is at fault."""

from __future__ import annotations


class EdgewardError(Exception):
    """Base class: the CLI prints these without a traceback and exits non-zero."""

    exit_code = 1


class ConversionError(EdgewardError):
    """A source model could not be converted (unsupported op, malformed graph)."""


class ModelFormatError(ConversionError):
    """A model file (model.json, weight shard, ONNX) is missing, corrupt or truncated."""


class VerificationError(ConversionError):
    """A converted model disagrees with its source beyond tolerance."""


class ManifestError(EdgewardError):
    """A package manifest is missing, malformed, or has a field we do not understand."""


class IntegrityError(EdgewardError):
    """A file does not match the sha256 or byte size its manifest promises."""


class PackageNotFoundError(EdgewardError):
    """No package of that name (and version) is in the local store."""


class ImageError(EdgewardError):
    """An input image is missing or cannot be decoded."""


class ToolMissingError(EdgewardError):
    """An external tool the command needs (node, npm, chromium) is not installed."""


class MissingExtraError(ToolMissingError):
    """An optional framework (torch, keras, scikit-learn) is not installed; the message names the extra."""


class BrowserError(EdgewardError):
    """The headless browser run failed; the message carries the page's error."""
