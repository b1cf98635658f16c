"""``--ascii``: the last step before the terminal, so no non-ASCII glyph reaches it.

Over some SSH sessions and serial consoles only ASCII renders, and a stray box-drawing
character garbles the line. The workbench draws its own marks in ASCII in this mode
(``symbols``, the tree guides, ``-ascii`` borders), but Textual's widgets bring their
own glyphs (a Select's arrow, the tabs' underline, the header's dash, the palette's
icon, the footer's bar). Rather than chase each, this line filter, applied by Textual to
every line of every widget, replaces each non-ASCII character by an ASCII one of the
same width: lines, corners and arrows by their shapes, anything else by ``?``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

NAMED = {
    "·": ".",
    "•": "*",
    "…": ".",
    "—": "-",
    "–": "-",
    "‖": "=",
    "→": ">",
    "←": "<",
    "↑": "^",
    "↓": "v",
    "▶": ">",
    "▸": ">",
    "▼": "v",
    "▾": "v",
    "▲": "^",
    "◀": "<",
    "✔": "+",
    "✓": "+",
    "✘": "x",
    "✗": "x",
    "●": "*",
    "○": "o",
    "█": "#",
    "▌": "|",
    "▐": "|",
    "▏": "|",
    "▕": "|",
    "▎": "|",
    "▔": "-",
    "▁": "_",
    "▂": "_",
    "▃": "_",
    "▄": "_",
    "▀": "-",
    "\u00a0": " ",
    "🔎": ">",
}


@lru_cache(maxsize=4096)
def ascii_char(char: str) -> str:
    """An ASCII stand-in for ``char`` with the same cell width."""
    if char.isascii():
        return char
    width = max(cell_len(char), 0)
    if width == 0:
        return ""  # combining marks, zero-width joiners, variation selectors
    if char in NAMED:
        return NAMED[char].ljust(width)
    name = unicodedata.name(char, "")
    if name.startswith(("BOX DRAWINGS", "HEAVY", "LIGHT")) or 0x2500 <= ord(char) <= 0x257F:
        return _box(name).ljust(width)
    if 0x2580 <= ord(char) <= 0x259F:  # block elements
        return "#".ljust(width)
    decomposed = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
    if decomposed and cell_len(decomposed) == width:
        return decomposed
    return "?" * width


def _box(name: str) -> str:
    """A box-drawing character by its shape: ``-``, ``|`` or ``+``."""
    horizontal = "HORIZONTAL" in name or " LEFT" in name or " RIGHT" in name
    vertical = "VERTICAL" in name or " UP" in name or " DOWN" in name
    if horizontal and vertical or "ARC" in name:
        return "+"
    return "|" if vertical else "-"


def to_ascii_text(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ascii_char(char) for char in text)


class AsciiFilter(LineFilter):
    """Every segment's text made ASCII, cell width kept (see the module docstring)."""

    def apply(self, segments: list[Segment], _background: Color) -> list[Segment]:
        if all(segment.text.isascii() for segment in segments):
            return segments
        return [
            Segment(to_ascii_text(text), style, control) if not text.isascii() else segment
            for segment in segments
            for text, style, control in (segment,)
        ]


__all__ = ["AsciiFilter", "ascii_char", "to_ascii_text"]
