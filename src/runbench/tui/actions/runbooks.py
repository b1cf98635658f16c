"""Add, rename, duplicate and delete runbooks (a mixin of the app).

The same keys as everywhere in the tree: ``a`` on the Runbooks node adds one, ``r``/``f2``,
``c`` and ``delete`` on a runbook rename, duplicate and delete it (and the palette has
each). A new runbook starts empty; its first step becomes its start. Renaming repoints
every ``runbook = "..."`` step (and keeps breakpoints and the runs shown); deleting asks
first and names the steps that still start it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runbench.core.workspace import (
    ID_HINT,
    counted,
    id_problem,
    runbook_references,
    unique_name,
)
from runbench.tui.actions.base import WorkbenchBase
from runbench.tui.screens.dialogs import Field, FormDialog, ask_text, confirm
from runbench.tui.widgets.tree import Selection


class RunbookActions(WorkbenchBase):
    """Runbook structure (see the module docstring)."""

    def _runbook_target(self) -> str | None:
        sel = self.selection
        if sel is None or sel.kind not in ("runbook", "step") or not sel.runbook:
            self.notify("select a runbook (in the tree)", severity="warning")
            return None
        return sel.runbook

    def _id_check(self, taken: list[str]) -> Callable[[dict[str, str]], str | None]:
        def check(values: dict[str, str]) -> str | None:
            name = values.get("name", values.get("value", "")).strip()
            if name in taken:
                return f"'{name}' already exists"
            return id_problem(name)

        return check

    def action_add_runbook(self) -> None:
        taken = list(self.workspace.runbooks)
        fields = [
            Field("name", "Id", unique_name("new_runbook", taken)),
            Field("title", "Title", "", placeholder="what it does (optional)"),
        ]

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            name = self._structural(
                self.edits.add_runbook, self.workspace, values["name"], values["title"]
            )
            if name:
                self.reread(select=Selection("runbook", runbook=name))
                self.notify(f"added runbook {name}: a adds its first step (it becomes the start)")

        dialog = FormDialog("Add runbook", fields, validate=self._id_check(taken), id="add-runbook")
        self.push_screen(dialog, done)

    def action_rename_runbook(self) -> None:
        old = self._runbook_target()
        if old is None:
            return

        def done(values: dict[str, str] | None) -> None:
            if values is None or values["value"].strip() == old:
                return
            new = values["value"].strip()
            count = self._structural(self.edits.rename_runbook, self.workspace, old, new)
            if count is None:
                return
            self.on_runbook_renamed(old, new)
            self.reread(select=Selection("runbook", runbook=new))
            note = (
                f"; {counted(count, 'runbook step')} follow{'s' if count == 1 else ''}"
                if count
                else ""
            )
            self.notify(f"renamed runbook {old} to {new}{note}")

        dialog = ask_text(
            f"Rename runbook {old}", "New id", old, validate=id_problem, hint=ID_HINT, id="rename"
        )
        self.push_screen(dialog, done)

    def action_duplicate_runbook(self) -> None:
        name = self._runbook_target()
        if name is None:
            return
        suggestion = unique_name(f"{name}_copy", list(self.workspace.runbooks))

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            new = self._structural(
                self.edits.duplicate_runbook, self.workspace, name, values["value"]
            )
            if new:
                self.reread(select=Selection("runbook", runbook=new))

        dialog = ask_text(
            f"Duplicate runbook {name}",
            "New id",
            suggestion,
            validate=id_problem,
            hint=ID_HINT,
            id="duplicate",
        )
        self.push_screen(dialog, done)

    def action_delete_runbook(self) -> None:
        name = self._runbook_target()
        if name is None:
            return
        refs = [label for _, label in runbook_references(self.workspace, name)]
        used = f"\n\nStill started by: {', '.join(refs)}. They will fail `runbench check`."
        count = len(self.workspace.runbooks[name].steps)
        message = f"Delete runbook '{name}' and its {counted(count, 'step')}?" + (
            used if refs else ""
        )

        def done(answer: str | None) -> None:
            if answer != "yes":
                return
            if self._structural(self.edits.delete_runbook, name) is not None:
                self.reread(select=Selection("runbooks"))
                self.notify(f"deleted runbook {name}")

        self.push_screen(confirm("Delete runbook", message, "Delete"), done)

    def on_runbook_renamed(self, old: str, new: str) -> None:
        if self._runs is not None:
            self._runs.rename_runbook(old, new)
        if old in self.history_runs:
            self.history_runs[new] = self.history_runs.pop(old)

    def runbook_commands(self) -> list[tuple[str, str, Any]]:
        return [
            ("Add runbook", "a new, empty runbook", self.action_add_runbook),
            (
                "Rename runbook",
                "the selected runbook (runbook steps follow)",
                self.action_rename_runbook,
            ),
            (
                "Duplicate runbook",
                "the selected runbook with its steps",
                self.action_duplicate_runbook,
            ),
            ("Delete runbook", "the selected runbook (asks first)", self.action_delete_runbook),
        ]


__all__ = ["RunbookActions"]
