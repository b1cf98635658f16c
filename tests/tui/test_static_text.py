"""show_text (tui/widgets/static_text.py): a Static's content set only when it changes,
so redrawing a derived pane with what it already shows asks for no layout."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from host_app import Host
from runbench.core.workspace import Rule
from runbench.tui.widgets.rules_table import RulesTable
from runbench.tui.widgets.static_text import show_text


def layout_requests(monkeypatch: pytest.MonkeyPatch) -> list[Widget]:
    """The widgets that ask for a layout from now on."""
    asked: list[Widget] = []
    refresh = Widget.refresh

    def spy(self: Widget, *regions: Any, layout: bool = False, **kwargs: Any) -> Any:
        if layout:
            asked.append(self)
        return refresh(self, *regions, layout=layout, **kwargs)

    monkeypatch.setattr(Widget, "refresh", spy)
    return asked


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
        assert hint in asked
        assert "always met" in str(hint.render())
