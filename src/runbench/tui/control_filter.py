"""No control character from a response (or any text the workbench shows) reaches the
terminal.

The workbench shows what upstream services answer: bodies, headers, outputs, error texts.
Textual and Rich pass an escape character through to the terminal (Rich drops only bell,
backspace, vertical tab, form feed and carriage return), so a body holding
``ESC ] 52 ; c ; ... BEL`` set the user's clipboard, ``ESC [ 2 J`` cleared the screen, and a
title or a hyperlink could be set under the user's eyes. This line filter, on for every
line the app draws, drops C0 and C1 control characters and DEL from the text of each
segment (never a segment Textual marks as control: its own cursor moves). Those
characters take no cell, so dropping them changes no width and no column. Which characters
count is the core's (``core.controls``), shared with the CLI, which shows them instead.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from runbench.core.controls import TERMINAL_CONTROLS as CONTROL
from runbench.core.controls import without_controls


class ControlFilter(LineFilter):
    """Every segment's text without control characters (see the module docstring)."""

    def apply(self, segments: list[Segment], _background: Color) -> list[Segment]:
        text = "".join([segment.text for segment in segments])
        if text.isprintable() or not CONTROL.search(text):  # the usual line: one look
            return segments
        return [
            segment
            if segment.is_control
            else Segment(without_controls(segment.text), segment.style)
            for segment in segments
        ]


__all__ = ["CONTROL", "ControlFilter", "without_controls"]
