"""JSON from outside (a file the user named, an answer, a value), with every way it can fail as a
``JSONDecodeError`` and every string writable.

``json.loads`` raises a plain ``ValueError`` for an integer longer than Python converts
(``sys.get_int_max_str_digits()``, 4,300 digits unless set otherwise), though the text is
valid JSON: an answer holding one was "not JSON" to ``runbench test``, a run and the
workbench, and a file holding one was refused by ``eval``, ``run`` and ``import-halo``. Such
an integer is read as a float here, as JavaScript reads every JSON number: past about 309
digits that is ``Infinity`` (``-Infinity`` below zero), which is what ``1e999`` already
gives. Kept exact it would fail again wherever it is written (``str`` has the same limit).
Only a text that failed so is parsed again with the float fallback, so other texts pay
nothing for it.

A string escape naming half of a UTF-16 pair alone (``"\\ud800"``) is valid JSON syntax, but
``json.loads`` gives a Python string holding a lone surrogate, which no UTF-8 encoder writes:
an upstream answer holding one ended ``runbench test`` in a traceback (the request history's
SQLite), failed the journal's writes of a run and crashed ``eval``'s output. Every JSON text
from outside (answers, files, values) goes through ``load_json_text``, which reads such a
half as U+FFFD, the replacement character, as browsers show it; pairs stay the character they
encode. Only a text with a lone one is walked (a text with no ``\\u`` at all
costs one C-level search).

What a ``JSONDecodeError`` says is built here too (``json_error_reason``,
``json_error_text``): some of Python's messages end in "at", pointing at the position
(``Invalid control character at``), so adding " at line ..." wrote "at at line".
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE_ESCAPES = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
)
"""A pair of surrogate escapes (12 characters), else half of one alone (6). Not a pattern
with a look-behind: that one defeated the engine's fast scan and cost twice ``json.loads``."""
_SURROGATE_ESCAPES_BYTES = re.compile(_SURROGATE_ESCAPES.pattern.encode())
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def load_json_text(text: str | bytes) -> Any:
    """``json.loads(text)``, with lone surrogates read as U+FFFD and an integer too long for
    Python read as a float (see the module docstring); any other failure (bytes that are not
    UTF-8) is a ``JSONDecodeError`` too."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer over the digit limit, or bytes that do not decode
        try:
            value = json.loads(text, parse_int=_int_or_float)
        except json.JSONDecodeError:
            raise
        except ValueError as exc:
            raise json.JSONDecodeError(str(exc), _as_text(text), 0) from None
    return without_lone_surrogates(value) if _has_lone_escape(text) else value


def _int_or_float(digits: str) -> int | float:
    """An integer as ``int``, or as ``float`` when it has more digits than ``int`` reads."""
    try:
        return int(digits)
    except ValueError:
        return float(digits)


def _has_lone_escape(text: str | bytes) -> bool:
    """Whether ``text`` escapes half a surrogate pair alone (an escaped backslash before one
    may make this a false alarm: the walk then finds nothing to replace). Where no ``\\u``
    is, one C-level search; else a scan at about a tenth of ``json.loads``'s cost."""
    if isinstance(text, bytes):
        return b"\\u" in text and any(
            len(found.group()) == 6 for found in _SURROGATE_ESCAPES_BYTES.finditer(text)
        )
    return "\\u" in text and any(
        len(found.group()) == 6 for found in _SURROGATE_ESCAPES.finditer(text)
    )


def without_lone_surrogates(value: Any) -> Any:
    """``value`` (as ``json.loads`` makes it) with every lone surrogate in its strings and
    keys replaced by U+FFFD; lists and dicts are changed in place (no recursion: nesting as
    deep as the parser allows is walked too)."""
    if isinstance(value, str):
        return _SURROGATE.sub(REPLACEMENT, value)
    pending = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, str):
                    node[index] = _SURROGATE.sub(REPLACEMENT, item)
                elif isinstance(item, list | dict):
                    pending.append(item)
        elif isinstance(node, dict):
            _repair_dict(node, pending)
    return value


def _repair_dict(node: dict[str, Any], pending: list[Any]) -> None:
    renamed = False
    for key, item in node.items():
        if isinstance(item, str):
            node[key] = _SURROGATE.sub(REPLACEMENT, item)
        elif isinstance(item, list | dict):
            pending.append(item)
        renamed = renamed or _SURROGATE.search(key) is not None
    if renamed:  # rebuilt in the same order (two keys that differ only there become one)
        items = list(node.items())
        node.clear()
        node.update((_SURROGATE.sub(REPLACEMENT, key), item) for key, item in items)


def _as_text(text: str | bytes) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def json_error_reason(exc: json.JSONDecodeError) -> str:
    """What is wrong, for a message that names the place itself (``file:line:col: ...``):
    Python's message without the trailing "at" some of its messages end in."""
    return exc.msg.removesuffix(" at")


def json_error_text(exc: json.JSONDecodeError) -> str:
    """What is wrong and where: "Invalid control character at line 1 column 9"."""
    return f"{json_error_reason(exc)} at line {exc.lineno} column {exc.colno}"


def json_kind(value: Any) -> str:
    """``value``'s kind as JSON names it, with its article ("a number", "null"): for
    messages to people who write JSON, not Python (``int``, ``NoneType`` mean nothing to
    them)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"
