"""show_text (tui/widgets/static_text.py): a Static's content set only when it changes,
so redrawing a derived pane with what it already shows asks for no layout; and a new
content asks for one only where it can change a size (``may_resize``)."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from host_app import Host, layout_requests
from runbench.core.workspace import Rule
from runbench.tui.widgets.rules_table import RulesTable
from runbench.tui.widgets.static_text import may_resize, show_text


async def test_the_same_content_asks_for_no_layout_a_changed_one_is_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    static = Static("")
    async with Host(static).run_test(size=(80, 24)):
        show_text(static, Text("start: ask", style="dim"))
        asked = layout_requests(monkeypatch)
        show_text(static, Text("start: ask", style="dim"))
        assert asked == []
        # Rich's Text == ignores the base style: not dim any more is a change
        show_text(static, Text("start: ask"))
        assert asked == [static]
        assert isinstance(static.content, Text)
        assert static.content.style == ""
        show_text(static, "start: ask")  # a str where a Text was: shown
        assert static.content == "start: ask"
        assert asked == [static, static]
        show_text(static, "start: ask")
        assert asked == [static, static]


async def test_a_rules_table_shown_again_the_same_asks_for_no_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One of the panes redrawn after every edit: its hint is set only when it changes."""
    rules = RulesTable(id="rules")
    async with Host(rules).run_test(size=(80, 24)):
        rules.show([Rule("<<Status>>", "equals", "open")])
        hint = rules.query_one(".kv-hint", Static)
        asked = layout_requests(monkeypatch)
        rules.show([Rule("<<Status>>", "equals", "open")])
        assert hint not in asked
        rules.show([])
        assert "always met" in str(hint.render())
        assert (hint in asked) is may_resize(hint)


def line(classes: str = "") -> Static:
    line = Static("", classes=classes)
    line.styles.height = 1
    return line


async def test_a_fixed_line_shows_new_text_without_a_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fixed, grows = line(), Static("")
    box = Vertical(fixed, grows)
    async with Host(box).run_test(size=(80, 24)) as pilot:
        assert not may_resize(fixed)  # one row, as wide as its container
        assert may_resize(grows)  # height: auto (Static's)
        asked = layout_requests(monkeypatch)
        show_text(fixed, "uses <<ticket_id>>")
        show_text(grows, "two\nlines")
        assert asked == [grows]
        await pilot.pause()
        assert "uses <<ticket_id>>" in str(fixed.render())
        assert grows.size.height == 2


async def test_a_line_whose_width_follows_content_may_resize() -> None:
    fixed = line()
    box = Vertical(fixed)
    box.styles.height = "auto"  # follows its children's heights: one row, kept
    async with Host(box).run_test(size=(80, 24)):
        assert not may_resize(fixed)
        box.styles.width = "auto"  # as wide as its widest child's text
        assert may_resize(fixed)
        fixed.styles.width = 30
        assert not may_resize(fixed)
        fixed.styles.width = "auto"
        assert may_resize(fixed)
