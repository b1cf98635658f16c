"""A read-only, virtualized text view: only the lines on screen are ever highlighted.

TextArea builds per-line structures for the whole document when text is loaded, which
for a 50 MiB response means seconds on the message pump. ``LineView`` keeps one string
and an array of line starts (``state.body_lines.Lines``) and renders just the visible rows,
lexing each with pygments on demand (cached), so scrolling and key presses stay instant
whatever the size. A line too long to highlight (a minified body that is not JSON can be
one 50 MiB line) is sliced to the columns on screen, never copied or measured whole.

Search marks are drawn the same way: ``marks`` (a pattern) is applied to the lines on
screen only, the current match (``current``) stands out, and the line it is on is the
selected line (``cursor``, which copy takes). Wrapping (``wrap``) maps screen rows to
(line, column) through the prefix sums of rows per line: one number per line, never per
row, so a 50 MiB single-line body wraps at once.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runbench.tui.state.body_lines import EMPTY, Lines
from runbench.tui.state.body_search import LONG_LINE
from runbench.tui.widgets.highlight import SYNTAX_STYLES, lexer_spans

if TYPE_CHECKING:
    from pygments.lexer import Lexer

MAX_HIGHLIGHT_LINE = LONG_LINE
"""Longer lines are shown plain (lexing them would cost more than it shows)."""
MAX_WRAPPED_LINES = 200_000
"""Bodies with more lines than this are not wrapped (their lines are short anyway)."""
MATCH = Style(bgcolor="yellow", color="black")
CURRENT = Style(bgcolor="dark_orange", color="black", bold=True)
CURSOR = Style(underline=True)
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
        self.marks: re.Pattern[str] | None = None
        self.current: tuple[int, int, int] | None = None  # line, column, length
        self.cursor: int | None = None
        self.wrap = False
        self._rows: array[int] | None = None  # wrapped: first row of each line, then total
        self._wrap_width = 0

    def show(self, lines: Lines, lexer: Lexer | None = None, *, keep_scroll: bool = False) -> None:
        self.lines = lines
        if lexer is None and lines.json:
            from pygments.lexers import JsonLexer  # on first use, not at start-up

            lexer = JsonLexer()
        self.lexer = lexer
        self._cache.clear()
        self._rows = None
        if not keep_scroll:
            self.cursor = None
            self.current = None
        self._resize_virtual()
        if not keep_scroll:
            self.scroll_to(0, 0, animate=False)
        self.refresh()

    # -- search marks, the cursor and wrapping ------------------------------------------------
    def mark(self, pattern: re.Pattern[str] | None) -> None:
        """Highlight every match of ``pattern`` on screen (None: no marks)."""
        self.marks = pattern
        if pattern is None:
            self.current = None
        self.refresh()

    def go_to(self, line: int, column: int, length: int) -> None:
        """Make a match current: select its line and scroll it into view."""
        self.current = (line, column, length)
        self.cursor = line
        height = max(self.scrollable_content_region.height, 1)
        width = max(self.scrollable_content_region.width, 1)
        if self.wrap:
            row = self._row_of(line, column)
            if not self.scroll_offset.y <= row < self.scroll_offset.y + height:
                self.scroll_to(0, max(row - height // 3, 0), animate=False)
        else:
            x = self.scroll_offset.x
            if not x <= column < x + width - length:
                x = max(column - width // 3, 0)
            y = self.scroll_offset.y
            if not y <= line < y + height:
                y = max(line - height // 3, 0)
            self.scroll_to(x, y, animate=False)
        self.refresh()

    @property
    def selected_line(self) -> int:
        """The line copy takes: the cursor's (search, click), else the first on screen."""
        if self.cursor is not None and self.cursor < self.lines.count:
            return self.cursor
        if self.wrap:
            return self._line_at(self.scroll_offset.y)[0]
        return min(self.scroll_offset.y, max(self.lines.count - 1, 0))

    def set_wrap(self, wrap: bool) -> bool:
        """Wrap long lines (or not); False when the body has too many lines to wrap."""
        if wrap and self.lines.count > MAX_WRAPPED_LINES:
            return False
        line = self.selected_line
        self.wrap = wrap
        self._rows = None
        self._resize_virtual()
        self.scroll_to(0, self._row_of(line, 0) if wrap else line, animate=False)
        self.refresh()
        return True

    def _resize_virtual(self) -> None:
        if self.wrap:
            rows = self._wrapped_rows()
            self.virtual_size = Size(self._wrap_width, rows[-1])
        else:
            self.virtual_size = Size(self.lines.width + 1, self.lines.count)

    def on_resize(self) -> None:
        if self.wrap and self._wrap_width != self._text_width():
            self._rows = None
            self._resize_virtual()

    def _text_width(self) -> int:
        return max(self.scrollable_content_region.width, 20)

    def _wrapped_rows(self) -> array[int]:
        width = self._text_width()
        if self._rows is None or width != self._wrap_width:
            self._wrap_width = width
            rows = array("q", [0])
            total = 0
            starts, count, size = self.lines.starts, self.lines.count, len(self.lines.data)
            for index in range(count):
                end = starts[index + 1] - 1 if index + 1 < count else size
                total += max(-(-(end - starts[index]) // width), 1)
                rows.append(total)
            self._rows = rows
        return self._rows

    def _row_of(self, line: int, column: int) -> int:
        if not self.wrap:
            return line
        return self._wrapped_rows()[line] + column // self._wrap_width

    def _line_at(self, row: int) -> tuple[int, int]:
        """(line, first column) shown on wrapped ``row``."""
        rows = self._wrapped_rows()
        line = bisect_right(rows, row) - 1
        return line, (row - rows[line]) * self._wrap_width

    def on_click(self, event: events.Click) -> None:
        if self.wrap:
            line = self._line_at(self.scroll_offset.y + event.y)[0]
        else:
            line = self.scroll_offset.y + event.y
        if 0 <= line < self.lines.count:
            self.cursor = line
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
        width = self.scrollable_content_region.width
        base = self.rich_style
        if self.wrap:
            if scroll_y + y >= self._wrapped_rows()[-1]:
                return Strip.blank(width, base)
            index, scroll_x = self._line_at(scroll_y + y)
        else:
            index = scroll_y + y
        if index >= self.lines.count:
            return Strip.blank(width, base)
        start, end = self.lines.bounds(index)
        if end - start > MAX_HIGHLIGHT_LINE:  # plain anyway: take only what is on screen
            part = self.lines.part(index, scroll_x, scroll_x + width)
            segments = self._marked(index, [Segment(part)], scroll_x, part)
            strip = Strip(Segment.apply_style(segments, base) if base else segments)
            return strip.crop_extend(0, width, base or Style())
        segments = self._segments(index)
        if self.marks is not None or index == self.cursor:
            segments = self._marked(index, segments, 0, self.lines.line(index))
        strip = Strip(Segment.apply_style(segments, base) if base else segments)
        return strip.crop_extend(scroll_x, scroll_x + width, base or Style())

    def _marked(self, index: int, segments: list[Segment], offset: int, text: str) -> list[Segment]:
        """``segments`` (of ``text``, which starts at column ``offset``) with the search
        matches and the current match styled, and the cursor line underlined."""
        spans: list[tuple[int, int, Style]] = []
        if self.marks is not None:
            spans = [(m.start(), m.end(), MATCH) for m in self.marks.finditer(text)]
            current = self.current
            if current is not None and current[0] == index:
                begin = current[1] - offset
                spans = [s for s in spans if s[0] != begin] + [(begin, begin + current[2], CURRENT)]
        if index == self.cursor:
            spans.insert(0, (0, len(text), CURSOR))
        return _styled(segments, spans) if spans else segments


def _styled(segments: list[Segment], spans: list[tuple[int, int, Style]]) -> list[Segment]:
    """Split ``segments`` at the spans' edges and add each span's style (later spans on
    top of earlier ones)."""
    cuts = sorted({0, *(p for s in spans for p in s[:2] if p >= 0)})
    out: list[Segment] = []
    position = 0
    for segment in segments:
        text, style = segment.text, segment.style
        end = position + len(text)
        edges = [c - position for c in cuts if position < c < end]
        begin = 0
        for edge in [*edges, len(text)]:
            piece = text[begin:edge]
            if piece:
                at = position + begin
                added = [s for a, b, s in spans if a <= at < b]
                combined = style
                for extra in added:
                    combined = combined + extra if combined is not None else extra
                out.append(Segment(piece, combined))
            begin = edge
        position = end
    return out
