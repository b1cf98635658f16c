"""Shortfalls found driving the real workbench in tmux (issue 15's acceptance): ctrl+e
pressed inside the checker pushed a second one (a crash: duplicate ids); keys typed faster
than the checker handled them were dropped when the prefill was fixed; "Set a secret"
started in the prefilled name, so the secret was typed in clear; "1 problem(s)". (A new
workspace's .runbench/.gitignore is checked with the new file's first save, in
test_tui_files.py.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static, TabbedContent

from runbench.tui.app import RunbenchApp
from runbench.tui.screens.checker import ExpressionChecker
from runbench.tui.widgets.run_panes import RunLog
from runbench.tui.widgets.tree import Selection, WorkspaceTree
from waits import settle, until

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


async def open_checker(pilot: Pilot[Any]) -> Input:
    app = pilot.app
    await pilot.press("ctrl+e")
    await until(pilot, lambda: bool(app.screen.query("#checker-input")), "the checker")
    return app.screen.query_one("#checker-input", Input)


async def test_checker_dialogs_run_log_and_tree_keys_in_one_workbench(make_app: MakeApp) -> None:
    """The acceptance shortfalls that need only the demo workspace, one after another in one
    app: ctrl+e inside the checker, and keys faster than it; ctrl+z under a dialog does not
    undo the workspace, and a secret whose name is known starts in the value; the run log
    wraps at 80 columns; a tree key acts on the node under the cursor even before the app
    heard of the move, and a step added with one problem says "1 problem"."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field = await open_checker(pilot)
        checker = app.screen
        await pilot.press("home", "ctrl+e", "x")
        await settle(pilot)
        assert app.screen is checker
        assert sum(isinstance(s, ExpressionChecker) for s in app.screen_stack) == 1
        assert field.value == "response^x"  # ctrl+e was the field's end of line

        await pilot.press("escape")  # a new checker (the prefill again), same app
        await until(pilot, lambda: not app.screen.query("#checker-input"), "the checker closed")
        field = await open_checker(pilot)
        assert app.screen is not checker
        field.action_end()
        # two bursts before the checker sees the first one's Changed (keys over SSH)
        field.insert_text_at_cursor("response^")
        field.insert_text_at_cursor("choices[0]")
        await settle(pilot)
        assert field.value == "response^choices[0]"
        await pilot.press("escape")
        await until(pilot, lambda: not app.screen.query("#checker-input"), "the checker closed")

        # ctrl+z under a dialog; a secret whose name is known starts in the value
        app.go_to(Selection("workspace"))
        await settle(pilot)
        app.query_one("#w-name", Input).focus()
        await pilot.press("end", "x", "tab")
        await settle(pilot)
        assert app.workspace.name.endswith("x")
        app.action_set_secret("a_name")
        await until(pilot, lambda: bool(app.screen.query("#field-value")), "the dialog")
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.workspace.name.endswith("x")

        await pilot.press("escape")
        await until(pilot, lambda: not app.screen.query("#field-value"), "the dialog closed")
        app.action_set_secret("openai_key")
        await until(pilot, lambda: bool(app.screen.query("#field-value")), "the second dialog")
        await settle(pilot)
        assert app.focused is app.screen.query_one("#field-value", Input)
        assert app.screen.query_one("#field-value", Input).password
        await pilot.press("escape")
        await until(pilot, lambda: not app.screen.query("#field-value"), "the dialog closed")

        # the run log wraps at 80 columns
        app.go_to(Selection("runbook", runbook="create_customer"))
        await settle(pilot)
        await pilot.press("f5")
        await until(pilot, lambda: bool(app.screen.query("#trigger-run")), "the trigger dialog")
        await pilot.press("enter")
        await until(pilot, lambda: not app.active_runs(), "the run's end")
        app.query_one("#runbook-tabs", TabbedContent).active = "tab-log"
        await settle(pilot)
        log = app.query_one(RunLog)
        width = log.scrollable_content_region.width
        assert 0 < width < 78
        assert log.lines
        assert max(line.cell_length for line in log.lines) <= width
        shown = " ".join(line.text.strip() for line in log.lines)
        assert "/api/Client" in shown
        assert "→ 404" in shown  # the status after the URL, not cut

        # a tree key on the node under the cursor; "1 problem"
        app.go_to(Selection("runbooks"))
        await settle(pilot)
        tree = app.query_one(WorkspaceTree)
        tree.focus()
        # the cursor is on openai before the app heard of it (a key right after "up")
        assert tree.select_data(Selection("integration", integration="openai"), announce=False)
        await pilot.press("a")
        await until(pilot, lambda: bool(app.screen.query("#form-ok")), "a dialog")
        assert app.screen.id == "add-method"
        await pilot.press("escape")
        await until(pilot, lambda: not app.screen.query("#form-ok"), "the dialog closed")

        app.go_to(Selection("runbook", runbook="ask_chatgpt"))
        await settle(pilot)
        tree.focus()
        await pilot.press("a")
        await until(pilot, lambda: app.screen.id == "add-step", "add step")
        app.screen.query_one("#field-name", Input).value = "stray"
        app.screen.query_one("#field-kind").value = "end"  # type: ignore[attr-defined]
        await pilot.click("#form-ok")
        await settle(pilot)
        text = str(app.query_one("#flow-step", Static).render())
        assert "1 problem: enter shows it" in text


async def test_problems_under_the_chart_wrap(make_app: MakeApp, workspace_file: Path) -> None:
    from runbench.tui.widgets.flowchart import FlowchartView

    name = "a_really_long_unknown_variable_name_here"
    text = workspace_file.read_text()
    said = 'message = "Created customer <<customer_name>> with id <<CustomerId>>"'
    workspace_file.write_text(text.replace(said, said[:-1] + f' for <<{name}>>"'))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.go_to(Selection("runbook", runbook="create_customer"))
        await settle(pilot)
        chart = app.query_one(FlowchartView)
        width = chart.scrollable_content_region.width
        notes = [strip.text for strip in chart._strips if strip.text.startswith(("!", "  "))]
        assert notes
        assert max(len(line) for line in notes) <= width
        assert f"<<{name}>> is never set" in " ".join(line.strip() for line in notes)
