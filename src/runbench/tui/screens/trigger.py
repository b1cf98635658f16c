"""What a run starts from: the runbook's inputs, the ticket and the action (f5 asks first).

A run in Halo starts from a ticket action or a public-endpoint POST; here the user says
what that would have carried. Inputs are prefilled with their defaults (or what was
typed for the last run of this session). The ticket is an id (loaded through the
workspace's Halo integration, like ``runbench run --ticket``) or a JSON object; the
action is a JSON object, or just a note (``{"note": ...}``, what ``<<action^note>>``
reads in the demo). Ticket and action rows are only shown when the runbook uses them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from runbench.core.engine import parse_cli_value
from runbench.core.files import load_json_text
from runbench.core.workspace import Runbook, Workspace, context_used
from runbench.tui.screens.dialog_screen import DialogScreen
from runbench.tui.widgets.field_input import FieldInput


@dataclass(frozen=True)
class Trigger:
    """What the user typed: raw inputs (typed by the engine), ticket id/object, action."""

    inputs: Mapping[str, Any] = field(default_factory=dict)
    ticket_id: str = ""
    ticket: Mapping[str, Any] | None = None
    action: Mapping[str, Any] | None = None
    texts: Mapping[str, str] = field(default_factory=dict)  # to prefill the next dialog


def default_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _object(text: str, what: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    try:
        value = load_json_text(text)
    except ValueError as exc:
        raise ValueError(f"{what} JSON: {exc}") from None
    if isinstance(value, dict) and isinstance(value.get(what), dict) and len(value) <= 2:
        value = value[what]
    if not isinstance(value, dict):
        raise ValueError(f"{what} JSON must be an object {{...}}, not {type(value).__name__}")
    return value


class TriggerDialog(DialogScreen[Trigger | None]):
    """See the module docstring; dismisses with a ``Trigger`` or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        workspace: Workspace,
        runbook: Runbook,
        previous: Mapping[str, str] | None = None,
        *,
        title: str = "",
    ) -> None:
        super().__init__(id="trigger-dialog", classes="dialog")
        self.runbook = runbook
        self.used = context_used(workspace, runbook)
        self.previous = dict(previous or {})
        self.title_text = title or f"Run {runbook.id}"

    def _rows(self) -> list[tuple[str, str, str, str]]:
        """(field id, label, value, placeholder) per row."""
        rows = [
            (
                f"input-{spec.name}",
                f"{spec.name} ({spec.type})",
                self.previous.get(f"input-{spec.name}", default_text(spec.default)),
                "required" if not spec.has_default else "",
            )
            for spec in self.runbook.inputs.values()
        ]
        if "ticket" in self.used:
            rows += [
                ("ticket-id", "Ticket id", self.previous.get("ticket-id", "1"), "loaded from Halo"),
                (
                    "ticket-json",
                    "Ticket JSON",
                    self.previous.get("ticket-json", ""),
                    '{"id": 1, "summary": "..."} instead of an id',
                ),
            ]
        if "action" in self.used:
            rows += [
                (
                    "action-note",
                    "Action note",
                    self.previous.get("action-note", ""),
                    "what <<action^note>> reads",
                ),
                (
                    "action-json",
                    "Action JSON",
                    self.previous.get("action-json", ""),
                    '{"note": "...", "who": "..."}',
                ),
            ]
        return rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="trigger-box"):
            yield Label(self.title_text, classes="dialog-title")
            rows = self._rows()
            with VerticalScroll(id="trigger-fields"):
                for field_id, label, value, placeholder in rows:
                    with Horizontal(classes="form-row trigger-row"):
                        yield Label(label, classes="trigger-label")
                        yield FieldInput(
                            value,
                            placeholder=placeholder,
                            compact=True,
                            id=field_id,
                            select_on_focus=True,
                        )
                if not rows:
                    yield Static("This runbook needs no inputs.", classes="dialog-hint")
            yield Static(
                "values are JSON when they parse (5, true, [1,2]); enter runs",
                classes="dialog-hint",
            )
            yield Static("", classes="dialog-error", id="trigger-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Run", id="trigger-run", variant="primary", compact=True)
                yield Button("Cancel", id="trigger-cancel", compact=True)

    def on_mount(self) -> None:
        inputs = list(self.query(Input))
        if inputs:
            inputs[0].focus()
        else:
            self.query_one("#trigger-run", Button).focus()

    def texts(self) -> dict[str, str]:
        return {widget.id or "": widget.value for widget in self.query(Input)}

    def trigger(self) -> Trigger:
        """The typed values, checked; ValueError saying what is wrong."""
        texts = self.texts()
        inputs = {
            spec.name: parse_cli_value(texts[f"input-{spec.name}"])
            for spec in self.runbook.inputs.values()
            if texts.get(f"input-{spec.name}", "").strip() or not spec.has_default
        }
        missing = [
            name
            for name, value in inputs.items()
            if value == "" and not self.runbook.inputs[name].has_default
        ]
        if missing:
            raise ValueError(f"input {missing[0]} is required")
        ticket_id = texts.get("ticket-id", "").strip()
        ticket = _object(texts.get("ticket-json", ""), "ticket")
        if ticket is not None and ticket_id:
            raise ValueError("give a ticket id or ticket JSON, not both")
        action = _object(texts.get("action-json", ""), "action")
        note = texts.get("action-note", "")
        if note.strip():
            action = {**(action or {}), "note": note}
        return Trigger(inputs, ticket_id, ticket, action, texts)

    def submit(self) -> None:
        try:
            trigger = self.trigger()
        except ValueError as exc:
            self.query_one("#trigger-error", Static).update(str(exc))
            return
        self.dismiss(trigger)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#trigger-run")
    def _run(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#trigger-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["Trigger", "TriggerDialog"]
