"""Add, rename, duplicate and delete runbook steps (a mixin of the app).

The same keys as for integrations and methods (``a``, ``r``/``f2``, ``c``, ``delete``),
in the tree and on the flowchart. Renaming repoints every edge and ``start`` that named
the step (and moves a breakpoint on it); deleting asks first and names the edges that
will then point nowhere, which the flowchart shows as a ``?name`` box until fixed.
"""

from __future__ import annotations

from typing import Any

from runbench.core.workspace import (
    ID_HINT,
    STEP_KINDS,
    counted,
    edge_references,
    id_problem,
    unique_name,
)
from runbench.tui.actions.base import WorkbenchBase
from runbench.tui.screens.dialogs import Field, FormDialog, ask_text, confirm
from runbench.tui.widgets.tree import Selection


class StepActions(WorkbenchBase):
    """Step structure."""

    def _is_step(self) -> bool:
        sel = self.selection
        return sel is not None and sel.kind == "step" and sel.runbook in self.workspace.runbooks

    def _step_target(self) -> Selection | None:
        if not self._is_step():
            self.notify("select a step (in the tree or on the flowchart)", severity="warning")
            return None
        return self.selection

    def action_add_step(self) -> None:
        sel = self.selection
        if sel is None or sel.runbook not in self.workspace.runbooks:
            self.notify("select a runbook first", severity="warning")
            return
        runbook = sel.runbook
        taken = list(self.workspace.runbooks[runbook].steps)
        fields = [
            Field("name", "Id", unique_name("new_step", taken)),
            Field("kind", "Kind", "method", options=STEP_KINDS),
        ]

        def check(values: dict[str, str]) -> str | None:
            if values["name"].strip() in taken:
                return f"'{values['name'].strip()}' already exists"
            return id_problem(values["name"])

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            name = self._structural(
                self.edits.add_step, self.workspace, runbook, values["name"], values["kind"]
            )
            if name:
                self.reread(select=Selection("step", runbook=runbook, step=name))
                kind = values["kind"]
                needs = "" if kind in ("end", "runbook") else ": set its edges in the step editor"
                self.notify(f"added {kind} step {name}{needs}")

        self.push_screen(
            FormDialog(f"Add step to {runbook}", fields, validate=check, id="add-step"), done
        )

    def action_rename_step(self) -> None:
        sel = self._step_target()
        if sel is None:
            return
        runbook, old = sel.runbook, sel.step

        def done(values: dict[str, str] | None) -> None:
            if values is None or values["value"].strip() == old:
                return
            new = values["value"].strip()
            count = self._structural(self.edits.rename_step, self.workspace, runbook, old, new)
            if count is None:
                return
            self.on_step_renamed(runbook, old, new)
            self.reread(select=Selection("step", runbook=runbook, step=new))
            note = f"; {counted(count, 'edge')} follow{'s' if count == 1 else ''}" if count else ""
            self.notify(f"renamed step {old} to {new}{note}")

        self.push_screen(
            ask_text(
                f"Rename step {sel.label}",
                "New id",
                old,
                validate=id_problem,
                hint=ID_HINT,
                id="rename",
            ),
            done,
        )

    def action_duplicate_step(self) -> None:
        sel = self._step_target()
        if sel is None:
            return
        runbook, name = sel.runbook, sel.step
        suggestion = unique_name(f"{name}_copy", list(self.workspace.runbooks[runbook].steps))

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            new = self._structural(
                self.edits.duplicate_step, self.workspace, runbook, name, values["value"]
            )
            if new:
                self.reread(select=Selection("step", runbook=runbook, step=new))

        self.push_screen(
            ask_text(
                f"Duplicate step {sel.label}",
                "New id",
                suggestion,
                validate=id_problem,
                hint=ID_HINT,
                id="duplicate",
            ),
            done,
        )

    def action_delete_step(self) -> None:
        sel = self._step_target()
        if sel is None:
            return
        runbook, name = sel.runbook, sel.step
        refs = [label for _, label in edge_references(self.workspace, runbook, name)]
        used = f"\n\nStill pointing at it: {', '.join(refs)}." if refs else ""

        def done(answer: str | None) -> None:
            if answer != "yes":
                return
            if self._structural(self.edits.delete_step, runbook, name) is not None:
                self.reread(select=Selection("runbook", runbook=runbook))
                self.notify(f"deleted step {name}")

        self.push_screen(
            confirm("Delete step", f"Delete step '{sel.label}'?{used}", "Delete"), done
        )

    def action_set_start(self) -> None:
        sel = self._step_target()
        if sel is not None and self._structural(self.edits.set_start, sel.runbook, sel.step):
            self.reread(select=sel)
            self.notify(f"{sel.step} is now the start step of {sel.runbook}")

    def step_commands(self) -> list[tuple[str, str, Any]]:
        return [
            ("Add step", "a new step in the selected runbook", self.action_add_step),
            ("Rename step", "the selected step (edges follow)", self.action_rename_step),
            ("Duplicate step", "the selected step", self.action_duplicate_step),
            ("Delete step", "the selected step (asks first)", self.action_delete_step),
            ("Set as start step", "the runbook starts at the selected step", self.action_set_start),
        ]
