"""Past responses of one method (h on the response): re-open one, or diff two bodies.

Every test is kept in the request history (``runbench.core.history``); this screen lists a
method's, newest first. Enter shows one in the response viewer again (as it was recorded,
redacted); space marks one, and d shows a line diff of the marked body against the
highlighted one (JSON compared with sorted keys). Reading the file and diffing run in
thread workers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from runbench.core.http import Exchange  # this screen loads on first use, after a test
from runbench.tui.keymap import TEST_HISTORY_KEYS
from runbench.tui.screens.dialog_screen import DialogScreen
from runbench.tui.state.body_lines import human_size, index_lines
from runbench.tui.widgets.line_view import LineView

if TYPE_CHECKING:
    from runbench.core.history import HistoryEntry, MethodTestHistory


class MethodHistoryScreen(DialogScreen[Exchange | None]):
    """See the module docstring; dismisses with the exchange to show again, or None."""

    BINDINGS: ClassVar[list[BindingType]] = TEST_HISTORY_KEYS

    def __init__(self, history: MethodTestHistory, ref: str) -> None:
        super().__init__(id="test-history", classes="dialog")
        self.history = history
        self.ref = ref
        self.entries: list[HistoryEntry] = []
        self.marked: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box history-box"):
            yield Label(f"Past responses of {self.ref}", classes="dialog-title")
            table: DataTable[str | Text] = DataTable(id="history-tests", cursor_type="row")
            table.add_columns("", "#", "when", "status", "time", "size", "from")
            yield table
            view = LineView(id="history-diff")
            view.display = False
            yield view
            yield Static("enter open · space mark · d diff · escape back", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._load()

    @work(thread=True, exclusive=True, group="history", description="read the test history")
    def _load(self) -> None:
        from runbench.core.errors import RunbenchError

        try:
            entries = self.history.entries(self.ref, limit=200)
        except RunbenchError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self._show, entries)

    def _show(self, entries: list[HistoryEntry]) -> None:
        self.entries = entries
        table = self.query_one(DataTable)
        table.clear()
        for entry in entries:
            table.add_row(*self._cells(entry), key=str(entry.id))
        if not entries:
            self.query_one(".dialog-hint", Static).update(
                "no tests of this method yet: ctrl+t tests it · escape closes"
            )

    def _cells(self, entry: HistoryEntry) -> list[str | Text]:
        status = str(entry.status) if entry.status is not None else entry.error_kind or "error"
        when = datetime.fromtimestamp(entry.at).strftime("%m-%d %H:%M:%S")
        mark = "*" if entry.id == self.marked else ""
        return [
            mark,
            str(entry.id),
            when,
            Text(status, style="green" if entry.ok else "red"),
            f"{entry.elapsed_ms:.0f} ms",
            human_size(entry.size),
            entry.source,
        ]

    def _highlighted(self) -> HistoryEntry | None:
        table = self.query_one(DataTable)
        if not self.entries or table.cursor_row < 0:
            return None
        return self.entries[min(table.cursor_row, len(self.entries) - 1)]

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:  # enter on the table
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        entry = self._highlighted()
        if entry is not None:
            self._open(entry.id)

    @work(thread=True, exclusive=True, group="history", description="read one test")
    def _open(self, entry_id: int) -> None:
        from runbench.core.errors import RunbenchError
        from runbench.core.history import exchange_from_dict

        try:
            exchange = exchange_from_dict(self.history.exchange(entry_id))
        except RunbenchError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.dismiss, exchange)

    def action_mark(self) -> None:
        entry = self._highlighted()
        if entry is None:
            return
        self.marked = None if self.marked == entry.id else entry.id
        table = self.query_one(DataTable)
        row = table.cursor_row
        self._show(self.entries)
        table.move_cursor(row=row)

    def action_diff(self) -> None:
        entry = self._highlighted()
        if entry is None:
            return
        if self.marked is not None and self.marked != entry.id:
            other = self.marked
        else:
            index = self.entries.index(entry)
            if index + 1 >= len(self.entries):
                self.notify("mark another response (space) to compare with", severity="warning")
                return
            other = self.entries[index + 1].id
        old, new = sorted((other, entry.id))
        self._diff(old, new)

    @work(thread=True, exclusive=True, group="history", description="diff two responses")
    def _diff(self, old: int, new: int) -> None:
        from runbench.core.history import body_diff

        def body(entry_id: int) -> str:
            response = self.history.exchange(entry_id).get("response") or {}
            return str(response.get("body") or "")

        text = body_diff(body(old), body(new), old_name=f"#{old}", new_name=f"#{new}")
        self.app.call_from_thread(self._show_diff, text)

    def _show_diff(self, text: str) -> None:
        from pygments.lexers import DiffLexer

        view = self.query_one("#history-diff", LineView)
        view.show(index_lines(text), DiffLexer())
        view.display = True
        self.query_one(DataTable).display = False
        view.focus()

    def action_back(self) -> None:
        view = self.query_one("#history-diff", LineView)
        if view.display:
            view.display = False
            table = self.query_one(DataTable)
            table.display = True
            table.focus()
            return
        self.dismiss(None)
