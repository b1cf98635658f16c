"""A read-only, virtualized text view: only the lines on screen are ever highlighted.

TextArea builds per-line structures for the whole document when text is loaded, which
for a 50 MiB response means seconds on the message pump. ``LineView`` keeps one string
and an array of line starts (``state.body_lines.Lines``) and renders just the visible rows,
lexing each with pygments on demand (cached), so scrolling and key presses stay instant
whatever the size. A line too long to highlight (a minified body that is not JSON can be
one 50 MiB line) is sliced to the columns on screen, never copied or measured whole.
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import Lexer
from pygments.lexers import JsonLexer
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runbench.tui.state.body_lines import EMPTY, Lines
from runbench.tui.widgets.highlight import SYNTAX_STYLES, lexer_spans

MAX_HIGHLIGHT_LINE = 4000
"""Longer lines are shown plain (lexing them would cost more than it shows)."""
SEGMENT_CACHE = 256
"""Highlighted lines kept (a few screens). Strips are not kept at all: each one carries
Textual's caches and derived strips, and thousands of them kept alive (a big body scrolled
through) made every full garbage collection, hence some key presses, 100+ ms slower."""


class LineView(ScrollView, can_focus=True):
    """Shows ``Lines``; set them with :meth:`show` (attributes down, no messages up)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+home", "scroll_home", "Top", show=False),
        Binding("ctrl+end", "scroll_end", "Bottom", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: Lines = EMPTY
        self.lexer: Lexer | None = None
        self._cache: LRUCache[int, list[Segment]] = LRUCache(SEGMENT_CACHE)

    def show(self, lines: Lines, lexer: Lexer | None = None, *, keep_scroll: bool = False) -> None:
        self.lines = lines
        self.lexer = lexer if lexer is not None else (JsonLexer() if lines.json else None)
        self._cache.clear()
        self.virtual_size = Size(lines.width + 1, lines.count)
        if not keep_scroll:
            self.scroll_to(0, 0, animate=False)
        self.refresh()

    @property
    def text(self) -> str:
        return self.lines.text

    def _segments(self, index: int) -> list[Segment]:
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        line = self.lines.line(index)
        segments: list[Segment]
        if self.lexer is None:
            segments = [Segment(line)]
        else:
            segments = []
            position = 0
            for start, end, name in lexer_spans(line, self.lexer):
                if start > position:
                    segments.append(Segment(line[position:start]))
                segments.append(Segment(line[start:end], SYNTAX_STYLES.get(name)))
                position = end
            if position < len(line):
                segments.append(Segment(line[position:]))
        self._cache[index] = segments
        return segments

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= self.lines.count:
            return Strip.blank(width, base)
        start, end = self.lines.bounds(index)
        if end - start > MAX_HIGHLIGHT_LINE:  # plain anyway: take only what is on screen
            segments = [Segment(self.lines.part(index, scroll_x, scroll_x + width), base)]
            return Strip(segments).crop_extend(0, width, base or Style())
        segments = self._segments(index)
        strip = Strip(Segment.apply_style(segments, base) if base else segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base or Style())
