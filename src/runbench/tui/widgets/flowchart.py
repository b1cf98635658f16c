"""The flowchart view: a runbook drawn by ``core.flowchart``, scrollable, with a box cursor.

The chart is laid out once per runbook shape (``layout`` is cached on the graph, which is
frozen data) and re-rendered with new marks as a run goes on, so boxes never move while
a run is watched. The view draws lines itself (a ScrollView): every cell gets the style
of what it belongs to, from the component classes below (their looks live in app.tcss):
the selected box, the running/done/failed boxes, boxes with problems, and the edges a
run took. Marks in the boxes (``▶ ✔ ✘ ● !``) say the same in text.

Keys: up/down walk the steps in flow order, left/right jump to the box beside, enter
opens the step editor; a click selects the box under the pointer (``node_at``). The view
posts ``StepSelected``; the app moves the tree and loads the step editor.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runbench.core.flowchart import Graph, Layout, RenderedChart, layout, render
from runbench.tui.keymap import FLOWCHART_KEYS

BOX_CLASSES = ("running", "paused", "done", "failed", "error", "warning")
EdgeKey = tuple[str, str]  # (source step, edge label)


class FlowchartView(ScrollView, can_focus=True):
    """See the module docstring; feed it with :meth:`show`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "flowchart--selected",
        "flowchart--taken",
        "flowchart--note-error",
        "flowchart--note-warning",
        "flowchart--note",
    } | {f"flowchart--{name}" for name in BOX_CLASSES}
    BINDINGS: ClassVar[list[BindingType]] = FLOWCHART_KEYS

    class StepSelected(Message):
        """The cursor moved to ``step``; ``open``: the user asked to edit it."""

        def __init__(self, step: str, open: bool = False) -> None:
            self.step = step
            self.open = open
            super().__init__()

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self.graph: Graph | None = None
        self._layout: Layout | None = None
        self.chart: RenderedChart | None = None
        self.order: list[str] = []
        self.selected: str | None = None
        self._marks: Mapping[str, str] = {}
        self._box_class: Mapping[str, str] = {}
        self._taken: set[EdgeKey] = set()
        self._notes: list[tuple[str, str]] = []
        self._strips: list[Strip] = []

    # -- feeding -----------------------------------------------------------------------
    def show(
        self,
        graph: Graph,
        *,
        order: Sequence[str],
        marks: Mapping[str, str],
        box_class: Mapping[str, str],
        taken: Iterable[EdgeKey] = (),
        notes: Sequence[tuple[str, str]] = (),
        selected: str | None = None,
    ) -> None:
        """Draw ``graph`` with run ``marks``; ``box_class`` names a BOX_CLASSES look per
        step, ``taken`` the edges to highlight, ``notes`` (severity, text) go below."""
        if graph != self.graph or self._layout is None:
            self.graph = graph
            self._layout = layout(graph)
        self.order = list(order)
        self._marks, self._box_class = dict(marks), dict(box_class)
        self._taken, self._notes = set(taken), list(notes)
        if selected is not None or self.selected not in self.order:
            self.selected = selected if selected in self.order else None
        self._redraw()

    def select(self, step: str | None, *, scroll: bool = True) -> None:
        """Move the cursor to ``step`` without posting anything."""
        if step == self.selected or (step is not None and step not in self.order):
            return
        self.selected = step
        self._redraw()
        if scroll:
            self.scroll_to_selected()

    def scroll_to_selected(self) -> None:
        box = self.chart.boxes.get(self.selected or "") if self.chart else None
        if box is not None:
            self.scroll_to_region(Region(box.x, box.y, box.w, box.h), animate=False, immediate=True)

    # -- drawing -----------------------------------------------------------------------
    def _redraw(self) -> None:
        if self._layout is None:
            return
        chart = self.chart = render(self._layout, ascii=self.ascii_only, marks=self._marks)
        styles: list[list[Style | None]] = [[None] * chart.width for _ in chart.lines]
        self._style_edges(styles)
        self._style_boxes(chart, styles)
        strips = [self._strip(line, row) for line, row in zip(chart.lines, styles, strict=True)]
        width = chart.width
        if self._notes:
            strips.append(Strip([]))
            # notes wrap to the view (a problem's name is often at its end), never
            # narrower than the chart
            wrap = max(width, self.scrollable_content_region.width, 20)
            for severity, text in self._notes:
                style = self._component(f"flowchart--note-{severity}")
                for line in textwrap.wrap(text, wrap, subsequent_indent="  ") or [""]:
                    strips.append(Strip([Segment(line, style)]))
                    width = max(width, len(line))
        self._strips = strips
        self.virtual_size = Size(width, len(strips))
        self.refresh()

    def on_resize(self, _event: events.Resize) -> None:
        if self._notes:
            self._redraw()  # the notes wrap to the new width

    def _component(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _style_boxes(self, chart: RenderedChart, styles: list[list[Style | None]]) -> None:
        selected = self._component("flowchart--selected")
        for name, box in chart.boxes.items():
            look = self._box_class.get(name)
            style = self._component(f"flowchart--{look}") if look else None
            if name == self.selected:
                style = style + selected if style else selected
            if style is None:
                continue
            for y in range(box.y, box.bottom):
                for x in range(box.x, box.right):
                    styles[y][x] = style

    def _style_edges(self, styles: list[list[Style | None]]) -> None:
        if not self._taken or self._layout is None:
            return
        style = self._component("flowchart--taken")
        for edge in self._layout.edges:
            if (edge.source, edge.label) not in self._taken:
                continue
            for (xa, ya), (xb, yb) in zip(edge.points, edge.points[1:], strict=False):
                for y in range(min(ya, yb), max(ya, yb) + 1):
                    for x in range(min(xa, xb), max(xa, xb) + 1):
                        styles[y][x] = style
            if edge.label_at is not None:
                x, y = edge.label_at
                for dx in range(edge.label_width):
                    if x + dx < len(styles[y]):
                        styles[y][x + dx] = style

    def _strip(self, line: str, styles: list[Style | None]) -> Strip:
        segments: list[Segment] = []
        start = 0
        for index in range(1, len(line) + 1):
            if index == len(line) or styles[index] is not styles[start]:
                segments.append(Segment(line[start:index], styles[start]))
                start = index
        return Strip(segments, len(line))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = y + scroll_y
        width = self.size.width
        base = self.rich_style
        if row >= len(self._strips):
            return Strip.blank(width, base)
        strip = self._strips[row].crop(scroll_x, scroll_x + width)
        return strip.apply_style(base).adjust_cell_length(width, base)

    # -- keys and mouse ----------------------------------------------------------------
    def _go(self, step: str | None, open: bool = False) -> None:
        if step is None:
            return
        self.select(step)
        self.post_message(self.StepSelected(step, open))

    def action_move(self, delta: int) -> None:
        if not self.order:
            return
        if self.selected not in self.order:
            self._go(self.order[0])
            return
        index = self.order.index(self.selected or "") + delta
        if 0 <= index < len(self.order):
            self._go(self.order[index])

    def action_beside(self, direction: int) -> None:
        chart = self.chart
        if chart is None or self.selected not in chart.boxes:
            self.action_move(direction)
            return
        here = chart.boxes[self.selected or ""]
        row = [
            (box.x, name)
            for name, box in chart.boxes.items()
            if box.y == here.y and (box.x - here.x) * direction > 0
        ]
        if row:
            self._go(min(row, key=lambda item: abs(item[0] - here.x))[1])
        else:
            self.action_move(direction)

    def action_first(self) -> None:
        if self.order:
            self._go(self.order[0])

    def action_open(self) -> None:
        if self.selected is None and self.order:
            self.select(self.order[0])
        if self.selected is not None:
            self.post_message(self.StepSelected(self.selected, open=True))

    def on_click(self, event: events.Click) -> None:
        if self.chart is None:
            return
        scroll_x, scroll_y = self.scroll_offset
        step = self.chart.node_at(event.x + scroll_x, event.y + scroll_y)
        if step is not None:
            self._go(step, open=event.chain >= 2)

    def box_text(self, step: str) -> str:
        """The text inside a step's box (tests and screen readers)."""
        if self.chart is None or step not in self.chart.boxes:
            return ""
        box = self.chart.boxes[step]
        return "\n".join(line[box.x : box.right] for line in self.chart.lines[box.y : box.bottom])


__all__ = ["BOX_CLASSES", "FlowchartView"]
