"""``place_underlines``: a tab strip's underline ends under its active tab, also when it was
placed before the tabs had their width (a pane mounted while the process is busy)."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TabbedContent, TabPane, Tabs

from runbench.tui.widgets.tab_underline import place_underlines
from waits import until


class Host(App[None]):
    def compose(self) -> ComposeResult:
        with Vertical(id="pane"), TabbedContent(initial="second"):
            with TabPane("First", id="first"):
                yield Static("one")
            with TabPane("Second tab", id="second"):
                yield Static("two")


def _spans(app: App[Any]) -> tuple[tuple[int, int], tuple[int, int]]:
    tabs = app.query_one(Tabs)
    active = tabs.active_tab
    assert active is not None
    wanted = active.virtual_region.shrink(active.styles.gutter).column_span
    underline: Any = tabs.query_one("Underline")
    return wanted, (underline.highlight_start, underline.highlight_end)


async def test_a_misplaced_underline_is_moved_under_the_active_tab() -> None:
    app = Host()
    async with app.run_test(size=(60, 10)) as pilot:
        await until(pilot, lambda: _spans(app)[0][1] > 0, "tabs laid out")
        wanted, _ = _spans(app)
        underline: Any = app.query_one(Tabs).query_one("Underline")
        underline.highlight_start = underline.highlight_end = 1  # as if placed too early
        place_underlines(app.query_one("#pane"))
        assert _spans(app) == (wanted, wanted)
        assert wanted[1] - wanted[0] == len("Second tab")
