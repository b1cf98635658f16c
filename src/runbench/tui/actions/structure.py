"""Add, rename, duplicate and delete integrations and methods (a mixin of the app).

Runbook steps have the same keys; ``step_structure`` does those.

Each action asks what it needs in a dialog, applies it through ``WorkspaceEdits`` and
re-reads the model with the new node selected. Deleting always asks first and says what
still refers to the thing (runbook steps calling a method); renaming repoints those
references so the workspace keeps checking clean.
"""

from __future__ import annotations

from typing import Any

from runbench.core.errors import RunbenchError
from runbench.core.workspace import (
    ID_HINT,
    VERBS,
    counted,
    id_problem,
    method_references,
    starter_title,
    unique_name,
)
from runbench.tui.actions.runbooks import RunbookActions
from runbench.tui.actions.steps import StepActions
from runbench.tui.screens.dialogs import Field, FormDialog, ask_text, confirm
from runbench.tui.widgets.tree import Selection


class StructureActions(StepActions, RunbookActions):
    """Structural edits. Steps are handled by
    ``StepActions`` when a runbook or step is selected."""

    def _structural(self, change: Any, *args: Any) -> Any:
        """Apply a structural edit (undo remembers the text before it); its result, True
        for None, or None when it was refused (the user is told why)."""
        self.document.checkpoint(change.__name__.replace("_", " "))
        try:
            result = change(*args)
        except (RunbenchError, KeyError) as exc:
            self.notify(str(exc), title="Not done", severity="error")
            return None
        return True if result is None else result

    # -- add -------------------------------------------------------------------------
    def action_add(self) -> None:
        """Add a method to the selected integration, else an integration."""
        self.follow_the_tree_cursor()
        sel = self.selection
        if sel is not None and sel.kind in ("integration", "method"):
            self.action_add_method()
        elif sel is not None and sel.kind in ("runbook", "step"):
            self.action_add_step()
        elif sel is not None and sel.kind == "runbooks":
            self.action_add_runbook()
        else:
            self.action_add_integration()

    def action_add_integration(self) -> None:
        taken = list(self.workspace.integrations)
        fields = [
            Field("name", "Id", unique_name("new_api", taken)),
            Field("base_url", "Base URL", "https://", placeholder="https://api.example.com"),
        ]

        def check(values: dict[str, str]) -> str | None:
            if values["name"].strip() in taken:
                return f"'{values['name'].strip()}' already exists"
            return id_problem(values["name"])

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            name = self._structural(
                self.edits.add_integration,
                self.workspace,
                values["name"],
                values["base_url"].strip(),
            )
            if name:
                self.reread(select=Selection("integration", name))

        self.push_screen(
            FormDialog("Add integration", fields, validate=check, id="add-integration"), done
        )

    def action_add_method(self) -> None:
        sel = self.selection
        if sel is None or sel.integration not in self.workspace.integrations:
            self.notify("select an integration first", severity="warning")
            return
        integration = sel.integration
        taken = list(self.workspace.integrations[integration].methods)
        fields = [
            Field("name", "Id", unique_name("new_method", taken)),
            Field("verb", "Verb", "GET", options=VERBS),
            Field("path", "Path", "/", placeholder="/items/<<id>>"),
        ]

        def check(values: dict[str, str]) -> str | None:
            if values["name"].strip() in taken:
                return f"'{values['name'].strip()}' already exists"
            return id_problem(values["name"])

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            starter = {
                "title": starter_title(values["name"].strip()),
                "verb": values["verb"],
                "path": values["path"],
            }
            name = self._structural(
                self.edits.add_method, self.workspace, integration, values["name"], starter
            )
            if not name:
                return
            self.reread(select=Selection("method", integration, name))

        self.push_screen(
            FormDialog(f"Add method to {integration}", fields, validate=check, id="add-method"),
            done,
        )

    # -- rename / duplicate --------------------------------------------------------------
    def _target(self) -> Selection | None:
        sel: Selection | None = self.selection
        if sel is None or sel.kind not in ("integration", "method"):
            self.notify("select an integration, a method, a runbook or a step", severity="warning")
            return None
        return sel

    def _is_runbook(self) -> bool:
        sel = self.selection
        return sel is not None and sel.kind == "runbook" and sel.runbook in self.workspace.runbooks

    def action_rename(self) -> None:
        self.follow_the_tree_cursor()
        if self._is_step():
            self.action_rename_step()
            return
        if self._is_runbook():
            self.action_rename_runbook()
            return
        sel = self._target()
        if sel is None:
            return
        current = sel.method or sel.integration

        def done(values: dict[str, str] | None) -> None:
            if values is None or values["value"].strip() == current:
                return
            new = values["value"].strip()
            if sel.kind == "method":
                count = self._structural(
                    self.edits.rename_method, self.workspace, sel.integration, sel.method, new
                )
                target = Selection("method", sel.integration, new)
            else:
                count = self._structural(
                    self.edits.rename_integration, self.workspace, sel.integration, new
                )
                target = Selection("integration", new)
            if count is None:
                return
            self.reread(select=target)
            note = f"; {counted(count, 'reference')} updated" if count else ""
            self.notify(f"renamed {current} to {new}{note}")

        self.push_screen(
            ask_text(
                f"Rename {sel.kind} {sel.label}",
                "New id",
                current,
                validate=id_problem,
                hint=ID_HINT,
                id="rename",
            ),
            done,
        )

    def action_duplicate(self) -> None:
        self.follow_the_tree_cursor()
        if self._is_step():
            self.action_duplicate_step()
            return
        if self._is_runbook():
            self.action_duplicate_runbook()
            return
        sel = self._target()
        if sel is None:
            return
        ws = self.workspace
        if sel.kind == "method":
            taken = list(ws.integrations[sel.integration].methods)
        else:
            taken = list(ws.integrations)
        suggestion = unique_name(f"{sel.method or sel.integration}_copy", taken)

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                return
            if sel.kind == "method":
                new = self._structural(
                    self.edits.duplicate_method,
                    self.workspace,
                    sel.integration,
                    sel.method,
                    values["value"],
                )
                target = Selection("method", sel.integration, new or "")
            else:
                new = self._structural(
                    self.edits.duplicate_integration,
                    self.workspace,
                    sel.integration,
                    values["value"],
                )
                target = Selection("integration", new or "")
            if new:
                self.reread(select=target)

        self.push_screen(
            ask_text(
                f"Duplicate {sel.kind} {sel.label}",
                "New id",
                suggestion,
                validate=id_problem,
                hint=ID_HINT,
                id="duplicate",
            ),
            done,
        )

    # -- delete ----------------------------------------------------------------------
    def action_delete(self) -> None:
        self.follow_the_tree_cursor()
        if self._is_step():
            self.action_delete_step()
            return
        if self._is_runbook():
            self.action_delete_runbook()
            return
        sel = self._target()
        if sel is None:
            return
        ws = self.workspace
        refs = method_references(ws, sel.integration, sel.method or None)
        used = ""
        if refs:
            steps = ", ".join(".".join((k[1], k[3])) for k, _ in refs)
            used = f"\n\nStill used by runbook step(s): {steps}. They will fail `runbench check`."
        if sel.kind == "integration":
            count = len(ws.integrations[sel.integration].methods)
            message = f"Delete integration '{sel.integration}' and its {counted(count, 'method')}?"
        else:
            message = f"Delete method '{sel.label}'?"

        def done(answer: str | None) -> None:
            if answer != "yes":
                return
            if sel.kind == "method":
                ok = self._structural(self.edits.delete_method, sel.integration, sel.method)
                parent = Selection("integration", sel.integration)
            else:
                ok = self._structural(self.edits.delete_integration, sel.integration)
                parent = Selection("integrations")
            if ok is not None:
                self.reread(select=parent)
                self.notify(f"deleted {sel.label}")

        self.push_screen(confirm(f"Delete {sel.kind}", message + used, "Delete"), done)

    def structure_commands(self) -> list[tuple[str, str, Any]]:
        return (
            [
                (
                    "Add integration",
                    "a new integration with a base URL",
                    self.action_add_integration,
                ),
                ("Add method", "a new method in the selected integration", self.action_add_method),
                (
                    "Rename selected",
                    "integration, method, runbook or step (references follow)",
                    self.action_rename,
                ),
                (
                    "Duplicate selected",
                    "integration, method, runbook or step",
                    self.action_duplicate,
                ),
                (
                    "Delete selected",
                    "integration, method, runbook or step (asks first)",
                    self.action_delete,
                ),
                ("Reload from disk", "throw away unsaved edits", self.action_reload),
            ]
            + self.runbook_commands()
            + self.step_commands()
        )
