"""A response holding terminal escape sequences never reaches the terminal as such: the
workbench drops control characters from every line it draws (``tui.control_filter``).
Before, a body with ``ESC ] 52`` set the user's clipboard and ``ESC [ 2 J`` cleared the
screen (Rich and Textual pass an escape through)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from runbench.tui.app import RunbenchApp
from runbench.tui.control_filter import CONTROL, ControlFilter
from runbench.tui.widgets.line_view import LineView
from runbench.tui.widgets.response_viewer import ResponseViewer
from waits import until

HOSTILE = "clip\x1b]52;c;aGk=\x07 clear\x1b[2J csi\x9b31m bell\x07 nul\x00 tab\t end"
BLACK = Color(0, 0, 0)


def test_the_filter_drops_controls_and_keeps_widths() -> None:
    red = Style(color="red")
    segments = [Segment(HOSTILE, red), Segment("plain")]
    filtered = ControlFilter().apply(segments, BLACK)
    assert "".join(s.text for s in filtered) == (
        "clip]52;c;aGk= clear[2J csi31m bell nul tab end" + "plain"
    )
    assert filtered[0].style == red
    assert Segment.get_line_length(filtered) == Segment.get_line_length(segments)
    clean = [Segment("nothing to drop")]
    assert ControlFilter().apply(clean, BLACK) is clean


def test_textuals_own_control_segments_are_kept() -> None:
    move = Segment("\x1b[5;1H", None, [])  # a control segment (Textual's cursor moves)
    assert ControlFilter().apply([move, Segment("a\x1b")], BLACK)[0] is move


@pytest.mark.parametrize("ascii_only", [False, True])
async def test_a_hostile_body_is_drawn_without_its_escapes(
    make_app: Callable[..., RunbenchApp], ascii_only: bool
) -> None:
    def hostile(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=HOSTILE)

    app = make_app(transport=httpx.MockTransport(hostile), ascii_only=ascii_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        viewer = app.query_one(ResponseViewer)
        await until(pilot, lambda: viewer.exchange is not None and not viewer.formatting, "shown")
        filters = app.get_line_filters()
        view = app.query_one("#response-body", LineView)
        assert CONTROL.search(view.lines.text)  # kept in the text (save, copy)
        drawn = ""
        for y in range(view.lines.count):
            segments = list(view.render_line(y))
            for line_filter in filters:
                segments = line_filter.apply(segments, BLACK)
            drawn += "".join(s.text for s in segments)
        assert "clip]52;c;aGk=" in drawn
        assert not CONTROL.search(drawn), repr(drawn)
