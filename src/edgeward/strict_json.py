"""JSON as a browser's ``JSON.parse`` reads it, for files and requests other people make.

Python's ``json`` also takes ``NaN``, ``Infinity`` and ``-Infinity`` (which no JSON parser in a browser
does, so the two halves would disagree on the same file) and meets deep nesting with a ``RecursionError``.
Here both are a ``ValueError`` that says what is wrong; callers put it in their own error, naming the file.
"""

from __future__ import annotations

import json
from typing import Any


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (JSON numbers are finite)")


def loads(text: str | bytes) -> Any:
    """Parse ``text`` (bytes: UTF-8, a leading byte-order mark dropped as fetch's ``text()`` does); ValueError
    (a json.JSONDecodeError where json says so)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ValueError(f"not UTF-8 text (byte {err.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise ValueError("nested too deeply") from None
