"""The workspace overview: shown for the workspace and group nodes of the tree.

It answers "what is in this file and is anything wrong with it", and edits what belongs
to the file as a whole: its name, which integration is the Halo instance (used by halo
steps and ``--ticket``), and the workspace variables (add, edit, delete; values typed as
in test values: ``5``, ``true``, ``[1, 2]``, ``"5"`` for text). Below: counts, variables
overridden for this session only (``--var``, never saved), and every problem
``runbench check`` would report with its line, including secret references that will
not resolve here; when a ``secret:`` one is missing, a button sets it.

The form is mounted the first time the overview is shown: at start-up a method is
selected, and widgets nobody looks at cost start-up time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from runbench.core.workspace import Problem, Workspace, counted, summary
from runbench.tui.messages import EntryEdited, FieldEdited
from runbench.tui.widgets.field_input import FieldInput
from runbench.tui.widgets.kv_table import KeyValueTable
from runbench.tui.widgets.method_editor import shown_value, typed_value


@dataclass(frozen=True)
class Shown:
    """What the overview shows: the model, its problems, the session's overrides and the
    ``secret:`` names referenced but missing from the secrets file."""

    workspace: Workspace
    problems: Sequence[Problem]
    overrides: Mapping[str, Any]
    missing_secrets: Sequence[str] = ()


def overview_text(shown: Shown) -> Text:
    workspace, problems, overrides = shown.workspace, shown.problems, shown.overrides
    text = Text()
    text.append(f"{Path(workspace.path).name}\n", style="dim")
    methods = sum(len(i.methods) for i in workspace.integrations.values())
    text.append(
        f"{counted(len(workspace.integrations), 'integration')}, "
        f"{counted(methods, 'method')}, {counted(len(workspace.runbooks), 'runbook')}\n"
    )
    if overrides:
        text.append("\nThis session only (--var, not saved)\n", style="bold")
        for name, value in overrides.items():
            text.append(f"  {name} = {value!r}\n", style="yellow")
    text.append(f"\nProblems: {summary(list(problems))}\n", style="bold")
    for problem in problems:
        where = f"line {problem.line}: " if problem.line else ""
        style = "red" if problem.is_error else "yellow"
        text.append(f"  {problem.severity}: ", style=style)
        text.append(f"{where}{problem.message}\n")
    text.append(
        "\nKeys: f1 help · ctrl+p commands · a add · r rename · c duplicate · "
        "delete removes (in the tree)",
        style="dim",
    )
    return text


class OverviewForm(Vertical):
    """Name, Halo integration, variables; see the module docstring."""

    class SetSecret(Message):
        """The user wants to set one of the missing secrets."""

        def __init__(self, names: Sequence[str]) -> None:
            self.names = tuple(names)
            super().__init__()

    def __init__(self, shown: Shown) -> None:
        super().__init__(id="overview-form")
        self.pending: Shown | None = shown
        self.ready = False
        self._halo_loaded = ""
        self.missing: tuple[str, ...] = ()
        self._integrations: tuple[str, ...] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row", id="row-w-name"):
            yield Label("Name", classes="field-label")
            yield FieldInput(id="w-name", compact=True, placeholder="the workspace's name")
        with Horizontal(classes="field-row", id="row-w-halo"):
            yield Label("Halo is", classes="field-label")
            yield Select([], id="w-halo", compact=True, prompt="(no Halo integration)")
        yield Label("Variables (<<name>> anywhere)", classes="section-label")
        yield KeyValueTable("variable", id="w-variables", hint="typed: 5, true, [1]")
        yield Button("Set missing secret", id="w-set-secret", compact=True)

    def on_mount(self) -> None:
        if not self.children:
            return  # mounted while the workbench quits: its children are already gone
        self.ready = True  # children exist from now on (is_mounted is set only after this)
        if self.pending is not None:
            self.show(self.pending)

    def show(self, shown: Shown) -> None:
        if not self.ready:
            self.pending = shown
            return
        self.pending = None
        workspace = shown.workspace
        with self.prevent(Input.Changed, Select.Changed):
            name = self.query_one("#w-name", Input)
            if name.value != workspace.name:
                name.value = workspace.name
            halo = self.query_one("#w-halo", Select)
            integrations = tuple(workspace.integrations)
            if integrations != self._integrations:
                self._integrations = integrations
                halo.set_options([(i, i) for i in integrations])
            halo.value = workspace.halo if workspace.halo in integrations else Select.NULL
            self._halo_loaded = workspace.halo if workspace.halo in integrations else ""
        self.query_one("#w-variables", KeyValueTable).show(
            [(k, shown_value(v)) for k, v in workspace.variables.items()]
        )
        self.missing = tuple(shown.missing_secrets)
        button = self.query_one("#w-set-secret", Button)
        button.display = bool(self.missing)
        button.label = f"Set missing secret: {self.missing[0]}" if self.missing else ""

    @on(Input.Changed, "#w-name")
    def _name_typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FieldEdited(("name",), event.value, "top"))

    @on(Select.Changed, "#w-halo")
    def _halo(self, event: Select.Changed) -> None:
        event.stop()
        if event.value != event.select.value:
            return  # stale: announced before the loaded value was set
        value = "" if event.value is Select.NULL else str(event.value)
        if value == self._halo_loaded:
            return
        self._halo_loaded = value
        self.post_message(FieldEdited(("halo",), value, "top"))

    @on(KeyValueTable.Changed, "#w-variables")
    def _variables(self, event: KeyValueTable.Changed) -> None:
        event.stop()
        values = event.values
        if values is None:
            self.post_message(
                EntryEdited(("variables",), event.old_name or "", None, event.old_name)
            )
        else:
            value = typed_value(values["value"])
            self.post_message(EntryEdited(("variables",), values["name"], value, event.old_name))

    @on(Button.Pressed, "#w-set-secret")
    def _set_secret(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.SetSecret(self.missing))


class WorkspaceOverview(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield Static("", id="overview-title", classes="editor-title")
        yield Static("", id="overview-text")

    def show(self, shown: Shown) -> None:
        self.query_one("#overview-title", Static).update(
            f"Workspace {shown.workspace.name or ''}".rstrip()
        )
        found = self.query(OverviewForm)
        if found:
            found.first().show(shown)
        else:
            self.mount(OverviewForm(shown), after="#overview-title")
        self.query_one("#overview-text", Static).update(overview_text(shown))


__all__ = ["OverviewForm", "Shown", "WorkspaceOverview", "overview_text"]
