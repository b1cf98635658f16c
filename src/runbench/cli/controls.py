"""Control characters made visible before text reaches a terminal.

An upstream answer can hold escape sequences (ESC ] 52 sets the user's clipboard, ESC [ 2 J
clears the screen) and they travel into a step's error, a run's outputs, and from there into
error messages; a terminal obeys them. Every CLI line that may carry such text goes through
:func:`shown_controls` when it is written to a terminal (into a file or a pipe the text is
kept as it is). Newlines and tabs are kept: a path's syntax error points with a second line.
Which characters count is the core's (``core.controls``), shared with the TUI's filter.

One print at a time was not enough: `runbench runs WS ID` printed a run's end message (a
template over an answer) as it was, and a terminal cleared itself. So ``main`` writes every
command's output through :class:`ShownStream` on a terminal (:func:`shown_streams`); what
runbench means as a terminal sequence (the spinner's line clearing, ``test``'s colours)
goes to :func:`raw` of the stream, after its text was shown. The workbench (Textual, with
its own line filter) and the servers (uvicorn's coloured log; their log lines are
``log_safe``) write their own way.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from runbench.core.controls import shown_controls


def for_terminal(text: str, stream: TextIO) -> str:
    """``text`` as it may be written to ``stream``: controls shown on a terminal, kept
    elsewhere."""
    isatty = getattr(stream, "isatty", None)
    return shown_controls(text) if isatty is not None and isatty() else text


class ShownStream:
    """A terminal's text stream whose writes show control characters (``\\xNN``); every
    other attribute is the stream's own (``isatty``, ``fileno``, ``encoding``...)."""

    def __init__(self, stream: TextIO) -> None:
        self.raw = stream

    def write(self, text: str) -> int:
        self.raw.write(shown_controls(text))
        return len(text)

    def writelines(self, lines: Iterator[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def raw(stream: TextIO) -> TextIO:
    """Where to write a sequence meant for the terminal: under a :class:`ShownStream`, the
    terminal itself; otherwise ``stream``."""
    return stream.raw if isinstance(stream, ShownStream) else stream


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


@contextmanager
def shown_streams() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr``, where they are terminals, as :class:`ShownStream`
    while the block runs (a pipe or a file gets the text as it is)."""
    saved = sys.stdout, sys.stderr
    if _is_terminal(sys.stdout):
        sys.stdout = ShownStream(sys.stdout)
    if _is_terminal(sys.stderr):
        sys.stderr = ShownStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


__all__ = ["ShownStream", "for_terminal", "raw", "shown_controls", "shown_streams"]
