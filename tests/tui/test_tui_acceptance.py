"""Shortfalls found driving the real workbench in tmux (issue 15's acceptance): ctrl+e
pressed inside the checker pushed a second one (a crash: duplicate ids); keys typed faster
than the checker handled them were dropped when the prefill was fixed; "Set a secret"
started in the prefilled name, so the secret was typed in clear; "1 problem(s)"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from runbench.tui.app import RunbenchApp
from runbench.tui.screens.checker import ExpressionChecker
from runbench.tui.widgets.tree import Selection
from waits import settle, until

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


async def open_checker(pilot: Pilot[Any]) -> Input:
    app = pilot.app
    await pilot.press("ctrl+e")
    await until(pilot, lambda: bool(app.screen.query("#checker-input")), "the checker")
    return app.screen.query_one("#checker-input", Input)


async def test_ctrl_e_inside_the_checker_and_keys_faster_than_it(make_app: MakeApp) -> None:
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


async def test_ctrl_z_under_a_dialog_and_set_a_secret_starting_in_the_value(
    make_app: MakeApp,
) -> None:
    """ctrl+z under a dialog does not undo the workspace; a secret whose name is known
    starts in the value (one app: both are the set-a-secret dialog over the workbench)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
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


async def test_the_run_log_wraps_at_80_columns(make_app: MakeApp) -> None:
    from textual.widgets import TabbedContent

    from runbench.tui.widgets.run_panes import RunLog

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
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


async def test_a_tree_key_acts_on_the_node_under_the_cursor_and_one_problem_is_not_problems(
    make_app: MakeApp,
) -> None:
    """Two keys in the tree, one app: ``a`` acts on the node under the cursor even before
    the app heard of the move; a step added with one problem says "1 problem"."""
    from runbench.tui.widgets.tree import WorkspaceTree

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
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


async def test_a_new_workspace_saved_from_the_workbench_gets_its_gitignore(
    tmp_path: Path,
) -> None:
    target = tmp_path / "brand_new.toml"
    app = RunbenchApp(target, environ={}, new_file=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.screen.query("#choice-starter")), "the offer")
        await pilot.press("enter")  # the starter, whose comments say .runbench/ is ignored
        await settle(pilot)
        assert not (tmp_path / ".runbench").exists()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert target.exists()
        ignore = tmp_path / ".runbench" / ".gitignore"
        assert ignore.read_text(encoding="utf-8").strip().endswith("*")
        assert (tmp_path / ".runbench").stat().st_mode & 0o777 == 0o700
