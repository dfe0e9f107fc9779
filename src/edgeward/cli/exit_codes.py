"""The CLI's exit codes: one small table, read from each error class's ``exit_code``.

Documented in the README ("Exit codes") and in ``edgeward --help``; tests/cli/test_exit_codes.py
runs a real failing command for each row.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from functools import wraps
from typing import Any, TypeVar

import typer

from edgeward.errors import EdgewardError


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2
    ENVIRONMENT = 3


MEANING = {
    ExitCode.OK: "ok",
    ExitCode.CHECK_FAILED: "a check failed: verification, integrity (sha256 / size), accuracy gate, conversion, "
                           "registry refusal, a browser run",
    ExitCode.BAD_INPUT: "usage or bad input: an option value, image, model file, manifest, unknown package or "
                        "version range",
    ExitCode.ENVIRONMENT: "environment: a tool or extra is missing (node, npm, Chromium, torch), the browser "
                          "cannot start, the registry is unreachable",
}

# Paragraphs, since Typer's help joins single line breaks.
EPILOG = "\n\n".join(["Exit codes:", *(f"{int(code)}  {text}" for code, text in MEANING.items())])

F = TypeVar("F", bound=Callable[..., Any])


def exit_code(error: EdgewardError) -> ExitCode:
    return ExitCode(getattr(error, "exit_code", ExitCode.CHECK_FAILED))


def friendly(fn: F) -> F:
    """EdgewardErrors print as one line, no traceback, and exit with their class's code."""
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from rich.markup import escape

        from edgeward.cli.output import err

        try:
            return fn(*args, **kwargs)
        except EdgewardError as e:
            err.print(f"[bold red]error:[/] {escape(str(e))}", highlight=False, soft_wrap=True)
            raise typer.Exit(int(exit_code(e))) from None

    return wrapper  # type: ignore[return-value]
