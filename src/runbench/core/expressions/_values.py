"""How a value found by a path is kept and written: ``stored_value`` (what an output
variable holds, with ``!``), ``render`` and ``to_json`` (JSON text, for a bare value in a
JSON body) and ``to_text`` (the same, but NaN and Infinity written as JavaScript writes
them, for every place that takes text).

Kept apart from ``_paths`` (parsing and evaluating a path) because writing a value is its
own set of rules: JSON has no NaN or Infinity, an answer may hold them (``{"n": NaN}``,
``1e999``, an integer over Python's 4,300 digits), and only a JSON body must refuse them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from runbench.core.errors import RenderError
from runbench.core.expressions._path_steps import MAX_NUMBER_CHARS, _kind

_STORED_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_STORED_WORDS: Mapping[str, Any] = {"true": True, "false": False, "null": None}


def render(value: Any, raw: bool) -> str:
    """How a value is written out: JSON text, except a string under `!` is written raw."""
    if raw and isinstance(value, str):
        return value
    return to_json(value)


def stored_value(value: Any, raw: bool) -> Any:
    """What an output variable holds once its path found ``value``.

    Halo keeps variables as text and ``!`` strips the quotes of a string, so an output
    ``response^impact!`` over ``{"impact": "2"}`` holds the text ``2`` and
    ``"impact": <<Impact>>`` sends ``2``, not ``"2"``. runbench keeps typed values, so with
    ``!`` a string that is exactly the JSON text of a number, true, false or null becomes
    that value; any other string stays a string (and is still quoted as a JSON value, which
    keeps the body valid where Halo would break it)."""
    if not raw or not isinstance(value, str):
        return value
    if value in _STORED_WORDS:
        return _STORED_WORDS[value]
    if _STORED_NUMBER.fullmatch(value) and len(value) <= MAX_NUMBER_CHARS:
        if "." not in value:
            return int(value)
        number = float(value)
        if repr(number) == value:
            return number
    return value


def to_json(value: Any) -> str:
    """`json.dumps` with non-ASCII kept; values JSON cannot hold raise RenderError (NaN and
    Infinity among them: an answer may hold them, but a JSON body must not)."""
    try:
        if type(value) is int:  # the common id: json.dumps writes int.__repr__, ~10x slower
            return repr(value)  # (over 4300 digits: ValueError, as from json.dumps)
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        if _only_not_finite(value):
            what = (
                f"the number {json.dumps(value)}"
                if isinstance(value, float)
                else f"{_kind(value)} holding NaN or Infinity"
            )
            raise RenderError(
                f"cannot write {what} as JSON (JSON has no NaN or Infinity);"
                " put the reference in quotes to send it as text"
            ) from None
        raise RenderError(
            f"cannot write {_kind(value)} as JSON ({exc}); only JSON data can be inserted"
        ) from None


def to_text(value: Any) -> str:
    """A value as text for a message, a JSON string, a URL, a header or a display: its JSON,
    except that NaN and Infinity are written ``NaN``, ``Infinity`` and ``-Infinity``, as
    JavaScript writes them (an answer such as ``{"n": NaN}`` or ``1e999`` holds them)."""
    try:
        return to_json(value)
    except RenderError:
        if not _only_not_finite(value):
            raise
        return json.dumps(value, ensure_ascii=False)


def _only_not_finite(value: Any) -> bool:
    """Whether ``value`` is JSON but for a NaN or an infinity somewhere in it."""
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


__all__ = ["render", "stored_value", "to_json", "to_text"]
