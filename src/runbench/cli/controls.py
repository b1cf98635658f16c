"""Control characters made visible before text reaches a terminal.

An upstream answer can hold escape sequences (ESC ] 52 sets the user's clipboard, ESC [ 2 J
clears the screen) and they travel into a step's error, a run's outputs, and from there into
error messages; a terminal obeys them. Every CLI line that may carry such text goes through
:func:`shown_controls` when it is written to a terminal (into a file or a pipe the text is
kept as it is). Newlines and tabs are kept: a path's syntax error points with a second line.
Which characters count is the core's (``core.controls``), shared with the TUI's filter.
"""

from __future__ import annotations

from typing import TextIO

from runbench.core.controls import shown_controls


def for_terminal(text: str, stream: TextIO) -> str:
    """``text`` as it may be written to ``stream``: controls shown on a terminal, kept
    elsewhere."""
    isatty = getattr(stream, "isatty", None)
    return shown_controls(text) if isatty is not None and isatty() else text


__all__ = ["for_terminal", "shown_controls"]
