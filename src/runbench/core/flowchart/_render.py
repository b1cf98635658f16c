"""Drawing half of the runbook flowchart: a ``Layout`` becomes lines of text.

Lines are drawn first as direction bits per cell (up/down/left/right), so where edges meet the
right junction character appears by itself (``├`` where a line joins, ``┼`` where two cross);
edges use rounded corners (``╭╮╰╯``) so they never look like the square corners of a box.
Boxes are drawn after the lines and only ever on cells the layout reserved for them, so no
line can show through a box. The TUI gets the box rectangles back for mouse hit-testing and
highlighting, and passes run-state marks that fill a fixed two-column slot, so marking a step
never changes its box.

The types of a laid-out chart (``Box``, ``PlacedNode``, ``RoutedEdge``, ``Layout``) live in
``_geometry``, shared with placement and routing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runbench.core.flowchart._geometry import MARK_WIDTH, Box, Layout, PlacedNode

_U, _D, _L, _R = 1, 2, 4, 8
# indexed by direction bits: up 1, down 2, left 4, right 8
_UNICODE_LINES = " │││─╯╮┤─╰╭├─┴┬┼"
_ASCII_LINES = " |||-+++-+++-+++"
_ASCII_MARKS = {"▶": ">", "●": "*", "✔": "+", "✘": "x", "■": "#", "⏸": "=", "…": "~"}


@dataclass(frozen=True)
class _Glyphs:
    lines: str
    corners: str  # top-left, top-right, bottom-left, bottom-right
    horizontal: str
    vertical: str
    tee: str
    arrows: str  # down, up, right, left
    ellipsis: str


_UNICODE = _Glyphs(_UNICODE_LINES, "┌┐└┘", "─", "│", "┬", "▼▲►◄", "…")
_ASCII = _Glyphs(_ASCII_LINES, "++++", "-", "|", "+", "v^><", "~")


@dataclass(frozen=True)
class RenderedChart:
    """The drawn chart: ``lines`` all of one width; ``boxes`` maps step id to its rectangle,
    ``markers`` maps a missing step's name to its "?name" marker; ``notes`` say what could
    not be drawn as given."""

    lines: list[str]
    boxes: dict[str, Box]
    markers: dict[str, Box]
    notes: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def width(self) -> int:
        return len(self.lines[0]) if self.lines else 0

    def node_at(self, col: int, row: int) -> str | None:
        """The step whose box covers the cell, for mouse clicks."""
        for name, box in self.boxes.items():
            if box.contains(col, row):
                return name
        return None


def render(
    layout: Layout, *, ascii: bool = False, marks: Mapping[str, str] | None = None
) -> RenderedChart:
    """Draw ``layout``; ``marks`` maps step ids to a 2-column prefix such as "▶ " or "✔ "."""
    glyphs = _ASCII if ascii else _UNICODE
    bits = [[0] * layout.width for _ in range(layout.height)]
    for stroke in layout.strokes or [edge.points for edge in layout.edges]:
        _trace(bits, stroke)
    for edge in layout.edges:
        x, y = edge.points[0]
        bits[y][x] |= _U  # joins the tee on the source box
    grid = [[glyphs.lines[b] for b in row] for row in bits]
    for node in layout.nodes:
        mark = (marks or {}).get(node.id, "") if not node.missing else ""
        _draw_box(grid, node, glyphs, _fit(mark, MARK_WIDTH, ascii, ""))
    for edge in layout.edges:
        (x0, y0), (x1, y1), (x2, y2) = edge.points[0], edge.points[-2], edge.points[-1]
        if y0 > 0 and grid[y0 - 1][x0] == glyphs.horizontal:
            grid[y0 - 1][x0] = glyphs.tee
        grid[y2][x2] = glyphs.arrows[_direction(x1, y1, x2, y2)]
    for edge in layout.edges:
        if edge.label_at is not None:
            text = _fit(edge.label, edge.label_width, ascii, glyphs.ellipsis)
            _write_free(grid, edge.label_at, text)
    boxes = {n.id: n.box for n in layout.nodes if not n.missing}
    markers = {n.id: n.box for n in layout.nodes if n.missing}
    return RenderedChart(["".join(row) for row in grid], boxes, markers, layout.notes)


def box_text(node: PlacedNode, mark: str = "", *, ascii: bool = False) -> tuple[str, str]:
    """The two inner lines of a step's box (without borders): mark + id, then the kind."""
    ellipsis = _ASCII.ellipsis if ascii else _UNICODE.ellipsis
    room = node.box.w - 4 - MARK_WIDTH
    name = ("?" if node.missing else "") + node.id
    mark = _fit(mark, MARK_WIDTH, ascii, "")
    first = f" {mark}{_fit(name, room, ascii, ellipsis)} "
    second = f" {' ' * MARK_WIDTH}{_fit(node.kind, room, ascii, ellipsis)} "
    return first, second


def _fit(text: str, width: int, ascii: bool, ellipsis: str) -> str:
    if ascii:
        text = "".join(ch if ch.isascii() else _ASCII_MARKS.get(ch, "?") for ch in text)
    if len(text) > width:
        text = text[: width - len(ellipsis)] + ellipsis if width >= len(ellipsis) else ""
    return text.ljust(width)


def _draw_box(grid: list[list[str]], node: PlacedNode, g: _Glyphs, mark: str) -> None:
    b = node.box
    inner = b.w - 2
    first, second = box_text(node, mark, ascii=g is _ASCII)
    rows = [
        g.corners[0] + g.horizontal * inner + g.corners[1],
        g.vertical + first + g.vertical,
        g.vertical + second + g.vertical,
        g.corners[2] + g.horizontal * inner + g.corners[3],
    ]
    for dy, text in enumerate(rows):
        grid[b.y + dy][b.x : b.right] = list(text)


def _trace(bits: list[list[int]], points: tuple[tuple[int, int], ...]) -> None:
    for (xa, ya), (xb, yb) in zip(points, points[1:], strict=False):
        if xa == xb:
            step = 1 if yb > ya else -1
            ahead, behind = (_D, _U) if step > 0 else (_U, _D)
            for y in range(ya, yb, step):
                bits[y][xa] |= ahead
                bits[y + step][xa] |= behind
        else:
            step = 1 if xb > xa else -1
            ahead, behind = (_R, _L) if step > 0 else (_L, _R)
            for x in range(xa, xb, step):
                bits[ya][x] |= ahead
                bits[ya][x + step] |= behind


def _direction(x1: int, y1: int, x2: int, y2: int) -> int:
    if y2 != y1:
        return 0 if y2 > y1 else 1
    return 2 if x2 > x1 else 3


def _write_free(grid: list[list[str]], at: tuple[int, int], text: str) -> None:
    x, y = at
    for i, ch in enumerate(text.rstrip()):
        if x + i < len(grid[y]) and grid[y][x + i] == " ":
            grid[y][x + i] = ch
