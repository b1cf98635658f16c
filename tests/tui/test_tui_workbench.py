"""Pilot tests of the workbench at 80x24: navigate, edit, test, check paths, save."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.widgets import ContentSwitcher, DataTable, Input, Select, Static, TabbedContent

from runbench.tui.app import RunbenchApp
from runbench.tui.screens.checker import ExpressionChecker
from runbench.tui.widgets.line_view import LineView
from runbench.tui.widgets.tree import Selection, WorkspaceTree
from waits import settle, until

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


def saved(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def edited(app: RunbenchApp) -> dict[str, Any]:
    return tomllib.loads(app.document.text())


def static_text(widget: Static) -> str:
    content = widget.content
    return content.plain if isinstance(content, Text) else str(content)


async def test_narrow_layout_tree_toggle_then_tree_navigation_and_quit(make_app: MakeApp) -> None:
    """One app for what is seen from the start: the narrow layout with the tree hidden and
    shown; the tree's keys switching the editor; quit without edits not asking."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.has_class("-narrow")
        tree = app.query_one(WorkspaceTree)
        response = app.query_one("#response")
        editor = app.query_one("#editor")
        assert response.region.y > editor.region.y  # below, not beside
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not tree.display
        assert editor.region.x == 0
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert tree.display

        # the tree's keys switch the editor (hiding the tree moved the focus away from it)
        tree.focus()
        switcher = app.query_one("#editor", ContentSwitcher)
        assert app.selection == Selection("method", "openai", "completions")
        assert switcher.current == "method-editor"
        assert app.query_one("#m-path", Input).value == "/completions"
        assert app.query_one("#m-verb", Select).value == "POST"
        await pilot.press("down")
        await pilot.pause()
        assert app.selection == Selection("integration", "halo")
        assert switcher.current == "integration-editor"
        assert app.query_one("#auth-type", Select).value == "oauth2"
        assert app.query_one("#row-token_url").display
        assert not app.query_one("#row-token").display
        await pilot.press("down", "down")
        await pilot.pause()
        assert app.selection == Selection("method", "halo", "get_ticket")
        assert app.query_one("#m-path", Input).value == "/api/Tickets/<<ticket_id>>"
        await pilot.press("down", "down")
        await pilot.pause()
        assert app.selection == Selection("runbook", runbook="ask_chatgpt")
        assert switcher.current == "runbook-pane"
        assert static_text(app.query_one("#flow-step", Static)).startswith("start: ask")
        assert "ask_chatgpt · no run yet" in str(app.query_one("#run-status", Static).render())
        assert not app.query_one("#response").display or not app.query_one("#response").region
        await pilot.press("ctrl+q")  # browsing edited nothing: quit does not ask
        await pilot.pause()
    assert app.return_value == 0


async def test_test_method_checker_and_oauth_then_verb_add_rename_duplicate_delete(
    make_app: MakeApp, workspace_file: Path
) -> None:
    """One app: ctrl+t on openai.completions shows the response and its outputs; the checker
    opened on that response adds an output; then ctrl+t on an OAuth2 method. Then a verb
    chosen reaches the document and the tree's label; a method, then an integration, added,
    renamed, duplicated and deleted from the tree."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+t")
        await settle(pilot)
        status = static_text(app.query_one("#response-status", Static))
        assert "200 OK" in status
        exchange = app.exchanges["openai.completions"]
        answer = "Answer to: How do I reset my password?"
        assert exchange.outputs == {"ResponseText": answer}
        assert exchange.request is not None
        assert exchange.request.url == "http://sandbox.test/openai/v1/completions"
        body = app.query_one("#response-body", LineView)
        assert '"choices": [' in body.text
        assert body.lines.count > 5  # pretty-printed
        outputs = app.query_one("#response-outputs", DataTable)
        assert outputs.row_count == 1
        assert answer in str(outputs.get_row_at(0)[1])
        app.query_one("#method-tabs", TabbedContent).active = "tab-outputs"
        # the tab is built as it first opens: one pause was too short under load
        await until(
            pilot,
            lambda: any(t.row_count for t in app.query("#m-outputs DataTable").results(DataTable)),
            "the outputs tab built",
        )
        table = app.query_one("#m-outputs DataTable", DataTable)
        assert answer in str(table.get_row_at(0)[2])
        request = app.query_one("#response-request", LineView).text
        assert "sk-sandbox" not in request  # redacted
        assert request.startswith("POST http://sandbox.test/openai/v1/completions")

        # the checker, on the method's last response, adds an output
        await pilot.press("ctrl+e")
        await settle(pilot)
        app.screen.query_one("#checker-input", Input).value = "response^choices[0]^index"
        await settle(pilot)
        # checked against the method's last response (the rest: test_checker_screen.py)
        assert static_text(app.screen.query_one("#checker-result", Static)) == "= (int)\n0"
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert app.screen.id == "output-name"
        await pilot.press(*"FirstIndex", "enter")
        await pilot.pause()
        outputs_edited = edited(app)["integrations"]["openai"]["methods"]["completions"]["outputs"]
        assert outputs_edited["FirstIndex"] == "response^choices[0]^index"
        assert isinstance(app.screen, ExpressionChecker)  # still open for more
        await pilot.press("escape")
        await pilot.pause()
        rows = app.query_one("#m-outputs DataTable", DataTable)
        assert rows.row_count == 2
        assert saved(workspace_file)["integrations"]["openai"]["methods"]["completions"][
            "outputs"
        ] == {"ResponseText": "response^choices[0]^text!"}  # not saved until ctrl+s

        # another method: OAuth2 (its token kept out of the request kept)
        app.go_to(Selection("method", "halo", "get_ticket"))
        await pilot.press("ctrl+t")
        await settle(pilot)
        exchange = app.exchanges["halo.get_ticket"]
        assert exchange.ok
        assert exchange.outputs == {"Summary": "VPN not connecting", "ClientId": 7}
        assert exchange.request is not None
        assert "tok-123" not in json.dumps(exchange.request.headers)

        # back on openai.completions, the tree focused (as at start): a verb chosen reaches
        # the document and the tree's label; a method, then an integration, added, renamed,
        # duplicated and deleted from the tree
        app.go_to(Selection("method", "openai", "completions"))
        tree = app.query_one(WorkspaceTree)
        tree.focus()
        await settle(pilot)
        assert tree.selection == Selection("method", "openai", "completions")
        app.query_one("#m-verb", Select).value = "PUT"
        await pilot.pause()
        assert edited(app)["integrations"]["openai"]["methods"]["completions"]["verb"] == "PUT"
        labels = [str(n.label) for n in tree.root.children[0].children[0].children]
        assert labels == ["PUT completions"]

        # a method (the tree has the focus, on openai.completions)
        assert app.focused is tree
        await pilot.press("r")
        await pilot.pause()
        await pilot.press(*"complete", "enter")
        await pilot.pause()
        doc = edited(app)
        assert set(doc["integrations"]["openai"]["methods"]) == {"complete"}
        assert doc["runbooks"]["ask_chatgpt"]["steps"]["ask"]["method"] == "openai.complete"
        assert not [p for p in app.problems if p.is_error]
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.id == "add-method"
        await pilot.press(*"models", "enter")
        await pilot.pause()
        assert app.selection == Selection("method", "openai", "models")
        assert edited(app)["integrations"]["openai"]["methods"]["models"] == {
            "title": "Models",  # a new method gets a title, as a new integration does
            "verb": "GET",
            "path": "/",
        }
        await pilot.press("c", "enter")
        await pilot.pause()
        assert app.selection == Selection("method", "openai", "models_copy")
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("escape")  # cancel keeps it
        await pilot.pause()
        assert "models_copy" in edited(app)["integrations"]["openai"]["methods"]
        await pilot.press("delete")
        await pilot.pause()
        await pilot.click("#choice-yes")
        await pilot.pause()
        assert set(edited(app)["integrations"]["openai"]["methods"]) == {"complete", "models"}
        assert app.selection == Selection("integration", "openai")

        # an integration
        await pilot.press("up")  # Integrations group
        await pilot.pause()
        assert app.selection == Selection("integrations")
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.id == "add-integration"
        await pilot.press(*"crm", "enter")
        await pilot.pause()
        assert app.selection == Selection("integration", "crm")
        assert edited(app)["integrations"]["crm"]["base_url"] == "https://"
        await pilot.press("r")
        await pilot.pause()
        await pilot.press(*"contacts", "enter")
        await pilot.pause()
        assert "crm" not in app.workspace.integrations
        assert app.selection == Selection("integration", "contacts")
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.selection == Selection("integration", "contacts_copy")
        assert {"contacts", "contacts_copy"} <= set(edited(app)["integrations"])
        await pilot.press("delete")
        await pilot.pause()
        assert app.screen.id == "confirm"
        await pilot.click("#choice-yes")
        await pilot.pause()
        assert "contacts_copy" not in edited(app)["integrations"]
        assert "contacts" in edited(app)["integrations"]


async def test_save_keeps_comments_refuses_to_clobber_and_quit_asks_when_dirty(
    make_app: MakeApp, workspace_file: Path
) -> None:
    """One app: a save keeps the file's comments; a save over a file changed elsewhere
    refuses and offers the ways out; quit with unsaved edits asks."""
    before = workspace_file.read_text(encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.title.endswith("*")
        app.query_one("#m-title", Input).focus()
        await pilot.press("end", *" (v2)")
        await pilot.pause()
        method = edited(app)["integrations"]["openai"]["methods"]["completions"]
        assert method["title"] == "Post completions (v2)"
        assert app.workspace.method("openai.completions").title == "Post completions (v2)"  # type: ignore[union-attr]
        assert app.title.endswith("*")  # edited, not saved
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not app.title.endswith("*")
        after = workspace_file.read_text(encoding="utf-8")
        assert after.replace('title = "Post completions (v2)"', 'title = "Post completions"') == (
            before
        )
        assert "# runbench demo workspace" in after

        # the file changed elsewhere: not overwritten, the ways out offered
        app.query_one("#m-path", Input).focus()
        await pilot.press("end", "x")
        await pilot.pause()
        on_disk = workspace_file.read_text(encoding="utf-8") + "\n# edited elsewhere\n"
        workspace_file.write_text(on_disk, encoding="utf-8")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "conflict-dialog"
        assert workspace_file.read_text(encoding="utf-8") == on_disk  # not overwritten
        message = str(app.screen.query_one(".dialog-message").render())
        assert "changed since it was loaded" in message
        await pilot.click("#choice-keep")
        await pilot.pause()
        assert app.document.dirty
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.click("#choice-reload")
        await pilot.pause()
        assert not app.document.dirty
        assert "# edited elsewhere" in app.document.text()
        assert app.query_one("#m-path", Input).value == "/completions"

        # quit with an unsaved edit asks
        app.query_one("#m-path", Input).focus()
        await pilot.press("end", "x")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.screen.id == "quit-dialog"
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running
        assert app.screen.id != "quit-dialog"
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.click("#choice-discard")
        await pilot.pause()
    assert app.return_value == 0
