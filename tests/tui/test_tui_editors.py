"""Pilot tests of the editors: auth form, key/value tables, body highlighting, palette."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from typing import Any

from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static, TabbedContent

from runbench.tui.app import RunbenchApp
from runbench.tui.screens.help import HelpScreen
from runbench.tui.widgets.body_editor import TemplateArea
from runbench.tui.widgets.highlight import TEMPLATE_ERROR, VARIABLE, VARIABLE_UNSET
from runbench.tui.widgets.tree import Selection
from waits import until

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


def edited(app: RunbenchApp) -> dict[str, Any]:
    return tomllib.loads(app.document.text())


def auth_of(app: RunbenchApp, integration: str) -> dict[str, Any]:
    auth: dict[str, Any] = edited(app)["integrations"][integration]["auth"]
    return auth


def text_of(widget: Static) -> str:
    return str(getattr(widget.content, "plain", widget.content))


async def open_integration(app: RunbenchApp, pilot: Pilot[Any], name: str) -> None:
    app.go_to(Selection("integration", name))
    await pilot.pause()


async def test_auth_secret_field_masked_and_reference(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_integration(app, pilot, "openai")
        token = app.query_one("#auth-token", Input)
        assert app.query_one("#auth-type", Select).value == "bearer"
        assert token.value == "••••"  # the literal sk-sandbox is never shown
        assert "literal secret" in text_of(app.query_one("#auth-warning", Static))
        assert app.query_one("#row-header").display
        assert not app.query_one("#row-username").display
        token.focus()
        await pilot.press(*"env:OPENAI_KEY")  # select-on-focus: typing replaces the mask
        await until(
            pilot, lambda: auth_of(app, "openai").get("token") == {"env": "OPENAI_KEY"}, "ref"
        )
        assert text_of(app.query_one("#auth-warning", Static)) == ""
        token.value = "plain-secret"
        await until(pilot, lambda: auth_of(app, "openai")["token"] == "plain-secret", "literal")
        assert "literal secret" in text_of(app.query_one("#auth-warning", Static))


async def test_auth_type_switch_shows_that_types_fields(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_integration(app, pilot, "openai")
        app.query_one("#auth-type", Select).value = "api_key"
        await until(pilot, lambda: auth_of(app, "openai")["type"] == "api_key", "the type saved")
        shown = {
            f
            for f in ("name", "in", "value", "token", "username", "grant")
            if app.query_one(f"#row-{f}").display
        }
        assert shown == {"name", "in", "value"}
        assert edited(app)["integrations"]["openai"]["auth"]["type"] == "api_key"
        app.query_one("#auth-name", Input).value = "X-Api-Key"
        app.query_one("#auth-in", Select).value = "query"
        await until(pilot, lambda: auth_of(app, "openai").get("in") == "query", "the place saved")
        auth = auth_of(app, "openai")
        assert auth["name"] == "X-Api-Key"
        assert auth["in"] == "query"
        assert app.workspace.integrations["openai"].auth.location == "query"


async def test_oauth_params_table_and_base_url(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_integration(app, pilot, "halo")
        table = app.query_one("#auth-params DataTable", DataTable)
        assert table.row_count == 1
        assert str(table.get_row_at(0)[0]) == "tenant"
        table.focus()
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.id == "kv-dialog"
        await pilot.press(*"resource", "tab", *"api", "enter")
        await pilot.pause()
        assert edited(app)["integrations"]["halo"]["auth"]["params"] == {
            "tenant": "demo",
            "resource": "api",
        }
        base = app.query_one("#int-base_url", Input)
        base.value = "https://halo.example.com"
        await until(
            pilot,
            lambda: edited(app)["integrations"]["halo"]["base_url"] == "https://halo.example.com",
            "the base URL saved",
        )


async def test_query_table_add_edit_delete(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.go_to(Selection("method", "halo", "get_ticket"))
        await pilot.pause()
        table = app.query_one("#m-query DataTable", DataTable)
        assert str(table.get_row_at(0)[1]) == "true"
        table.focus()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"limit", "tab", *"<<n>>", "enter")
        await pilot.pause()
        query = edited(app)["integrations"]["halo"]["methods"]["get_ticket"]["query"]
        assert query == {"includedetails": "true", "limit": "<<n>>"}
        assert "n (no test value)" in text_of(app.query_one("#m-variables", Static))
        table.move_cursor(row=0)
        await pilot.press("enter")  # edit the first row: rename it
        await pilot.pause()
        await pilot.press(*"details", "enter")
        await pilot.pause()
        query = edited(app)["integrations"]["halo"]["methods"]["get_ticket"]["query"]
        assert set(query) == {"details", "limit"}
        table.move_cursor(row=1)
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#choice-yes")
        await pilot.pause()
        assert edited(app)["integrations"]["halo"]["methods"]["get_ticket"]["query"] == {
            "limit": "<<n>>"
        }


async def test_tabs_built_on_first_open_show_the_method_and_edit_nothing(
    make_app: MakeApp,
) -> None:
    """Closed tabs are built when opened; what they show is the selected method's, and
    building them (a Select announces its value on mount) changes nothing."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.query("#m-body")
        assert not app.query("#m-outputs")
        app.go_to(Selection("method", "halo", "post_action"))
        await pilot.pause()
        tabs = app.query_one("#method-tabs", TabbedContent)
        for tab in ("tab-body", "tab-auth", "tab-outputs", "tab-test-values", "tab-headers"):
            tabs.active = tab
            await pilot.pause()
        assert app.query_one("#m-body_type", Select).value == "json"
        assert app.query_one("#m-body", TemplateArea).text.startswith("[")
        assert app.query_one("#m-auth", Select).value == "inherit"
        assert not app.document.dirty
        app.go_to(Selection("method", "openai", "completions"))  # built tabs follow
        await pilot.pause()
        assert '"model"' in app.query_one("#m-body", TemplateArea).text
        assert app.query_one("#m-outputs DataTable", DataTable).row_count == 1
        assert not app.document.dirty


async def test_test_values_are_typed(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.query_one("#method-tabs", TabbedContent).active = "tab-test-values"
        await pilot.pause()
        app.query_one("#m-test-values DataTable", DataTable).focus()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"max", "tab", *"5", "enter")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"label", "tab", *'"5"', "enter")
        await pilot.pause()
        values = edited(app)["integrations"]["openai"]["methods"]["completions"]["test_values"]
        assert values["max"] == 5
        assert values["label"] == "5"


async def test_body_highlights_variables_and_errors(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.query_one("#method-tabs", TabbedContent).active = "tab-body"
        await pilot.pause()
        body = app.query_one("#m-body", TemplateArea)
        names = {name for spans in body._highlights.values() for _, _, name in spans}
        assert VARIABLE in names
        assert "json.label" in names
        assert VARIABLE_UNSET not in names
        body.focus()
        body.move_cursor((0, 0))
        await pilot.press(*"<<missing>>")
        await pilot.pause()
        names = {name for spans in body._highlights.values() for _, _, name in spans}
        assert VARIABLE_UNSET in names
        assert edited(app)["integrations"]["openai"]["methods"]["completions"]["body"].startswith(
            "<<missing>>{"
        )
        assert "missing (no test value)" in text_of(app.query_one("#m-variables", Static))
        await pilot.press(*"<<bad^>>")
        await pilot.pause()
        names = {name for spans in body._highlights.values() for _, _, name in spans}
        assert TEMPLATE_ERROR in names
        assert "template error at position" in text_of(app.query_one("#m-body-status", Static))


async def test_command_palette_runs_actions(make_app: MakeApp) -> None:
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
        await pilot.press(*"Go to method halo.get_ticket")
        results = app.screen.query_one(CommandList)
        await until(pilot, lambda: top_hit(results) == "Go to method halo.get_ticket", "the hit")
        await pilot.press("enter")
        await pilot.pause()
        assert app.selection == Selection("method", "halo", "get_ticket")


def top_hit(results: CommandList) -> str:
    """The highlighted command's title, or "" while the palette is still searching."""
    if results.highlighted is None or not results.option_count:
        return ""
    return str(results.get_option_at_index(results.highlighted).prompt).split("\n")[0]


async def test_help_lists_keys(make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = text_of(app.screen.query_one("#help-text", Static))
        for key in ("ctrl+s", "ctrl+t", "ctrl+e", "ctrl+o", "f2", "ctrl+p"):
            assert key in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_typing_in_a_field_rebuilds_no_table_and_keeps_the_variables_line(
    make_app: MakeApp,
) -> None:
    """Each key typed re-reads the method; tables and the variables line whose content
    is the same are left alone (clearing and refilling them laid the screen out again)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.go_to(Selection("method", "halo", "get_ticket"))
        await pilot.pause()
        table = app.query_one("#m-query DataTable", DataTable)
        variables = app.query_one("#m-variables", Static)
        rows, line = list(table.rows), variables.content
        title = app.query_one("#m-title", Input)
        title.focus()
        await pilot.press("end", *"!!")
        await until(pilot, lambda: title.value.endswith("!!"), "typed into the title")
        await pilot.pause()
        assert edited(app)["integrations"]["halo"]["methods"]["get_ticket"]["title"].endswith("!!")
        kept = [a is b for a, b in zip(table.rows, rows, strict=True)]
        assert all(kept)  # the very same row keys: not cleared and refilled
        assert variables.content is line
        app.query_one("#m-path", Input).focus()
        await pilot.press("end", *"/<<n>>")
        await until(pilot, lambda: "n (no test value)" in text_of(variables), "a new variable")
        assert str(table.get_row_at(0)[1]) == "true"
