"""A small host app for testing one widget alone: the workbench's styles, the widget, and
a list of the messages it posts up, instead of starting the whole workbench (about a
quarter of a second of CPU per test before anything is tested)."""

from __future__ import annotations

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
