"""Applying what the editors ask for (a mixin of the app): one place for every edit.

Editors post ``FieldEdited``, ``EntryEdited``, ``OutputEdited``, ``AuthEdited`` and the
checker ``AddOutput``; each handler applies the change through the app's edits object
and re-reads the model, or says why it was not applied. ``FieldEdited.kind`` picks how
the value is written: "text" (an emptied title is removed), "body" (kept as a literal
multi-line string), "value" (None removes the key), "rules" (one inline array),
"retry" (a field of the step's inline ``retry`` table), "endpoint" (a field of a
runbook's endpoint table) and "top" (``name``/``halo``; "" removes it). ``EntryEdited``
on ``variables`` or a runbook's ``inputs`` goes to their own edits (a ``[variables]``
table is made where it belongs; an input keeps its ``from``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on

from runbench.core.errors import RunbenchError
from runbench.core.workspace import KeyPath
from runbench.tui.actions.base import WorkbenchBase
from runbench.tui.messages import AuthEdited, EntryEdited, FieldEdited, OutputEdited

if TYPE_CHECKING:
    from runbench.tui.screens.checker import ExpressionChecker


class EditHandlers(WorkbenchBase):
    """Edit messages -> document edits."""

    def _apply(self, change: Any, *args: Any, label: str = "", group: object = None) -> bool:
        """Apply ``change(*args)`` (an edit of the document) after remembering the text for
        undo (``group``: consecutive edits of one field are one undo step)."""
        self.document.checkpoint(label or change.__name__.replace("_", " "), group)
        try:
            change(*args)
        except (RunbenchError, KeyError, ValueError, TypeError) as exc:
            self.notify(str(exc), title="Edit not applied", severity="error")
            return False
        return True

    @on(FieldEdited)
    def _field(self, event: FieldEdited) -> None:
        label, group = f"edit {event.keys[-1]}", ("field", event.keys)
        if event.kind == "retry":
            done = self._apply(
                self.edits.set_retry,
                event.keys[:-2],
                event.keys[-1],
                event.value,
                label=label,
                group=group,
            )
        else:
            change = {
                "body": self.edits.set_body,
                "text": self.edits.set_text,
                "value": self.edits.set_value,
                "rules": self.edits.set_rules,
                "endpoint": self._set_endpoint,
                "top": self._set_top,
            }.get(event.kind, self.edits.set)
            done = self._apply(change, event.keys, event.value, label=label, group=group)
        if done:
            self.reread()

    def _set_endpoint(self, keys: KeyPath, value: Any) -> None:
        """``keys``: ("runbooks", ID, "endpoint", FIELD)."""
        self.edits.set_endpoint(keys[1], keys[-1], value)

    def _set_top(self, keys: KeyPath, value: Any) -> None:
        self.edits.set_top(keys[0], value)

    @on(EntryEdited)
    def _entry(self, event: EntryEdited) -> None:
        keys = event.keys
        if keys == ("variables",):
            if event.value is None:
                done = self._apply(self.edits.delete_variable, event.old_name or event.name)
            else:
                done = self._apply(self.edits.set_variable, event.name, event.value, event.old_name)
        elif len(keys) == 3 and keys[0] == "runbooks" and keys[2] == "inputs":
            if event.value is None:
                done = self._apply(self.edits.delete_input, keys[1], event.old_name or event.name)
            else:
                done = self._apply(
                    self.edits.set_input, keys[1], event.name, event.value, event.old_name
                )
        else:
            done = self._map_entry(event)
        if done:
            self.reread()

    def _map_entry(self, event: EntryEdited) -> bool:
        if event.value is None:
            done = self._apply(self.edits.delete_entry, event.keys, event.old_name or event.name)
        else:
            done = self._apply(
                self.edits.set_entry, event.keys, event.name, event.value, event.old_name
            )
        return done

    @on(OutputEdited)
    def _output(self, event: OutputEdited) -> None:
        if self._apply(
            self.edits.set_output,
            event.method_keys,
            event.name,
            event.path,
            event.kind,
            event.old_name,
        ):
            self.reread()

    @on(AuthEdited)
    def _auth(self, event: AuthEdited) -> None:
        label, group = f"edit auth {event.field}", ("auth", event.integration, event.field)
        if event.field == "type":
            done = self._apply(self.edits.set_auth_type, event.integration, event.value)
        elif event.secret:
            done = self._apply(
                self.edits.set_auth_secret,
                event.integration,
                event.field,
                event.value,
                label=label,
                group=group,
            )
        else:
            done = self._apply(
                self.edits.set_auth_field,
                event.integration,
                event.field,
                event.value,
                label=label,
                group=group,
            )
        if done:
            self.reread()

    def on_expression_checker_add_output(self, event: ExpressionChecker.AddOutput) -> None:
        """By name: the checker's module is imported when it is first opened."""
        method = self.selected_method()
        if method is None:
            self.notify("select a method first", severity="warning")
            return
        keys = ("integrations", method.integration, "methods", method.id)
        if self._apply(self.edits.set_output, keys, event.name, event.path):
            self.reread()
            self.notify(f"output {event.name} = {event.path} added to {method.ref}")


__all__ = ["EditHandlers"]
