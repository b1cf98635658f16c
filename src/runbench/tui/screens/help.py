"""The keys screen (f1 or ?): every binding, grouped by where it works.

Built from the BINDINGS of the app and its widgets, so it cannot drift from what the
keys really do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from runbench.tui.screens.dialog_screen import DialogScreen

EXTRA: tuple[tuple[str, str], ...] = (
    ("ctrl+p", "Command palette: every action, and go to any method or runbook"),
    ("tab / shift+tab", "Move focus between the tree, the fields and the response"),
    ("arrows, enter", "Move in the tree, tables and tabs; enter opens/edits"),
    ("escape", "Close a dialog; leave the zoomed response (ctrl+r)"),
)


def _keys(key: str) -> str:
    names = {"question_mark": "?", "delete": "del"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in key.split(","))


def binding_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description:
            rows.append((_keys(binding.key), binding.tooltip or binding.description))
    return rows


def help_text(sections: Sequence[tuple[str, Iterable[BindingType]]]) -> Text:
    text = Text()
    for title, bindings in [*sections]:
        rows = binding_rows(bindings)
        if not rows:
            continue
        text.append(f"{title}\n", style="bold underline")
        for keys, what in rows:
            text.append(f"  {keys:<18}", style="bold cyan")
            text.append(f"{what}\n")
        text.append("\n")
    text.append("Everywhere\n", style="bold underline")
    for keys, what in EXTRA:
        text.append(f"  {keys:<18}", style="bold cyan")
        text.append(f"{what}\n")
    return text


class HelpScreen(DialogScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q,question_mark", "close", "Close"),
    ]

    def __init__(self, sections: Sequence[tuple[str, Iterable[BindingType]]]) -> None:
        super().__init__(id="help", classes="dialog")
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog-box"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll():
                yield Static(help_text(self.sections), id="help-text")
            yield Static("escape closes · docs/tui.md has the flows", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
