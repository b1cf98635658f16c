"""The rules of a condition step as a table: left, operator, right; add, edit, delete rows.

Like ``KeyValueTable`` it never writes anything: a change posts ``RulesTable.Changed``
with the whole new list, and the step editor sends it up as one edit (the file keeps a
single ``rules = [ ... ]`` array). The right side is typed as JSON when it parses
(``5``, ``true``), so ``"10" greater_than 9`` compares numbers like the engine does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from runbench.core.files import load_json_text
from runbench.core.workspace import OPERATORS, UNARY_OPERATORS, Rule
from runbench.tui.keymap import RULES_KEYS
from runbench.tui.screens.dialogs import Field, FormDialog, confirm
from runbench.tui.widgets.static_text import show_text

HINT = "a add · enter edit · d delete"
NO_ROWS = "  (no rows: always met)"
"""Said only while there are no rules: then the condition is always met."""


def rule_value(text: str) -> Any:
    """The right side as typed: JSON when it parses, else the text; empty is None."""
    if not text.strip():
        return None
    try:
        return load_json_text(text)
    except ValueError:
        return text


def shown(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def rule_dict(rule: Rule) -> dict[str, Any]:
    return {"left": rule.left, "op": rule.op, "right": rule.right}


class RulesTable(Vertical):
    """Rows of (left, op, right); see the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = RULES_KEYS

    class Changed(Message):
        def __init__(self, rules: list[dict[str, Any]]) -> None:
            self.rules = rules
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="rules-table")
        self.rules: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns("Left", "Operator", "Right")
        yield table
        yield Static(HINT + NO_ROWS, classes="kv-hint", markup=False)

    @property
    def table(self) -> DataTable[str]:
        return self.query_one(DataTable)

    def show(self, rules: Sequence[Rule]) -> None:
        table = self.table
        cursor = table.cursor_row
        self.rules = [rule_dict(rule) for rule in rules]
        table.clear()
        for rule in self.rules:
            table.add_row(rule["left"], rule["op"], shown(rule["right"]))
        if self.rules:
            table.move_cursor(row=min(max(cursor, 0), len(self.rules) - 1), animate=False)
        show_text(self.query_one(".kv-hint", Static), HINT + ("" if self.rules else NO_ROWS))

    def _open(self, index: int | None) -> None:
        rule = (
            self.rules[index] if index is not None else {"left": "", "op": "equals", "right": None}
        )
        fields = [
            Field("left", "Left", str(rule["left"]), placeholder="<<Variable>>"),
            Field("op", "Operator", str(rule["op"]), options=OPERATORS),
            Field("right", "Right", shown(rule["right"]), placeholder="text, 5, <<Other>>"),
        ]

        def check(values: dict[str, str]) -> str | None:
            if not values["left"].strip():
                return "the left side is needed (usually a <<variable>>)"
            if values["op"] not in UNARY_OPERATORS and rule_value(values["right"]) is None:
                return f"'{values['op']}' needs a right side"
            return None

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            new = {
                "left": values["left"].strip(),
                "op": values["op"],
                "right": None if values["op"] in UNARY_OPERATORS else rule_value(values["right"]),
            }
            rules = list(self.rules)
            if index is None:
                rules.append(new)
            else:
                rules[index] = new
            self.post_message(self.Changed(rules))

        title = "Add rule" if index is None else "Edit rule"
        self.app.push_screen(FormDialog(title, fields, validate=check, id="rule-dialog"), done)

    def _cursor(self) -> int | None:
        index = self.table.cursor_row
        return index if 0 <= index < len(self.rules) else None

    def action_add_rule(self) -> None:
        self._open(None)

    def action_edit_rule(self) -> None:
        self._open(self._cursor())

    def action_delete_rule(self) -> None:
        index = self._cursor()
        if index is None:
            return
        rule = self.rules[index]

        def done(answer: str | None) -> None:
            if answer == "yes":
                self.post_message(self.Changed(self.rules[:index] + self.rules[index + 1 :]))

        text = f"Delete rule '{rule['left']} {rule['op']} {shown(rule['right'])}'?"
        self.app.push_screen(confirm("Delete rule", text, "Delete"), done)

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_rule()


__all__ = ["RulesTable", "rule_value"]
