"""The run log and the variables table of the runbook pane, and the value dialog.

Both draw a ``RunView`` (a live run or one opened from history) and nothing else. The
log appends only the lines it has not shown yet, so a long run does not redraw the whole
log per event. The variables table shows every variable, which step set it (or
workspace, --var, input, context, you) and its value on one line; enter opens the full
value, pretty-printed, in a dialog that can change it while the run is paused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Label, RichLog, Static, TextArea

from runbench.core.engine import parse_cli_value
from runbench.tui.screens.dialog_screen import DialogScreen
from runbench.tui.state.run_view import LogLine, RunView
from runbench.tui.widgets.static_text import show_text

ASCII_LOG_MARKS = {
    "▶": ">",
    "✔": "+",
    "✘": "x",
    "↻": "~",
    "‖": "=",
    "✎": "*",
    "•": "-",
    "→": "->",
    "·": "|",
}
LOG_STYLES = {
    "info": "",
    "step": "bold",
    "ok": "green",
    "fail": "bold red",
    "pause": "yellow",
    "http": "dim",
    "child": "dim italic",
}
VALUE_WIDTH = 48


def to_ascii(text: str) -> str:
    return "".join(ASCII_LOG_MARKS.get(ch, ch if ch.isascii() else "?") for ch in text)


def log_text(line: LogLine, ascii_only: bool = False) -> Text:
    text = f"{line.mark} {line.text}"
    return Text(to_ascii(text) if ascii_only else text, style=LOG_STYLES.get(line.kind, ""))


def one_line(value: Any, width: int = VALUE_WIDTH) -> str:
    """A value on one line (JSON for non-strings), cut to ``width`` with "..."."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


class RunLog(RichLog):
    """The events of the shown run, one each; a long one wraps (an error keeps its end,
    where the name of what went wrong usually is)."""

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        # min_width: RichLog renders at least 78 columns wide by default, so at 80x24
        # (a 58-column pane) a long line was wrapped at 78 and its end cut off
        super().__init__(
            id=id, wrap=True, markup=False, highlight=False, auto_scroll=True, min_width=20
        )
        self.ascii_only = ascii_only
        self._shown: tuple[str, int] = ("?", 0)  # (run id shown, lines written)

    def show(self, view: RunView | None) -> None:
        run_id, count = self._shown
        if view is None:
            if run_id:
                self.clear()
                self.write(Text("No run yet: f5 runs the runbook", style="dim"))
            self._shown = ("", 0)
            return
        if view.run_id != run_id or len(view.log) < count:
            self.clear()
            count = 0
        for line in view.log[count:]:
            self.write(log_text(line, self.ascii_only))
        self._shown = (view.run_id, len(view.log))


class VariablesPane(Vertical):
    """Name | set by | value, for the shown run (live values while it is paused)."""

    class Open(Message):
        """Enter on a variable row: show (or edit) it."""

        def __init__(self, name: str) -> None:
            self.name = name
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names: list[str] = []

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True, id="vars-table")
        table.add_columns("Name", "Set by", "Value")
        yield table
        yield Static("", id="vars-hint", classes="kv-hint", markup=False)

    def show(
        self,
        view: RunView | None,
        values: Mapping[str, Any] | None,
        redact: Callable[[str, Any], Any],
        paused: bool,
    ) -> None:
        """``values``: the live variables of a paused run (else the view's own); every value
        goes through ``redact(name, value)`` (secret variables are blanked by name)."""
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        self.names = []
        variables = view.variables if view is not None else {}
        names = sorted(set(variables) | set(values or {}), key=str.lower)
        for name in names:
            known = variables.get(name)
            value = (
                values[name]
                if values is not None and name in values
                else (known.value if known else None)
            )
            table.add_row(
                name, known.source if known else "", one_line(redact(name, value)), key=name
            )
            self.names.append(name)
        if self.names:
            table.move_cursor(row=min(max(cursor, 0), len(self.names) - 1), animate=False)
        hint = "enter: full value" + (" · edit it (the run is paused)" if paused else "")
        show_text(
            self.query_one("#vars-hint", Static),
            hint if view is not None else "No run yet: f5 runs the runbook",
        )

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.names):
            self.post_message(self.Open(self.names[event.cursor_row]))


class ValueDialog(DialogScreen[Any]):
    """A value pretty-printed; when ``editable``, ctrl+s / Set dismisses with the new
    value (JSON when it parses, else the text). Escape dismisses with None."""

    NOTHING = object()
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close"),
        Binding("ctrl+s", "set_value", "Set", show=False),
    ]

    def __init__(self, title: str, value: Any, *, editable: bool, note: str = "") -> None:
        super().__init__(id="value-dialog", classes="dialog")
        self.title_text = title
        self.value = value
        self.editable = editable
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="value-box"):
            yield Label(self.title_text, classes="dialog-title")
            yield TextArea(
                pretty(self.value),
                read_only=not self.editable,
                id="value-text",
                soft_wrap=True,
                tab_behavior="focus",
                show_line_numbers=False,
            )
            hint = (
                "ctrl+s sets it (JSON when it parses, else text); escape cancels"
                if self.editable
                else "read-only: the run is not paused. escape closes"
            )
            yield Static(f"{self.note}{hint}", classes="dialog-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                if self.editable:
                    yield Button("Set", id="value-set", variant="primary", compact=True)
                yield Button("Close", id="value-close", compact=True)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_set_value(self) -> None:
        if self.editable:
            self.dismiss(parse_cli_value(self.query_one(TextArea).text))

    def action_cancel(self) -> None:
        self.dismiss(self.NOTHING)

    @on(Button.Pressed, "#value-set")
    def _set(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_set_value()

    @on(Button.Pressed, "#value-close")
    def _close(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()


__all__ = ["RunLog", "ValueDialog", "VariablesPane", "log_text", "one_line", "pretty"]
