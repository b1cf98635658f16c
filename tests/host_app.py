"""A small host app for testing one widget alone: the workbench's styles, the widget, and
a list of the messages it posts up, instead of starting the whole workbench (about a
quarter of a second of CPU per test before anything is tested); and ``layout_requests``,
the widgets that ask such a test's screen for a layout."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget

from runbench.tui.app import RunbenchApp


class Host(App[None]):
    """Mounts ``widget``; keeps every message of the ``kept`` types that reaches the app."""

    CSS_PATH = RunbenchApp.CSS_PATH

    def __init__(self, widget: Widget | None, *kept: type[Message]) -> None:
        super().__init__()
        self.widget = widget
        self.kept = kept
        self.posted: list[Message] = []

    def compose(self) -> ComposeResult:
        if self.widget is not None:
            yield self.widget

    def post_message(self, message: Message) -> bool:
        """A message bubbling up from the widget arrives here (``Message._bubble_to``)."""
        if isinstance(message, self.kept):
            self.posted.append(message)
        return super().post_message(message)


def layout_requests(monkeypatch: pytest.MonkeyPatch) -> list[Widget]:
    """The widgets that ask for a layout (``refresh(layout=True)``) from now on."""
    asked: list[Widget] = []
    refresh = Widget.refresh

    def spy(self: Widget, *regions: Any, layout: bool = False, **kwargs: Any) -> Any:
        if layout:
            asked.append(self)
        return refresh(self, *regions, layout=layout, **kwargs)

    monkeypatch.setattr(Widget, "refresh", spy)
    return asked
