"""The runbook details editor (the runbook pane's *Details* tab): everything of a runbook
that is not a step.

Title, start step (picked from its steps), the inputs table (name, type, default,
description), the run guards (``max_steps``, ``max_duration``, ``max_concurrent``) and the
public endpoint: on/off, then its auth (none, basic, signature) with every field of the
format for that auth: username and password for basic; secret, header, algorithm,
encoding, prefix, timestamp header and tolerance for a signature. Secrets are shown as
``env:NAME`` / ``secret:NAME`` or masked, like the integration editor does, and a
literal is warned about. Like every editor it only reports: each change goes up as a
``FieldEdited`` (kinds "text", "value", "endpoint") or ``EntryEdited`` message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from runbench.core.workspace import (
    INPUT_TYPES,
    KeyPath,
    Runbook,
    SecretRef,
    parse_secret_text,
    secret_text,
)
from runbench.tui.messages import EntryEdited, FieldEdited
from runbench.tui.screens.dialogs import Field
from runbench.tui.widgets.field_input import FieldInput
from runbench.tui.widgets.kv_table import KeyValueTable, Row
from runbench.tui.widgets.method_editor import shown_value, typed_value
from runbench.tui.widgets.step_fields import number
from runbench.tui.widgets.symbols import symbols_of

ENDPOINT_FIELDS: dict[str, tuple[str, ...]] = {
    "none": (),
    "basic": ("username", "password"),
    "signature": (
        "secret",
        "header",
        "algorithm",
        "encoding",
        "prefix",
        "timestamp_header",
        "tolerance",
    ),
}
LABELS = {
    "username": "Username",
    "password": "Password",
    "secret": "Secret",
    "header": "Header",
    "algorithm": "Algorithm",
    "encoding": "Encoding",
    "prefix": "Prefix",
    "timestamp_header": "Timestamp hdr",
    "tolerance": "Tolerance s",
}
CHOICES = {"algorithm": ("sha1", "sha256", "sha512"), "encoding": ("hex", "base64")}
SECRETISH = ("username", "password", "secret")
MASKED = ("password", "secret")
GUARDS = {
    "d-max_steps": ("max_steps", int, "1000"),
    "d-max_duration": ("max_duration", float, "3600"),
    "d-max_concurrent": ("max_concurrent", int, "0: no limit"),
}
PLACEHOLDERS = {
    "username": "env:NAME or secret:NAME",
    "password": "env:NAME or secret:NAME",
    "secret": "env:NAME or secret:NAME",
    "header": "X-Signature",
    "prefix": "e.g. sha256=",
    "timestamp_header": "none",
    "tolerance": "300",
}


def _row(label: str, *widgets: Widget, name: str) -> Horizontal:
    return Horizontal(
        Label(label, classes="field-label"), *widgets, classes="field-row", id=f"row-d-{name}"
    )


class InputsTable(KeyValueTable):
    """The runbook's inputs: name, type, default (typed as in test values), description."""

    COLUMNS = ("Name", "Type", "Default", "Description")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("input", id=id, hint="default: 5, true, [1]")

    def columns(self) -> Sequence[str]:
        return self.COLUMNS

    def _fields(self, row: Row | None) -> list[Field]:
        return [
            Field("name", "Name", row[0] if row else ""),
            Field("type", "Type", row[1] if row else "string", options=INPUT_TYPES),
            Field("default", "Default", row[2] if row else "", placeholder="none"),
            Field("description", "About", row[3] if row else "", placeholder="for the trigger"),
        ]


class RunbookDetails(VerticalScroll):
    """Edits one runbook's own fields; :meth:`show` loads them (no messages sent)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="editor")
        self.runbook: Runbook | None = None
        self.pending: Runbook | None = None
        self.ready = False
        self._loaded: dict[str, str] = {}
        self._steps: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Label("", id="details-heading", classes="editor-title")
        yield _row("Title", FieldInput(id="d-title", compact=True), name="title")
        yield _row(
            "Start step", Select([], id="d-start", compact=True, prompt="(choose)"), name="start"
        )
        for widget_id, (_, _, hint) in GUARDS.items():
            label = {"d-max_steps": "Max steps", "d-max_duration": "Max seconds"}.get(
                widget_id, "Max at once"
            )
            name = widget_id[2:]
            yield _row(label, FieldInput(id=widget_id, compact=True, placeholder=hint), name=name)
        yield Static("", id="d-status")
        yield Label("Inputs", classes="section-label")
        yield InputsTable(id="d-inputs")
        yield Label("Public endpoint (runbench serve)", classes="section-label")
        yield _row("Public", self._choice("d-public", ("off", "on"), "off"), name="public")
        yield _row(
            "Auth", self._choice("d-auth", ("none", "basic", "signature"), "none"), name="auth"
        )
        for field, label in LABELS.items():
            widget: Widget
            if field in CHOICES:
                widget = self._choice(f"d-{field}", CHOICES[field], CHOICES[field][0])
            else:
                widget = FieldInput(id=f"d-{field}", compact=True, placeholder=PLACEHOLDERS[field])
            yield _row(label, widget, name=field)
        yield Static("", id="d-warning")

    @staticmethod
    def _choice(widget_id: str, options: Sequence[str], value: str) -> Select[str]:
        return Select(
            [(o, o) for o in options], allow_blank=False, value=value, id=widget_id, compact=True
        )

    def on_mount(self) -> None:
        self.ready = True  # children exist from now on (is_mounted is set only after this)
        if self.pending is not None:
            self.show(self.pending)

    @property
    def keys(self) -> KeyPath:
        assert self.runbook is not None
        return ("runbooks", self.runbook.id)

    # -- loading -----------------------------------------------------------------------
    def show(self, runbook: Runbook) -> None:
        """Load every field of ``runbook``."""
        if not self.ready:
            self.pending = runbook
            return
        self.runbook = runbook
        endpoint = runbook.endpoint
        mask = symbols_of(self).mask
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#details-heading", Label).update(f"Runbook {runbook.id}")
            self.query_one("#d-title", Input).value = runbook.title
            values = {
                "d-max_steps": _shown_default(runbook.max_steps, 1000),
                "d-max_duration": _shown_default(runbook.max_duration, 3600.0),
                "d-max_concurrent": _shown_default(runbook.max_concurrent, 0),
                "d-header": endpoint.header,
                "d-prefix": endpoint.prefix,
                "d-timestamp_header": endpoint.timestamp_header,
                "d-tolerance": _shown_default(endpoint.tolerance, 300.0),
            }
            for field in SECRETISH:
                value = endpoint.secrets[0] if field == "secret" and endpoint.secrets else ""
                value = value if field == "secret" else getattr(endpoint, field)
                values[f"d-{field}"] = secret_text(value, field in MASKED, mask)
            for widget_id, text in values.items():
                self.query_one(f"#{widget_id}", Input).value = text
            self._loaded = {
                "d-public": "on" if runbook.public else "off",
                "d-auth": endpoint.auth,
                "d-algorithm": endpoint.algorithm,
                "d-encoding": endpoint.encoding,
            }
            for widget_id, choice in self._loaded.items():
                self.query_one(f"#{widget_id}", Select).value = choice
        self._show_fields()
        self.refresh_derived(runbook)

    def refresh_derived(self, runbook: Runbook) -> None:
        """The start picker, the inputs table and warnings; never what is typed in."""
        if not self.ready:
            self.pending = runbook
            return
        self.runbook = runbook
        steps = tuple(runbook.steps)
        select = self.query_one("#d-start", Select)
        with self.prevent(Select.Changed):
            if steps != self._steps:
                self._steps = steps
                select.set_options([(name, name) for name in steps])
            select.value = runbook.start if runbook.start in runbook.steps else Select.NULL
            self._loaded["d-start"] = runbook.start
        self.query_one("#d-inputs", InputsTable).show(
            [
                (
                    spec.name,
                    spec.type,
                    shown_value(spec.default) if spec.has_default else "",
                    spec.description,
                )
                for spec in runbook.inputs.values()
            ]
        )
        self.query_one("#d-warning", Static).update(self._warning(runbook))

    def _warning(self, runbook: Runbook) -> Text:
        endpoint = runbook.endpoint
        text = Text()
        if len(endpoint.secrets) > 1:
            text.append(
                f"secrets: {len(endpoint.secrets)} for rotation; the field shows the first and "
                "typing there replaces them with one\n",
                style="dim",
            )
        literal = [
            f
            for f in MASKED
            if f in ENDPOINT_FIELDS.get(endpoint.auth, ())
            and any(
                v and not isinstance(v, SecretRef)
                for v in (endpoint.secrets if f == "secret" else (getattr(endpoint, f),))
            )
        ]
        if literal and runbook.public:
            text.append(
                f"! {', '.join(literal)}: a literal secret is stored in the file; type "
                "env:NAME or secret:NAME to read it at run time instead",
                style="yellow",
            )
        if runbook.public and endpoint.auth == "none":
            text.append("! anyone who can reach `runbench serve` can start it", style="yellow")
        text.rstrip()
        return text

    def _show_fields(self) -> None:
        public = self.query_one("#d-public", Select).value == "on"
        auth = str(self.query_one("#d-auth", Select).value)
        self.query_one("#row-d-auth").display = public
        wanted = ENDPOINT_FIELDS.get(auth, ()) if public else ()
        for field in LABELS:
            self.query_one(f"#row-d-{field}").display = field in wanted

    # -- events ------------------------------------------------------------------------
    def _post(self, keys: KeyPath, value: Any, kind: str) -> None:
        if self.runbook is not None:
            self.post_message(FieldEdited(self.keys + keys, value, kind))

    @on(Input.Changed, "#d-title")
    def _title(self, event: Input.Changed) -> None:
        event.stop()
        self._post(("title",), event.value, "text")

    @on(Input.Changed, "#d-max_steps, #d-max_duration, #d-max_concurrent, #d-tolerance")
    def _numbers(self, event: Input.Changed) -> None:
        event.stop()
        widget_id = event.input.id or ""
        field, kind = ("tolerance", float) if widget_id == "d-tolerance" else GUARDS[widget_id][:2]
        value, error = number(event.value, kind)
        status = self.query_one("#d-status", Static)
        status.update(Text(f"{field}: {error}", style="red") if error else "")
        if error is not None:
            return
        if field == "tolerance":
            self._post(("endpoint", field), value, "endpoint")
        else:
            self._post((field,), value, "value")

    @on(Input.Changed, "#d-header, #d-prefix, #d-timestamp_header")
    def _endpoint_text(self, event: Input.Changed) -> None:
        event.stop()
        self._post(("endpoint", (event.input.id or "")[2:]), event.value, "endpoint")

    @on(Input.Changed, "#d-username, #d-password, #d-secret")
    def _endpoint_secret(self, event: Input.Changed) -> None:
        event.stop()
        if event.value == symbols_of(self).mask:
            return
        field = (event.input.id or "")[2:]
        value, warning = parse_secret_text(event.value)
        self.query_one("#d-warning", Static).update(
            Text(f"! {field}: {warning}", style="yellow") if warning and field in MASKED else ""
        )
        self._post(("endpoint", field), value, "endpoint")

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        """A choice made. Selects also announce the value they are built with when they
        mount, after :meth:`show` loaded the real one: such a stale value (not the
        select's value any more), or the value loaded, is not an edit."""
        event.stop()
        widget_id = event.select.id or ""
        if event.value is Select.NULL or event.value != event.select.value:
            return
        if self._loaded.get(widget_id) == event.value:
            return
        value = str(event.value)
        self._loaded[widget_id] = value
        if widget_id == "d-start":
            self._post(("start",), value, "value")
        elif widget_id == "d-public":
            self._show_fields()
            self._post(("public",), value == "on", "value")
        else:
            if widget_id == "d-auth":
                self._show_fields()
            self._post(("endpoint", widget_id[2:]), value, "endpoint")

    @on(KeyValueTable.Changed, "#d-inputs")
    def _inputs(self, event: KeyValueTable.Changed) -> None:
        event.stop()
        if self.runbook is None:
            return
        keys = self.keys + ("inputs",)
        values = event.values
        if values is None:
            self.post_message(EntryEdited(keys, event.old_name or "", None, event.old_name))
            return
        spec = {
            "type": values["type"],
            "default": typed_value(values["default"]) if values["default"].strip() else None,
            "description": values["description"].strip() or None,
        }
        self.post_message(EntryEdited(keys, values["name"], spec, event.old_name))


def _shown_default(value: float, default: float) -> str:
    """A guard's value for its field: blank when it is the default (the key is absent)."""
    return "" if value == default else f"{value:g}"


__all__ = ["RunbookDetails"]
