"""An editable name -> value table (query, headers, test values, outputs, OAuth2 params).

A DataTable shows the rows; ``a`` adds, ``enter``/``e`` edits, ``delete``/``d`` removes
(after a confirmation). Add and edit open a small form. The table never writes anything:
it posts ``KeyValueTable.Changed`` and the editor that owns it turns that into a
document edit. Outputs use extra columns (type, and the value from the last response).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from runbench.core.workspace import OUTPUT_TYPES
from runbench.tui.screens.dialogs import Field, FormDialog, confirm

Row = tuple[str, ...]


class KeyValueTable(Vertical):
    """Rows of (name, value[, type, current value]); see the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a,insert", "add_row", "Add row"),
        Binding("e", "edit_row", "Edit row"),
        Binding("delete,d", "delete_row", "Delete row"),
    ]

    class Changed(Message):
        """A row was added/edited (``values``) or deleted (``values`` None)."""

        def __init__(
            self, table: KeyValueTable, old_name: str | None, values: dict[str, str] | None
        ) -> None:
            self.table = table
            self.old_name = old_name
            self.values = values
            super().__init__()

        @property
        def control(self) -> KeyValueTable:
            return self.table

    def __init__(
        self,
        what: str,
        *,
        outputs: bool = False,
        value_label: str = "Value",
        hint: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="kv-table")
        self.what = what
        self.outputs = outputs
        self.value_label = "Path" if outputs else value_label
        self.hint = hint
        self.rows: list[Row] = []
        self._shown: tuple[list[Row], list[Text] | None] | None = None

    def columns(self) -> Sequence[str]:
        """The column titles (a subclass with other fields gives its own)."""
        return ["Name", self.value_label] + (["Last response", "Type"] if self.outputs else [])

    def compose(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns(*self.columns())
        yield table
        keys = "a add · enter edit · d delete"
        yield Static(f"{keys}  {self.hint}".rstrip(), classes="kv-hint", markup=False)

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one(DataTable)

    def show(self, rows: Sequence[Row], current: Sequence[Text] | None = None) -> None:
        """Replace the rows; ``current`` is a rendered cell per row (outputs only).

        The same rows again change nothing: the method editor shows its tables after each
        key typed in a field, and clearing a table and adding its rows back lays out and
        draws it again for nothing."""
        shown = (list(rows), list(current) if current is not None else None)
        if shown == self._shown and self.table.row_count == len(self.rows):
            return
        self._shown = shown
        table = self.table
        cursor = table.cursor_row
        self.rows = list(rows)
        table.clear()
        for index, row in enumerate(self.rows):
            cells: list[str | Text] = list(row)
            if self.outputs:
                cells.insert(2, current[index] if current and index < len(current) else Text(""))
            table.add_row(*cells, key=row[0])
        if self.rows:
            table.move_cursor(row=min(max(cursor, 0), len(self.rows) - 1), animate=False)

    def current_row(self) -> Row | None:
        if not self.rows:
            return None
        index = self.table.cursor_row
        return self.rows[index] if 0 <= index < len(self.rows) else None

    # -- actions -----------------------------------------------------------------
    def _fields(self, row: Row | None) -> list[Field]:
        fields = [
            Field("name", "Name", row[0] if row else ""),
            Field(
                "value",
                self.value_label,
                row[1] if row else "",
                placeholder="response^path" if self.outputs else "text, <<variable>> allowed",
            ),
        ]
        if self.outputs:
            fields.append(Field("type", "Type", row[2] if row else "any", options=OUTPUT_TYPES))
        return fields

    def _open(self, row: Row | None) -> None:
        old = row[0] if row else None
        verb = "Edit" if row else "Add"

        def check(values: dict[str, str]) -> str | None:
            name = values["name"].strip()
            if not name:
                return "a name is needed"
            if name != old and any(r[0] == name for r in self.rows):
                return f"'{name}' already exists"
            return None

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self.post_message(self.Changed(self, old, values))

        dialog = FormDialog(
            f"{verb} {self.what}", self._fields(row), validate=check, id="kv-dialog"
        )
        self.app.push_screen(dialog, done)

    def action_add_row(self) -> None:
        self._open(None)

    def action_edit_row(self) -> None:
        row = self.current_row()
        if row is None:
            self._open(None)
        else:
            self._open(row)

    def action_delete_row(self) -> None:
        row = self.current_row()
        if row is None:
            return
        name = row[0]

        def done(answer: str | None) -> None:
            if answer == "yes":
                self.post_message(self.Changed(self, name, None))

        self.app.push_screen(confirm(f"Delete {self.what}", f"Delete '{name}'?", "Delete"), done)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_row()
