"""The step editor: every field of one runbook step, for each kind of step.

All rows exist once; :meth:`StepEditor.show` shows the rows the step's kind uses (like
the integration editor does for auth types). Pickers are Selects filled from the
workspace (methods, Halo actions, steps, foreach steps, runbooks); edges are Selects of
the runbook's steps, blank for "not set". Choosing a Halo action fills in its body
template. Problems that ``runbench check`` reports for the step are listed on top.
Every change goes up as a message (``FieldEdited`` and friends); the app applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Input, Label, Select, Static, TextArea

from runbench.core.halo import ACTIONS, find_action
from runbench.core.workspace import (
    DEFAULT_AI_MODEL,
    EDGE_KEYS,
    KeyPath,
    Problem,
    Runbook,
    Step,
    Workspace,
    step_keys,
)
from runbench.tui.messages import EntryEdited, FieldEdited, OutputEdited
from runbench.tui.widgets.body_editor import TemplateArea
from runbench.tui.widgets.field_input import FieldInput
from runbench.tui.widgets.kv_table import KeyValueTable
from runbench.tui.widgets.method_editor import shown_value, typed_value
from runbench.tui.widgets.rules_table import RulesTable
from runbench.tui.widgets.static_text import show_text
from runbench.tui.widgets.step_fields import (
    KIND_ROWS,
    NUMBERS,
    OPTIONAL_ROWS,
    TEXT_AREA,
    area_text,
    database_text,
    database_value,
    fmt,
    number,
    row,
)

ALL_EDGES = tuple(dict.fromkeys(key for pairs in EDGE_KEYS.values() for key, _ in pairs))


class StepEditor(VerticalScroll):
    """Edits one step; :meth:`show` loads it, :meth:`refresh_derived` updates the rest."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="editor")
        self.runbook: Runbook | None = None
        self.step: Step | None = None
        self._options: dict[str, tuple[tuple[str, str], ...]] = {}

    def compose(self) -> ComposeResult:
        yield Label("", id="step-heading", classes="editor-title")
        yield Static("", id="s-problems")
        yield row("Title", FieldInput(id="s-title", compact=True), name="title")
        yield row(
            "Method", Select([], id="s-method", compact=True, prompt="(choose)"), name="method"
        )
        actions = [(f"{a.id} · {a.title}", a.id) for a in ACTIONS.values()]
        yield row(
            "Halo action",
            Select(actions, id="s-action", compact=True, prompt="(choose)"),
            name="action",
        )
        yield row(
            "Match",
            Select(
                [("all rules (AND)", "all"), ("any rule (OR)", "any")],
                allow_blank=False,
                value="all",
                id="s-match",
                compact=True,
            ),
            name="match",
        )
        yield RulesTable(id="s-rules")
        yield row("Seconds", FieldInput(id="s-seconds", compact=True), name="seconds")
        yield row(
            "Items",
            FieldInput(id="s-items", compact=True, placeholder="<<ListVariable>>"),
            name="items",
        )
        yield row(
            "Runbook", Select([], id="s-runbook", compact=True, prompt="(choose)"), name="runbook"
        )
        yield row(
            "Result",
            Select(
                [("success", "success"), ("failure", "failure")],
                allow_blank=False,
                value="success",
                id="s-result",
                compact=True,
            ),
            name="result",
        )
        yield row("Message", FieldInput(id="s-message", compact=True), name="message")
        yield row(
            "Database",
            FieldInput(id="s-database", compact=True, placeholder="env:DB_URL · none: Halo's"),
            name="database",
        )
        yield row("Max rows", FieldInput(id="s-max_rows", compact=True), name="max_rows")
        yield row(
            "AI via",
            Select([], id="s-integration", compact=True, prompt="(integration)"),
            name="integration",
        )
        yield row(
            "Model",
            FieldInput(id="s-model", compact=True, placeholder=DEFAULT_AI_MODEL),
            name="model",
        )
        yield row(
            "Halo type",
            Select(
                [("AI ability", "ability"), ("AI agent", "agent")],
                allow_blank=False,
                value="ability",
                id="s-ai_type",
                compact=True,
            ),
            Select(
                [("text answer", False), ("JSON answer", True)],
                allow_blank=False,
                value=False,
                id="s-json_answer",
                compact=True,
            ),
            name="ai_type",
        )
        for key in ALL_EDGES:
            yield row(
                "",
                Select([], id=f"s-edge-{key}", compact=True, prompt="(not set)"),
                name=f"edge-{key}",
            )
        yield row(
            "Timeout s",
            FieldInput(id="s-timeout", compact=True, placeholder="none"),
            name="timeout",
        )
        yield row(
            "Retry",
            FieldInput(id="s-retry-attempts", compact=True, placeholder="attempts"),
            Select(
                [("exponential", "exponential"), ("fixed", "fixed")],
                allow_blank=False,
                value="exponential",
                id="s-retry-backoff",
                compact=True,
            ),
            FieldInput(id="s-retry-delay", compact=True, placeholder="delay s"),
            name="retry",
        )
        yield Static("", id="s-status")
        with VerticalScroll(id="row-s-body", classes="step-body"):
            yield Label(TEXT_AREA["halo"][1], classes="field-label", id="s-body-label")
            yield TemplateArea(id="s-body")
        yield Label("Arguments", classes="section-label", id="label-s-args")
        yield KeyValueTable("argument", id="s-args", hint="<<variables>> allowed")
        yield Label("Outputs", classes="section-label", id="label-s-outputs")
        yield KeyValueTable("output", outputs=True, id="s-outputs")

    @property
    def keys(self) -> KeyPath:
        assert self.runbook is not None
        assert self.step is not None
        return step_keys(self.runbook.id, self.step.id)

    # -- loading -----------------------------------------------------------------------
    def show(
        self, workspace: Workspace, runbook: Runbook, step: Step, problems: Sequence[Problem]
    ) -> None:
        """Load every field of ``step`` (no messages are sent for this)."""
        self.runbook, self.step = runbook, step
        rows = KIND_ROWS.get(step.kind, ())
        for name in OPTIONAL_ROWS:
            self._display(name, name in rows)
        edge_keys = {key for key, _ in EDGE_KEYS.get(step.kind, ())}
        for key in ALL_EDGES:
            self.query_one(f"#row-s-edge-{key}").display = key in edge_keys
        with self.prevent(Input.Changed, Select.Changed, TextArea.Changed):
            self.query_one("#step-heading", Label).update(
                f"Step {runbook.id}.{step.id} · {step.kind}"
                + (" · start" if runbook.start == step.id else "")
            )
            self._inputs(step)
            self._selects(workspace, runbook, step)
            body = area_text(step)
            if step.kind == "halo" and step.body is None:
                action = find_action(step.action)
                body = action.body_template if action else ""
            self.query_one("#s-body", TemplateArea).load_text(body)
            label = TEXT_AREA.get(step.kind, TEXT_AREA["halo"])[1]
            self.query_one("#s-body-label", Label).update(label)
        self.refresh_derived(workspace, runbook, step, problems)

    def _display(self, name: str, shown: bool) -> None:
        # by id (query_one's fast path): a CSS query here matched every selector against
        # every widget of the editor, for each of the rows, on every step shown
        for widget_id in (f"row-s-{name}", f"s-{name}", f"label-s-{name}"):
            try:
                widget = self.query_one(f"#{widget_id}")
            except NoMatches:
                continue
            if widget_id != f"s-{name}" or isinstance(widget, (RulesTable, KeyValueTable)):
                widget.display = shown

    def _inputs(self, step: Step) -> None:
        retry = step.retry
        values = {
            "s-title": step.title,
            "s-seconds": fmt(step.seconds),
            "s-items": step.items,
            "s-message": step.message,
            "s-timeout": fmt(step.timeout),
            "s-database": database_text(step),
            "s-max_rows": str(step.max_rows),
            "s-model": step.model,
            "s-retry-attempts": str(retry.attempts) if retry else "",
            "s-retry-delay": fmt(retry.delay) if retry else "",
        }
        for widget_id, value in values.items():
            self.query_one(f"#{widget_id}", Input).value = value
        self.query_one("#s-retry-backoff", Select).value = retry.backoff if retry else "exponential"
        self.query_one("#s-match", Select).value = step.match
        self.query_one("#s-result", Select).value = step.result
        self.query_one("#s-ai_type", Select).value = step.ai_type
        self.query_one("#s-json_answer", Select).value = step.json_answer
        self.query_one("#s-action", Select).value = (
            step.action if step.action in ACTIONS else Select.NULL
        )

    def _set_options(self, widget_id: str, options: list[tuple[str, str]], value: str) -> None:
        select = self.query_one(f"#{widget_id}", Select)
        if value and value not in {v for _, v in options}:
            options = [*options, (f"{value} (missing)", value)]
        shaped = tuple(options)
        if self._options.get(widget_id) != shaped:
            self._options[widget_id] = shaped
            select.set_options(shaped)
        select.value = value if value else Select.NULL

    def _selects(self, workspace: Workspace, runbook: Runbook, step: Step) -> None:
        methods = [
            (m.ref, m.ref) for i in workspace.integrations.values() for m in i.methods.values()
        ]
        self._set_options("s-method", methods, step.method)
        self._set_options("s-runbook", [(r, r) for r in workspace.runbooks], step.runbook)
        integrations = [(i, i) for i in workspace.integrations]
        self._set_options("s-integration", integrations, step.integration)
        steps = [(name, name) for name in runbook.steps]
        loops = [(s.id, s.id) for s in runbook.steps.values() if s.kind == "foreach"]
        for key, label in EDGE_KEYS.get(step.kind, ()):
            self.query_one(f"#row-s-edge-{key} Label", Label).update(f"{label} →")
            self._set_options(
                f"s-edge-{key}", loops if key == "loop" else steps, step.edge(key) or ""
            )

    def refresh_derived(
        self, workspace: Workspace, runbook: Runbook, step: Step, problems: Sequence[Problem]
    ) -> None:
        """Pickers, tables and problems; never what the user is typing in."""
        self.runbook, self.step = runbook, step
        with self.prevent(Select.Changed):
            self._selects(workspace, runbook, step)
        self.query_one("#s-rules", RulesTable).show(step.rules)
        self.query_one("#s-args", KeyValueTable).show(
            [(k, shown_value(v)) for k, v in step.args.items()]
        )
        self.query_one("#s-outputs", KeyValueTable).show(
            [(o.name, o.path, o.type) for o in step.outputs]
        )
        known = set(workspace.variables) | set(runbook.inputs) | set(step.args)
        self.query_one("#s-body", TemplateArea).set_context(known, step.kind == "halo")
        text = Text()
        for problem in problems:
            style = "bold red" if problem.is_error else "yellow"
            text.append(f"! {problem.message.split(': ', 1)[-1]}\n", style=style)
        widget = self.query_one("#s-problems", Static)
        text.rstrip()
        show_text(widget, text)
        widget.display = bool(problems)

    def focus_first(self) -> None:
        """Focus the first field the step's kind shows (the title)."""
        self.query_one("#s-title", Input).focus()

    # -- events ------------------------------------------------------------------------
    def _post(self, keys: KeyPath, value: Any, kind: str = "value") -> None:
        if self.step is not None:
            self.post_message(FieldEdited(self.keys + keys, value, kind))

    @on(Input.Changed, "#s-title, #s-items, #s-message, #s-model")
    def _text(self, event: Input.Changed) -> None:
        event.stop()
        self._post(((event.input.id or "")[2:],), event.value, "text")

    @on(Input.Changed, "#s-database")
    def _database(self, event: Input.Changed) -> None:
        event.stop()
        self._post(("database",), database_value(event.value))

    @on(Input.Changed, "#s-seconds, #s-timeout, #s-max_rows, #s-retry-attempts, #s-retry-delay")
    def _numeric(self, event: Input.Changed) -> None:
        event.stop()
        field, kind = NUMBERS[event.input.id or ""]
        value, error = number(event.value, kind)
        self.query_one("#s-status", Static).update(
            Text(f"{field}: {error}", style="red") if error else ""
        )
        if error is not None:
            return
        if field in ("attempts", "delay"):
            self._post(("retry", field), value, "retry")
        else:
            self._post((field,), 0 if value is None and field == "seconds" else value)

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        event.stop()
        widget_id = event.select.id or ""
        value = None if event.value is Select.NULL else str(event.value)
        if widget_id.startswith("s-edge-"):
            self._post((widget_id.removeprefix("s-edge-"),), value)
        elif widget_id == "s-retry-backoff":
            self._post(("retry", "backoff"), value, "retry")
        elif widget_id == "s-action":
            self._action_chosen(value)
        elif widget_id in ("s-method", "s-runbook", "s-match", "s-result", "s-integration"):
            self._post((widget_id[2:],), value or "", "text")
        elif widget_id == "s-ai_type":
            self._post(("ai_type",), value or "ability", "text")
        elif widget_id == "s-json_answer":
            self._post(("json_answer",), event.value is True)

    def _action_chosen(self, action_id: str | None) -> None:
        self._post(("action",), action_id or "", "text")
        action = find_action(action_id or "")
        if action is None:
            return
        with self.prevent(TextArea.Changed):
            self.query_one("#s-body", TemplateArea).load_text(action.body_template)
        self._post(("body",), action.body_template, "body")

    @on(TextArea.Changed, "#s-body")
    def _body(self, event: TextArea.Changed) -> None:
        event.stop()
        kind = self.step.kind if self.step is not None else "halo"
        key = TEXT_AREA.get(kind, TEXT_AREA["halo"])[0]
        self._post((key,), event.text_area.text, "body")

    @on(RulesTable.Changed)
    def _rules(self, event: RulesTable.Changed) -> None:
        event.stop()
        self._post(("rules",), event.rules, "rules")

    @on(KeyValueTable.Changed)
    def _table(self, event: KeyValueTable.Changed) -> None:
        event.stop()
        if self.step is None:
            return
        values = event.values
        section = "args" if event.table.id == "s-args" else "outputs"
        if values is None:
            self.post_message(
                EntryEdited(self.keys + (section,), event.old_name or "", None, event.old_name)
            )
        elif section == "outputs":
            self.post_message(
                OutputEdited(
                    self.keys,
                    values["name"],
                    values["value"],
                    values.get("type", "any"),
                    event.old_name,
                )
            )
        else:
            self.post_message(
                EntryEdited(
                    self.keys + ("args",),
                    values["name"],
                    typed_value(values["value"]),
                    event.old_name,
                )
            )


__all__ = ["StepEditor"]
