"""The integration and method editors, each alone in a small host app: what they show for
a method or an integration of the demo, and the messages typing and choosing post up
(``FieldEdited``, ``EntryEdited``, ``AuthEdited``), nothing else; the editors never write.
The app applying those messages (the document, the model, the labels derived after a
re-read) is ``test_palette_help_then_editor_messages_reach_the_document``, on the whole
workbench, after the command palette and the help screen (they are the app's)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandList
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from host_app import Host, layout_requests
from runbench.core.workspace import Method, Workspace, load_workspace
from runbench.tui.app import RunbenchApp
from runbench.tui.messages import AuthEdited, EntryEdited, FieldEdited, OutputEdited
from runbench.tui.screens.help import HelpScreen
from runbench.tui.widgets.body_editor import TemplateArea
from runbench.tui.widgets.highlight import TEMPLATE_ERROR, VARIABLE, VARIABLE_UNSET
from runbench.tui.widgets.integration_editor import IntegrationEditor
from runbench.tui.widgets.method_editor import MethodEditor
from runbench.tui.widgets.tree import Selection
from waits import dialog, settle, type_text, until

SIZE = (80, 24)
DEMO = Path(__file__).resolve().parents[2] / "workspaces" / "demo.toml"
MakeApp = Callable[..., RunbenchApp]
KNOWN = frozenset({"sandbox"})
"""What the workbench knows besides test values: the demo's override of ``sandbox``."""


def host_of(widget: Widget) -> Host:
    """``widget`` alone, keeping the edit messages it posts."""
    return Host(widget, FieldEdited, EntryEdited, AuthEdited, OutputEdited)


def demo() -> Workspace:
    return load_workspace(DEMO)


def method(name: str) -> Method:
    found = demo().method(name)
    assert found is not None
    return found


def text_of(widget: Static) -> str:
    return str(getattr(widget.content, "plain", widget.content))


def auth_posts(host: Host) -> list[tuple[str, str, Any, bool]]:
    return [
        (m.integration, m.field, m.value, m.secret)
        for m in host.posted
        if isinstance(m, AuthEdited)
    ]


def entries(host: Host) -> list[tuple[tuple[str, ...], str, Any, str | None]]:
    return [
        (m.keys, m.name, m.value, m.old_name) for m in host.posted if isinstance(m, EntryEdited)
    ]


def fields(host: Host) -> list[tuple[tuple[str, ...], Any, str]]:
    return [(m.keys, m.value, m.kind) for m in host.posted if isinstance(m, FieldEdited)]


async def test_auth_secret_field_masked_and_reference() -> None:
    editor = IntegrationEditor(id="integration-editor")
    host = host_of(editor)
    async with host.run_test(size=SIZE) as pilot:
        editor.show(demo().integrations["openai"])
        await settle(pilot)
        assert host.posted == []  # loading posts nothing
        token = editor.query_one("#auth-token", Input)
        assert editor.query_one("#auth-type", Select).value == "bearer"
        assert token.value == "••••"  # the literal sk-sandbox is never shown
        assert "literal secret" in text_of(editor.query_one("#auth-warning", Static))
        assert editor.query_one("#row-header").display
        assert not editor.query_one("#row-username").display
        token.focus()
        await type_text(pilot, "env:OPENAI_KEY")  # select-on-focus: typing replaces the mask
        await until(pilot, lambda: token.value == "env:OPENAI_KEY", "the reference typed")
        assert auth_posts(host)[-1] == ("openai", "token", "env:OPENAI_KEY", True)
        assert all(value != "••••" for _, _, value, _ in auth_posts(host))  # never the mask
        assert text_of(editor.query_one("#auth-warning", Static)) == ""
        token.value = "plain-secret"
        await until(pilot, lambda: auth_posts(host)[-1][2] == "plain-secret", "the literal")
        assert auth_posts(host)[-1] == ("openai", "token", "plain-secret", True)
        assert "literal secret" in text_of(editor.query_one("#auth-warning", Static))


async def test_auth_type_switch_shows_that_types_fields() -> None:
    editor = IntegrationEditor(id="integration-editor")
    host = host_of(editor)
    async with host.run_test(size=SIZE) as pilot:
        editor.show(demo().integrations["openai"])
        await settle(pilot)
        editor.query_one("#auth-type", Select).value = "api_key"
        await until(pilot, lambda: auth_posts(host) != [], "the type posted")
        assert auth_posts(host) == [("openai", "type", "api_key", False)]
        shown = {
            f
            for f in ("name", "in", "value", "token", "username", "grant")
            if editor.query_one(f"#row-{f}").display
        }
        assert shown == {"name", "in", "value"}
        editor.query_one("#auth-name", Input).value = "X-Api-Key"
        editor.query_one("#auth-in", Select).value = "query"
        await until(pilot, lambda: len(auth_posts(host)) == 3, "the name and place posted")
        assert set(auth_posts(host)[1:]) == {  # each widget posts in its own time
            ("openai", "name", "X-Api-Key", False),
            ("openai", "in", "query", False),
        }


async def test_oauth_params_table_and_base_url() -> None:
    editor = IntegrationEditor(id="integration-editor")
    host = host_of(editor)
    async with host.run_test(size=SIZE) as pilot:
        editor.show(demo().integrations["halo"])
        await settle(pilot)
        table = editor.query_one("#auth-params DataTable", DataTable)
        assert table.row_count == 1
        assert str(table.get_row_at(0)[0]) == "tenant"
        table.focus()
        await pilot.press("a")
        await dialog(pilot, "#field-name", screen="kv-dialog")
        await type_text(pilot, "resource")
        await pilot.press("tab")
        await type_text(pilot, "api")
        await pilot.press("enter")
        await until(pilot, lambda: entries(host) != [], "the parameter posted")
        assert entries(host) == [
            (("integrations", "halo", "auth", "params"), "resource", "api", None)
        ]
        editor.query_one("#int-base_url", Input).value = "https://halo.example.com"
        await until(pilot, lambda: fields(host) != [], "the base URL posted")
        assert fields(host) == [
            (("integrations", "halo", "base_url"), "https://halo.example.com", "text")
        ]


async def test_query_table_add_edit_delete() -> None:
    editor = MethodEditor(id="method-editor")
    host = host_of(editor)
    keys = ("integrations", "halo", "methods", "get_ticket", "query")
    async with host.run_test(size=SIZE) as pilot:
        editor.show(method("halo.get_ticket"), KNOWN, None)
        await settle(pilot)
        table = editor.query_one("#m-query DataTable", DataTable)
        assert str(table.get_row_at(0)[1]) == "true"
        table.focus()
        await pilot.press("a")
        await dialog(pilot, "#field-name", screen="kv-dialog")
        await type_text(pilot, "limit")
        await pilot.press("tab")
        await type_text(pilot, "<<n>>")
        await pilot.press("enter")
        await until(pilot, lambda: len(entries(host)) == 1, "the added row posted")
        assert entries(host) == [(keys, "limit", "<<n>>", None)]
        table.move_cursor(row=0)
        await pilot.press("enter")  # edit the first row: rename it
        await dialog(pilot, "#field-name", screen="kv-dialog")
        await type_text(pilot, "details")
        await pilot.press("enter")
        await until(pilot, lambda: len(entries(host)) == 2, "the rename posted")
        assert entries(host)[1] == (keys, "details", "true", "includedetails")
        await pilot.press("d")
        await dialog(pilot, "#choice-yes")
        await pilot.click("#choice-yes")
        await until(pilot, lambda: len(entries(host)) == 3, "the delete posted")
        assert entries(host)[2] == (keys, "includedetails", None, "includedetails")


async def test_tabs_built_on_first_open_show_the_method_and_edit_nothing() -> None:
    """Closed tabs are built when opened; what they show is the shown method's, and
    building them (a Select announces its value on mount) posts nothing."""
    editor = MethodEditor(id="method-editor")
    host = host_of(editor)
    async with host.run_test(size=SIZE) as pilot:
        editor.show(method("halo.post_action"), KNOWN, None)
        await settle(pilot)
        assert not editor.query("#m-body")
        assert not editor.query("#m-outputs")
        tabs = editor.query_one("#method-tabs", TabbedContent)
        for tab in ("tab-body", "tab-auth", "tab-outputs", "tab-test-values", "tab-headers"):
            tabs.active = tab
            await settle(pilot)
        assert editor.query_one("#m-body_type", Select).value == "json"
        assert editor.query_one("#m-body", TemplateArea).text.startswith("[")
        assert editor.query_one("#m-auth", Select).value == "inherit"
        editor.show(method("openai.completions"), KNOWN, None)  # built tabs follow
        await settle(pilot)
        assert '"model"' in editor.query_one("#m-body", TemplateArea).text
        assert editor.query_one("#m-outputs DataTable", DataTable).row_count == 1
        assert host.posted == []


async def test_test_values_are_typed() -> None:
    editor = MethodEditor(id="method-editor")
    host = host_of(editor)
    keys = ("integrations", "openai", "methods", "completions", "test_values")
    async with host.run_test(size=SIZE) as pilot:
        editor.show(method("openai.completions"), KNOWN, None)
        editor.query_one("#method-tabs", TabbedContent).active = "tab-test-values"
        await until(pilot, lambda: bool(editor.query("#m-test-values")), "the tab built")
        editor.query_one("#m-test-values DataTable", DataTable).focus()
        for name, typed in (("max", "5"), ("label", '"5"')):
            await pilot.press("a")
            await dialog(pilot, "#field-name", screen="kv-dialog")
            await type_text(pilot, name)
            await pilot.press("tab")
            await type_text(pilot, typed)
            await pilot.press("enter")
            await until(pilot, lambda: host.screen is host.screen_stack[0], "the form closed")
        assert entries(host) == [(keys, "max", 5, None), (keys, "label", "5", None)]


async def test_body_highlights_variables_and_errors() -> None:
    editor = MethodEditor(id="method-editor")
    host = host_of(editor)
    keys = ("integrations", "openai", "methods", "completions", "body")
    async with host.run_test(size=SIZE) as pilot:
        completions = method("openai.completions")
        editor.show(completions, KNOWN, None)
        editor.query_one("#method-tabs", TabbedContent).active = "tab-body"
        await until(pilot, lambda: bool(editor.query("#m-body")), "the tab built")
        body = editor.query_one("#m-body", TemplateArea)

        def names() -> set[str]:
            return {name for spans in body._highlights.values() for _, _, name in spans}

        await until(pilot, lambda: body.text == completions.body, "the body loaded")
        await settle(pilot)

        assert VARIABLE in names()
        assert "json.label" in names()
        assert VARIABLE_UNSET not in names()
        body.focus()
        body.move_cursor((0, 0))
        await type_text(pilot, "<<missing>>")
        await until(pilot, lambda: VARIABLE_UNSET in names(), "the unset variable marked")
        assert fields(host)[-1][0] == keys
        assert fields(host)[-1][1].startswith("<<missing>>{")
        assert fields(host)[-1][2] == "body"
        assert "<<missing>>" in text_of(editor.query_one("#m-body-status", Static))
        await type_text(pilot, "<<bad^>>")
        await until(pilot, lambda: TEMPLATE_ERROR in names(), "the template error marked")
        status = text_of(editor.query_one("#m-body-status", Static))
        assert "template error at position" in status


async def test_the_body_status_line_changes_without_a_layout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The line under the body (one row) follows each key typed; a new text on it used to
    lay the whole screen out, once per key (1.4 layouts per key typed in the body)."""
    editor = MethodEditor(id="method-editor")
    async with host_of(editor).run_test(size=SIZE) as pilot:
        completions = method("openai.completions")
        editor.show(completions, KNOWN, None)
        editor.query_one("#method-tabs", TabbedContent).active = "tab-body"
        await until(pilot, lambda: bool(editor.query("#m-body")), "the tab built")
        body = editor.query_one("#m-body", TemplateArea)
        status = editor.query_one("#m-body-status", Static)
        await until(pilot, lambda: body.text == completions.body, "the body loaded")
        asked = layout_requests(monkeypatch)
        body.focus()
        body.move_cursor((0, 0))
        await type_text(pilot, "<<missing>>")
        await until(pilot, lambda: "<<missing>>" in text_of(status), "the status followed")
        assert status not in asked


async def test_derived_labels_follow_the_method_and_rebuild_nothing_unchanged() -> None:
    """``refresh_derived`` (the app calls it after each edit): a new variable is listed
    without a test value; the same method again clears and refills no table and no line
    (each would lay the screen out again on every key typed)."""
    editor = MethodEditor(id="method-editor")
    host = host_of(editor)
    async with host.run_test(size=SIZE) as pilot:
        ticket = method("halo.get_ticket")
        editor.show(ticket, KNOWN, None)
        await settle(pilot)
        table = editor.query_one("#m-query DataTable", DataTable)
        variables = editor.query_one("#m-variables", Static)
        rows, line = list(table.rows), variables.content
        assert "ticket_id" in text_of(variables)
        editor.refresh_derived(replace(ticket, title=ticket.title + "!!"), KNOWN, None)
        await settle(pilot)
        assert all(a is b for a, b in zip(table.rows, rows, strict=True))  # the same row keys
        assert variables.content is line
        editor.refresh_derived(replace(ticket, path=ticket.path + "/<<n>>"), KNOWN, None)
        await until(pilot, lambda: "n (no test value)" in text_of(variables), "a new variable")
        assert str(table.get_row_at(0)[1]) == "true"
        title = editor.query_one("#m-title", Input)
        title.focus()
        await pilot.press("end")
        await type_text(pilot, "!!")
        await until(pilot, lambda: fields(host) != [], "the title posted")
        assert fields(host)[-1] == (
            ("integrations", "halo", "methods", "get_ticket", "title"),
            ticket.title + "!!",
            "text",
        )


def edited(app: RunbenchApp) -> dict[str, Any]:
    return tomllib.loads(app.document.text())


def ticket_keys(field: str) -> tuple[str, ...]:
    return ("integrations", "halo", "methods", "get_ticket", field)


def ticket(app: RunbenchApp) -> dict[str, Any]:
    found: dict[str, Any] = edited(app)["integrations"]["halo"]["methods"]["get_ticket"]
    return found


def auth(app: RunbenchApp) -> dict[str, Any]:
    found: dict[str, Any] = edited(app)["integrations"]["openai"]["auth"]
    return found


async def test_palette_help_then_editor_messages_reach_the_document(make_app: MakeApp) -> None:
    """One app: the command palette runs actions and help lists the keys; then what the
    editors post, applied by the app: each kind of message once (an auth secret reference,
    an auth type, a map entry added, renamed and deleted, a typed test value, a title, a
    body), the model re-read, and the editors' derived labels refreshed without rebuilding
    the same table."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = [title for title, _, _ in app.palette_commands()]
        for expected in (
            "Add integration",
            "Add method",
            "Rename selected",
            "Delete selected",
            "Duplicate selected",
            "Go to method halo.get_ticket",
            "Go to runbook onboard_users",
        ):
            assert expected in titles
        assert any(t.startswith("Save") for t in titles)
        assert any(t.startswith("Quit") for t in titles)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "Go to method halo.get_ticket")
        results = app.screen.query_one(CommandList)
        await until(pilot, lambda: top_hit(results) == "Go to method halo.get_ticket", "the hit")
        await pilot.press("enter")
        target = Selection("method", "halo", "get_ticket")
        await until(pilot, lambda: app.selection == target, "the palette's command run")

        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await dialog(pilot, "#help-text")
        shown = text_of(app.screen.query_one("#help-text", Static))
        for key in ("ctrl+s", "ctrl+t", "ctrl+e", "ctrl+o", "f2", "ctrl+p"):
            assert key in shown
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "the help closed")

        # the editors' messages, applied by the app
        app.go_to(Selection("integration", "openai"))
        await pilot.pause()
        app.query_one("#auth-token", Input).value = "env:OPENAI_KEY"
        await until(pilot, lambda: auth(app)["token"] == {"env": "OPENAI_KEY"}, "the reference")
        app.query_one("#auth-type", Select).value = "api_key"
        app.query_one("#auth-in", Select).value = "query"
        await until(pilot, lambda: auth(app).get("in") == "query", "the type and place")
        assert auth(app)["type"] == "api_key"
        assert app.workspace.integrations["openai"].auth.location == "query"

        app.go_to(Selection("method", "halo", "get_ticket"))
        await pilot.pause()
        table = app.query_one("#m-query DataTable", DataTable)
        rows = list(table.rows)
        app.post_message(EntryEdited(ticket_keys("query"), "limit", "<<n>>"))
        app.post_message(EntryEdited(ticket_keys("test_values"), "max", 5))
        await until(pilot, lambda: "max" in ticket(app).get("test_values", {}), "the entries")
        assert ticket(app)["query"] == {"includedetails": "true", "limit": "<<n>>"}
        assert ticket(app)["test_values"]["max"] == 5
        variables = app.query_one("#m-variables", Static)
        assert "n (no test value)" in text_of(variables)
        title = app.query_one("#m-title", Input)
        title.focus()
        await pilot.press("end", "!")
        await until(pilot, lambda: ticket(app)["title"].endswith("!"), "the title")
        assert list(table.rows)[0] is not rows[0]  # the added row rebuilt the table once
        rows = list(table.rows)
        title.value += "!"
        await until(pilot, lambda: ticket(app)["title"].endswith("!!"), "the second key")
        assert all(a is b for a, b in zip(table.rows, rows, strict=True))  # not again

        query = ticket_keys("query")
        app.post_message(EntryEdited(query, "details", "true", "includedetails"))
        app.post_message(EntryEdited(query, "limit", None, "limit"))
        await until(pilot, lambda: ticket(app)["query"] == {"details": "true"}, "renamed, deleted")
        app.post_message(FieldEdited(ticket_keys("body"), "<<missing>>{}", kind="body"))
        await until(pilot, lambda: ticket(app).get("body") == "<<missing>>{}", "the body")
        assert "missing (no test value)" in text_of(variables)


def top_hit(results: CommandList) -> str:
    """The highlighted command's title, or "" while the palette is still searching."""
    if results.highlighted is None or not results.option_count:
        return ""
    return str(results.get_option_at_index(results.highlighted).prompt).split("\n")[0]
