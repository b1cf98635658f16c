"""Widgets alone, each in a small host app: drive one widget and check the messages it
posts up (or what its dialog returns), without starting the whole workbench."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widget import Widget
from textual.widgets import Input, Select, Static

from host_app import Host
from runbench.core.workspace import Rule, load_workspace
from runbench.tui.screens.trigger import TriggerDialog
from runbench.tui.widgets.kv_table import KeyValueTable
from runbench.tui.widgets.rules_table import RulesTable
from waits import until

SIZE = (80, 24)
DEMO = Path(__file__).resolve().parents[2] / "workspaces" / "demo.toml"


def host_of(widget: Widget | None = None) -> Host:
    """``widget`` alone, keeping every ``KeyValueTable.Changed`` and ``RulesTable.Changed``."""
    return Host(widget, KeyValueTable.Changed, RulesTable.Changed)


def changes(host: Host) -> list[tuple[str | None, dict[str, str] | None]]:
    return [(m.old_name, m.values) for m in host.posted if isinstance(m, KeyValueTable.Changed)]


def form_error(host: Host) -> str:
    return str(host.screen.query_one(".dialog-error", Static).render())


async def test_kv_table_adds_edits_and_deletes_by_messages() -> None:
    table = KeyValueTable("query parameter", id="kv")
    host = host_of(table)
    async with host.run_test(size=SIZE) as pilot:
        table.show([("includedetails", "true"), ("limit", "10")])
        table.table.focus()
        await pilot.press("a", *"page", "tab", *"<<n>>", "enter")
        await until(pilot, lambda: len(changes(host)) == 1, "the added row posted")
        assert changes(host) == [(None, {"name": "page", "value": "<<n>>"})]
        assert table.rows == [("includedetails", "true"), ("limit", "10")]  # it never writes

        table.table.move_cursor(row=0)
        await pilot.press("enter")  # edit the first row: rename it
        await until(pilot, lambda: host.screen.id == "kv-dialog", "the edit form")
        host.screen.query_one("#field-name", Input).value = "details"
        await pilot.press("enter")
        await until(pilot, lambda: len(changes(host)) == 2, "the edit posted")
        assert changes(host)[1] == ("includedetails", {"name": "details", "value": "true"})

        table.table.move_cursor(row=1)
        await pilot.press("d")
        await pilot.click("#choice-yes")
        await until(pilot, lambda: len(changes(host)) == 3, "the delete posted")
        assert changes(host)[2] == ("limit", None)


async def test_kv_table_refuses_a_duplicate_or_empty_name() -> None:
    table = KeyValueTable("header", id="kv")
    host = host_of(table)
    async with host.run_test(size=SIZE) as pilot:
        table.show([("Accept", "application/json")])
        table.table.focus()
        await pilot.press("a", *"Accept", "enter")
        await until(pilot, lambda: "already exists" in form_error(host), "the duplicate refused")
        host.screen.query_one("#field-name", Input).value = " "
        await pilot.press("enter")
        await until(pilot, lambda: "a name is needed" in form_error(host), "the empty name refused")
        assert host.screen.id == "kv-dialog"
        await pilot.press("escape")
        await until(pilot, lambda: host.screen.id != "kv-dialog", "the form closed")
        assert changes(host) == []


async def test_trigger_dialog_checks_json_and_builds_the_action() -> None:
    workspace = load_workspace(DEMO)
    host = host_of()
    async with host.run_test(size=SIZE) as pilot:
        results: list[Any] = []
        dialog = TriggerDialog(workspace, workspace.runbooks["ask_chatgpt"])
        host.push_screen(dialog, results.append)
        await pilot.pause()
        assert {w.id for w in dialog.query(Input)} == {
            "ticket-id",
            "ticket-json",
            "action-note",
            "action-json",
        }
        dialog.query_one("#ticket-json", Input).value = "{not json"
        dialog.submit()
        await pilot.pause()
        assert "ticket JSON" in str(dialog.query_one("#trigger-error").render())
        dialog.query_one("#ticket-json", Input).value = ""
        dialog.query_one("#action-note", Input).value = "hello"
        dialog.query_one("#action-json", Input).value = '{"who": "ann"}'
        dialog.submit()
        await until(pilot, lambda: len(results) == 1, "the dialog's answer")
        trigger = results[0]
        assert trigger.ticket_id == "1"
        assert trigger.ticket is None
        assert trigger.action == {"who": "ann", "note": "hello"}

        other = TriggerDialog(workspace, workspace.runbooks["onboard_users"])
        host.push_screen(other, results.append)
        await pilot.pause()
        assert "ticket-id" not in {w.id for w in other.query(Input)}
        other.submit()
        await until(pilot, lambda: len(results) == 2, "the second dialog's answer")
        inputs = results[1].inputs  # prefilled with the defaults, parsed as JSON
        assert inputs["client_id"] == 1
        assert [u["name"] for u in inputs["users"]][0] == "Ada Lovelace"


def rule_lists(host: Host) -> list[list[dict[str, Any]]]:
    return [m.rules for m in host.posted if isinstance(m, RulesTable.Changed)]


async def test_rules_table_posts_the_whole_new_list_typed() -> None:
    rules = RulesTable(id="rules")
    host = host_of(rules)
    async with host.run_test(size=SIZE) as pilot:
        rules.show([])
        assert "always met" in str(rules.query_one(".kv-hint", Static).render())
        rules.show([Rule("<<Status>>", "equals", "open")])  # a rule: no longer always met
        assert "always met" not in str(rules.query_one(".kv-hint", Static).render())
        rules.table.focus()
        await pilot.press("a")
        await until(pilot, lambda: host.screen.id == "rule-dialog", "the add form")
        host.screen.query_one("#field-left", Input).value = "<<Count>>"
        host.screen.query_one("#field-op", Select).value = "greater_than"
        await pilot.press("enter")  # no right side yet: refused, the form stays
        await until(pilot, lambda: "needs a right side" in form_error(host), "the refusal")
        host.screen.query_one("#field-right", Input).value = "9"
        await pilot.press("enter")
        await until(pilot, lambda: len(rule_lists(host)) == 1, "the new list posted")
        assert rule_lists(host)[0] == [
            {"left": "<<Status>>", "op": "equals", "right": "open"},
            {"left": "<<Count>>", "op": "greater_than", "right": 9},  # typed as JSON
        ]
        assert rules.rules == [{"left": "<<Status>>", "op": "equals", "right": "open"}]

        await pilot.press("d")
        await pilot.click("#choice-yes")
        await until(pilot, lambda: len(rule_lists(host)) == 2, "the delete posted")
        assert rule_lists(host)[1] == []
