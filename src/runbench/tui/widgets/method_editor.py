"""The method editor: verb, path, and tabs for query, headers, body, auth, outputs, tests.

For a method every ``<<variable>>`` is an input, so nothing is "unknown" here; what the
editor shows instead is which variables have a test value (or a workspace value) and
which do not, and template syntax errors with their position. The Outputs tab shows
each output's value or error from the last test beside its path. All changes go up as
messages (FieldEdited, EntryEdited, OutputEdited); the app applies them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, TabbedContent, TabPane, TextArea

from runbench.core.errors import ExpressionError
from runbench.core.expressions import parse_template
from runbench.core.files import load_json_text
from runbench.core.workspace import BODY_TYPES, VERBS, KeyPath, Method
from runbench.tui.messages import EntryEdited, FieldEdited, OutputEdited
from runbench.tui.widgets.body_editor import TemplateArea
from runbench.tui.widgets.field_input import FieldInput
from runbench.tui.widgets.kv_table import KeyValueTable
from runbench.tui.widgets.static_text import show_text
from runbench.tui.widgets.symbols import symbols_of

if TYPE_CHECKING:  # the HTTP stack loads on the first test, not at start
    from runbench.core.http import Exchange

TEST_VALUE_HINT = "numbers, true/false and JSON are typed; quote to force text"


def method_variables(method: Method) -> list[str]:
    """Every variable the method's templates use, in order of first use."""
    texts = [method.path, *method.query.values(), *method.headers.values(), method.body]
    names: dict[str, None] = {}
    for text in texts:
        try:
            names.update(dict.fromkeys(ref.name for ref in parse_template(text).refs))
        except ExpressionError:
            continue
    return list(names)


def typed_value(text: str) -> Any:
    """A test value as typed: JSON when it parses (1, true, "quoted"), else the text."""
    try:
        return load_json_text(text)
    except ValueError:
        return text


def shown_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


TABS = (
    ("tab-query", "Query"),
    ("tab-headers", "Headers"),
    ("tab-body", "Body"),
    ("tab-auth", "Auth"),
    ("tab-outputs", "Outputs"),
    ("tab-test-values", "Test values"),
)
"""The editor's tabs (id, title); the first is built with the editor, the rest on first open."""


class MethodEditor(Vertical):
    """Edits one method; :meth:`show` loads it, :meth:`refresh_derived` updates labels.

    A tab's widgets are built the first time it is opened (five closed tabs are most of
    the editor's widgets, and styling widgets nobody looks at slows start-up); a tab built
    later is filled from the method shown at that moment."""

    def __init__(self, *, id: str | None = None, cursor_blink: bool = True) -> None:
        super().__init__(id=id, classes="editor")
        self.method: Method | None = None
        self.exchange: Exchange | None = None
        self.known: frozenset[str] = frozenset()
        self.cursor_blink = cursor_blink
        self.built: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Label("", id="method-heading", classes="editor-title")
        with Horizontal(classes="field-row", id="row-m-title"):
            yield Label("Title", classes="field-label")
            yield FieldInput(id="m-title", compact=True)
        with Horizontal(classes="field-row", id="row-m-request"):
            yield Select(
                [(v, v) for v in VERBS], allow_blank=False, value="GET", id="m-verb", compact=True
            )
            yield FieldInput(id="m-path", compact=True, placeholder="/path/<<id>>")
        yield Static("", id="m-variables")
        first = TABS[0][0]
        with TabbedContent(id="method-tabs", initial=first):
            for tab_id, title in TABS:
                with TabPane(title, id=tab_id):
                    if tab_id == first:
                        yield from tab_content(tab_id)
        self.built.add(first)

    @on(TabbedContent.TabActivated, "#method-tabs")
    async def _build_tab(self, event: TabbedContent.TabActivated) -> None:
        tab_id = event.pane.id
        if tab_id is None or tab_id in self.built:
            return
        self.built.add(tab_id)
        await event.pane.mount_all(list(tab_content(tab_id)))
        if not self.cursor_blink:
            for widget in event.pane.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]
        if self.method is not None:
            self._load_tab(tab_id, self.method)
            self._derive_tab(tab_id, self.method)

    @property
    def keys(self) -> KeyPath:
        assert self.method is not None
        return ("integrations", self.method.integration, "methods", self.method.id)

    # -- loading -------------------------------------------------------------------
    def show(self, method: Method, known: Collection[str], exchange: Exchange | None) -> None:
        """Load every field (no messages are sent for this)."""
        self.method = method
        with self.prevent(Input.Changed, Select.Changed):
            dot = symbols_of(self).dot
            show_text(
                self.query_one("#method-heading", Label),
                f"Method {method.ref}" + (f" {dot} {method.title}" if method.title else ""),
            )
            self.query_one("#m-title", Input).value = method.title
            self.query_one("#m-verb", Select).value = method.verb
            self.query_one("#m-path", Input).value = method.path
        for tab_id in self.built:
            self._load_tab(tab_id, method)
        self.refresh_derived(method, known, exchange)

    def _load_tab(self, tab_id: str, method: Method) -> None:
        """Fill the fields of a built tab the user types in (no messages are sent)."""
        with self.prevent(Select.Changed, TextArea.Changed):
            if tab_id == "tab-body":
                self.query_one("#m-body_type", Select).value = method.body_type
                self.query_one("#m-body", TemplateArea).load_text(method.body)
            elif tab_id == "tab-auth":
                self.query_one("#m-auth", Select).value = method.auth

    def refresh_derived(
        self, method: Method, known: Collection[str], exchange: Exchange | None
    ) -> None:
        """Tables, variable list and highlights; never touches what the user types in."""
        self.method = method
        self.exchange = exchange
        self.known = frozenset(known) | frozenset(method.test_values)
        for tab_id in self.built:
            self._derive_tab(tab_id, method)
        self._variables_line(method)

    def _derive_tab(self, tab_id: str, method: Method) -> None:
        if tab_id == "tab-query":
            self.query_one("#m-query", KeyValueTable).show(list(method.query.items()))
        elif tab_id == "tab-headers":
            self.query_one("#m-headers", KeyValueTable).show(list(method.headers.items()))
        elif tab_id == "tab-test-values":
            self.query_one("#m-test-values", KeyValueTable).show(
                [(k, shown_value(v)) for k, v in method.test_values.items()]
            )
        elif tab_id == "tab-outputs":
            self.show_outputs(method, self.exchange)
        elif tab_id == "tab-body":
            body = self.query_one("#m-body", TemplateArea)
            body.set_context(self.known, method.body_type == "json")
            self._body_status(body)

    def show_outputs(self, method: Method, exchange: Exchange | None) -> None:
        self.method, self.exchange = method, exchange
        if "tab-outputs" in self.built:
            rows = [(o.name, o.path, o.type) for o in method.outputs]
            self.query_one("#m-outputs", KeyValueTable).show(rows, list(_current(method, exchange)))

    def _variables_line(self, method: Method) -> None:
        names = method_variables(method)
        marks = symbols_of(self)
        line = Text("Variables: ", style="bold")
        if not names:
            line.append("none", style="dim")
        for index, name in enumerate(names):
            if index:
                line.append(f" {marks.dot} ")
            if name in self.known:
                line.append(f"{name} {marks.ok}", style="green")
            else:
                line.append(f"{name} (no test value)", style="bold yellow")
        # a key typed in a field mostly leaves the line as it was: show_text then sets nothing
        show_text(self.query_one("#m-variables", Static), line)

    def _body_status(self, body: TemplateArea) -> None:
        report = body.report
        if report.error is not None:
            where = (
                f" at position {report.error_position + 1}"
                if report.error_position is not None
                else ""
            )
            text = Text(f"template error{where}: {report.error}", style="bold red")
        elif report.variables:
            text = Text("uses " + ", ".join(f"<<{v}>>" for v in report.variables), style="dim")
        else:
            text = Text("no variables", style="dim")
        show_text(self.query_one("#m-body-status", Static), text)

    # -- events --------------------------------------------------------------------
    @on(Input.Changed, "#m-title, #m-path")
    def _input(self, event: Input.Changed) -> None:
        event.stop()
        if self.method is not None and event.input.id:
            self.post_message(FieldEdited(self.keys + (event.input.id[2:],), event.value))

    @on(Select.Changed, "#m-verb, #m-body_type, #m-auth")
    def _select(self, event: Select.Changed) -> None:
        event.stop()
        value = event.select.value  # now, not when posted: a Select says its value on mount
        if self.method is None or not event.select.id or value is Select.NULL:
            return
        field = event.select.id[2:]
        if str(value) != getattr(self.method, field):
            self.post_message(FieldEdited(self.keys + (field,), str(value)))

    @on(TextArea.Changed, "#m-body")
    def _body(self, event: TextArea.Changed) -> None:
        event.stop()
        if self.method is not None:
            body = self.query_one("#m-body", TemplateArea)
            self._body_status(body)
            self.post_message(FieldEdited(self.keys + ("body",), body.text, kind="body"))

    @on(KeyValueTable.Changed)
    def _table(self, event: KeyValueTable.Changed) -> None:
        event.stop()
        if self.method is None or event.table.id is None:
            return
        section = {
            "m-query": "query",
            "m-headers": "headers",
            "m-outputs": "outputs",
            "m-test-values": "test_values",
        }[event.table.id]
        keys = self.keys + (section,)
        values = event.values
        if values is None:
            self.post_message(EntryEdited(keys, event.old_name or "", None, event.old_name))
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
            value: Any = (
                typed_value(values["value"]) if section == "test_values" else values["value"]
            )
            self.post_message(EntryEdited(keys, values["name"], value, event.old_name))


def tab_content(tab_id: str) -> Iterator[Widget]:
    """The widgets of one tab of the method editor."""
    if tab_id == "tab-query":
        yield KeyValueTable("query parameter", id="m-query")
    elif tab_id == "tab-headers":
        yield KeyValueTable("header", id="m-headers")
    elif tab_id == "tab-body":
        yield Horizontal(
            Label("Body type", classes="field-label"),
            Select(
                [(b, b) for b in BODY_TYPES],
                allow_blank=False,
                value="none",
                id="m-body_type",
                compact=True,
            ),
            classes="field-row",
        )
        yield TemplateArea(id="m-body")
        yield Static("", id="m-body-status")
    elif tab_id == "tab-auth":
        yield Horizontal(
            Label("Auth", classes="field-label"),
            Select(
                [("inherit from integration", "inherit"), ("none", "none")],
                allow_blank=False,
                value="inherit",
                id="m-auth",
                compact=True,
            ),
            classes="field-row",
        )
        yield Static(
            "inherit: send the integration's credentials; none: send no "
            "credentials for this method.",
            classes="help-text",
        )
    elif tab_id == "tab-outputs":
        yield KeyValueTable("output", outputs=True, id="m-outputs", hint="ctrl+e checks a path")
    elif tab_id == "tab-test-values":
        yield KeyValueTable("test value", id="m-test-values", hint=TEST_VALUE_HINT)


def _current(method: Method, exchange: Exchange | None) -> Iterable[Text]:
    """For each output: its value from the last response, or why it has none."""
    for output in method.outputs:
        if exchange is None:
            yield Text("not tested yet (ctrl+t)", style="dim")
        elif output.name in exchange.output_errors:
            yield Text(exchange.output_errors[output.name], style="red")
        elif output.name in exchange.outputs:
            shown = (
                exchange.shown_outputs if exchange.shown_outputs is not None else exchange.outputs
            )
            value = shown.get(output.name)
            yield Text(_short(shown_value(value)), style="green")
        elif exchange.error:
            yield Text(f"request failed: {exchange.error_kind}", style="red")
        elif not exchange.ok:
            yield Text(f"not evaluated (status {exchange.status})", style="yellow")
        else:
            yield Text("added after the last test (ctrl+t)", style="dim")


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
