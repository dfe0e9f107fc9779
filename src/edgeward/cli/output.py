"""One way to print data: ``--json`` writes JSON to stdout, otherwise rich tables.

Progress and notes go to stderr in JSON mode, so stdout stays one parseable document.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

out = Console()
err = Console(stderr=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")]


@dataclass(frozen=True)
class Column:
    key: str
    header: str = ""
    fmt: str = ""
    """A format spec for the value, e.g. '.2f'."""
    right: bool = False


def _plain(value: Any) -> Any:
    """json.dump's fallback for what the library returns: paths, numpy values, pydantic models."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    raise TypeError(f"--json: cannot write a {type(value).__name__}")


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=_plain)
    sys.stdout.write("\n")


def _cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(format(v, fmt) for v in value)
    return format(value, fmt)


def table(rows: Iterable[dict[str, Any]], columns: Sequence[Column], title: str | None = None) -> Table:
    shown = Table(title=title)
    for c in columns:
        shown.add_column(c.header or c.key, justify="right" if c.right else "left")
    for row in rows:
        shown.add_row(*(Text(_cell(row.get(c.key), c.fmt)) for c in columns))  # a label '[PAD]' is not markup
    return shown


def emit(data: Any, as_json: bool, render: Callable[[], RenderableType | list[RenderableType]]) -> None:
    """Print ``data`` as JSON, or what ``render()`` makes of it (built only when it is shown)."""
    if as_json:
        print_json(data)
        return
    shown = render()
    for part in shown if isinstance(shown, list) else [shown]:
        out.print(part, markup=not isinstance(part, str))  # plain strings carry paths and names, not markup


def emit_rows(rows: list[dict[str, Any]], columns: Sequence[Column], title: str, as_json: bool) -> None:
    emit(rows, as_json, lambda: table(rows, columns, title))


def note(message: str, as_json: bool = False, markup: bool = False) -> None:
    """A line for people: stdout with tables, stderr beside JSON. Markup only where the caller wrote it."""
    (err if as_json else out).print(message, highlight=False, soft_wrap=True, markup=markup)
