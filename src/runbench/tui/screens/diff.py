"""A unified diff in a scrollable view: what differs between the file on disk and the
workspace in memory, so a user facing "changed on disk" can decide with the facts.

Lines are coloured (``+`` yours, ``-`` the disk's, ``@@`` where) and also keep their
``+``/``-`` marks, so the view reads the same without colour. Keys: up/down/page keys
scroll, escape (or enter, or q) goes back to the choice.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from runbench.tui.screens.dialog_screen import DialogScreen

STYLES = {"+": "green", "-": "red", "@": "cyan"}


def diff_text(diff: str) -> Text:
    text = Text()
    for line in diff.splitlines():
        style = "bold" if line.startswith(("+++", "---")) else STYLES.get(line[:1], "")
        text.append(line + "\n", style=style)
    text.rstrip()
    return text


class DiffScreen(DialogScreen[None]):
    """See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Back"),
    ]

    def __init__(self, title: str, diff: str) -> None:
        super().__init__(id="diff-screen", classes="dialog")
        self.title_text = title
        self.diff = diff

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="diff-box"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(id="diff-scroll", can_focus=True):
                yield Static(diff_text(self.diff), id="diff-text")
            yield Static("up/down/pgup/pgdn scroll · escape back", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#diff-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["DiffScreen", "diff_text"]
