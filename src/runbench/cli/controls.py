"""Control characters made visible before text reaches a terminal.

An upstream answer can hold escape sequences (ESC ] 52 sets the user's clipboard, ESC [ 2 J
clears the screen) and they travel into a step's error, a run's outputs, and from there into
error messages; a terminal obeys them. Every CLI line that may carry such text goes through
:func:`shown_controls` when it is written to a terminal (into a file or a pipe the text is
kept as it is). Newlines and tabs are kept: a path's syntax error points with a second line.
"""

from __future__ import annotations

import re
from typing import TextIO

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown_controls(text: str) -> str:
    """``text`` with every control character but newline and tab as ``\\xNN``."""
    return _CONTROLS.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def for_terminal(text: str, stream: TextIO) -> str:
    """``text`` as it may be written to ``stream``: controls shown on a terminal, kept
    elsewhere."""
    isatty = getattr(stream, "isatty", None)
    return shown_controls(text) if isatty is not None and isatty() else text


__all__ = ["for_terminal", "shown_controls"]
