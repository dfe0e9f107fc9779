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


class VendorFilesError(ToolMissingError):
    """npm files Edgeward serves or runs are missing or cannot be fetched (onnxruntime-web's runtime files,
    TF.js for verification and the bench); the message says how to get them (edgeward.vendor)."""


class BrowserError(EdgewardError):
    """The headless browser run failed; the message carries the page's error."""


class BrowserStartError(BrowserError):
    """Chromium is there but could not be started (a crash, a wrong binary, missing libraries)."""

    exit_code = 3


class FederatedError(EdgewardError):
    """A federated task, round or message is not usable (a bad task spec, a round that cannot close)."""

    exit_code = 2


class AggregationError(FederatedError):
    """Too few updates for the aggregator and the assumed number of attackers, or malformed update arrays."""


class CoordinatorUnavailableError(FederatedError):
    """The federated coordinator could not be reached (a client keeps its update and tries again)."""

    exit_code = 3


class UpdateRefusedError(FederatedError):
    """A client's update is refused before it counts. ``code`` is stable ('shape', 'nan', 'stale', …; the
    table is edgeward.federated.validate.REFUSALS) and ``http_status`` the 4xx the API answers with."""

    http_status = 422

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class InvalidUpdateError(UpdateRefusedError):
    """The update's header or payload is wrong: dtype, shape, byte length, NaN/Inf, norm (HTTP 422)."""

    http_status = 422


class UpdateTooLargeError(UpdateRefusedError):
    """The payload is larger than the coordinator's byte cap (HTTP 413)."""

    http_status = 413


class UpdateConflictError(UpdateRefusedError):
    """The update is for a round or version that is not the open one, or repeats one (HTTP 409)."""

    http_status = 409


class ClientTokenError(UpdateRefusedError):
    """Unknown client id, or a token that is not the one issued at join (HTTP 401)."""

    http_status = 401


class NotSampledError(UpdateRefusedError):
    """The client was not sampled for this round (HTTP 403)."""

    http_status = 403


class RateLimitedError(UpdateRefusedError):
    """The client sent more requests than the task's rate limit allows (HTTP 429)."""

    http_status = 429
