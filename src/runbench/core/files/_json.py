"""JSON from a file the user named, with every way it can fail as a ``JSONDecodeError``.

``json.loads`` raises a plain ``ValueError`` (no line, no column) for an integer longer than
Python converts (``sys.get_int_max_str_digits()``, 4,300 digits unless set otherwise), and
each caller caught only ``JSONDecodeError``: a Halo export or a ticket file holding such a
number ended ``import-halo``, ``eval`` and ``run`` in a traceback. Here it becomes a
``JSONDecodeError`` at the number, so every caller's "file:line:col: not JSON" says it.

What a ``JSONDecodeError`` says is built here too (``json_error_reason``,
``json_error_text``): some of Python's messages end in "at", pointing at the position
(``Invalid control character at``), so adding " at line ..." wrote "at at line".
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any


def load_json_text(text: str) -> Any:
    """``json.loads(text)``; a number too long to read raises ``JSONDecodeError`` naming it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        limit = sys.get_int_max_str_digits()
        found = re.search(rf"\d{{{limit + 1},}}", text) if limit else None
        if found is None:
            raise json.JSONDecodeError(str(exc), text, 0) from None
        raise json.JSONDecodeError(
            f"a number of {len(found.group())} digits (Python reads at most {limit})",
            text,
            found.start(),
        ) from None


def json_error_reason(exc: json.JSONDecodeError) -> str:
    """What is wrong, for a message that names the place itself (``file:line:col: ...``):
    Python's message without the trailing "at" some of its messages end in."""
    return exc.msg.removesuffix(" at")


def json_error_text(exc: json.JSONDecodeError) -> str:
    """What is wrong and where: "Invalid control character at line 1 column 9"."""
    return f"{json_error_reason(exc)} at line {exc.lineno} column {exc.colno}"
