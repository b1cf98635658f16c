"""Pilot tests of the runbook pane at 80x24: flowchart, step editor, runs, debugging,
history. Runs go to the real sandbox on 127.0.0.1 (``sandbox_app``)."""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, TextArea

from runbench.cli.main import main
from runbench.core.workspace import Step
from runbench.sandbox import RunningSandbox
from runbench.tui.app import RunbenchApp
from runbench.tui.hangup import HUNG_UP_REASON, HUNG_UP_STATUS, TerminalHungUp
from runbench.tui.state.run_view import RunView
from runbench.tui.widgets.flowchart import FlowchartView
from runbench.tui.widgets.history import HistoryView
from runbench.tui.widgets.run_panes import VariablesPane
from runbench.tui.widgets.runbook_pane import RunbookPane
from runbench.tui.widgets.step_editor import StepEditor
from runbench.tui.widgets.tree import Selection, WorkspaceTree
from waits import until

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]
NOTE = "Why is my VPN down?"


def view_of(app: RunbenchApp, runbook: str = "ask_chatgpt") -> RunView:
    view = app.runs.current(runbook)
    assert view is not None
    return view


def chart(app: RunbenchApp) -> FlowchartView:
    return app.query_one(FlowchartView)


async def open_runbook(
    pilot: Pilot[Any], runbook: str = "ask_chatgpt", step: str | None = None
) -> None:
    app = pilot.app
    assert isinstance(app, RunbenchApp)
    selection = (
        Selection("step", runbook=runbook, step=step)
        if step
        else Selection("runbook", runbook=runbook)
    )
    app.go_to(selection)
    await pilot.pause()
    chart(app).focus()
    await pilot.pause()


def note_it(app: RunbenchApp) -> Step:
    return app.workspace.runbooks["ask_chatgpt"].steps["note_it"]


async def start_run(pilot: Pilot[Any], note: str = NOTE) -> None:
    """f5, then type the action note in the trigger dialog and run."""
    await pilot.press("f5")
    await until(pilot, lambda: pilot.app.screen.id == "trigger-dialog", "trigger dialog")
    pilot.app.screen.query_one("#action-note", Input).value = note
    await pilot.click("#trigger-run")
    await until(pilot, lambda: pilot.app.screen.id != "trigger-dialog", "dialog closed")


async def test_flowchart_keys_step_editor_halo_step_rules_rename_and_a_deleted_steps_problems(
    make_app: MakeApp, workspace_file: Path
) -> None:
    """One app on ask_chatgpt's pane for four stories that share it: what the workbench does
    with the chart's ``StepSelected`` (the selection and the tree follow, enter opens the step
    editor on that step; the chart's own keys, clicks and ASCII drawing are in
    test_flowchart_view.py); a Halo step added with its body template, an edge and a rule
    added through the rules table; a step edited and renamed, the edges that named it
    following, saved with the file's comments; then the renamed step deleted, its problems
    shown on the boxes and in the editor."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_runbook(pilot)
        view = chart(app)
        await pilot.press("down")  # nothing selected yet: the start step
        await pilot.pause()
        assert app.selection == Selection("step", runbook="ask_chatgpt", step="ask")
        await pilot.press("down")
        await pilot.pause()
        assert view.selected == "check"
        assert app.selection == Selection("step", runbook="ask_chatgpt", step="check")
        assert app.query_one(WorkspaceTree).selection == app.selection
        await pilot.press("enter")
        await pilot.pause()
        pane = app.query_one(RunbookPane)
        assert pane.tabs.active == "tab-step"
        editor = app.query_one(StepEditor)
        assert editor.step is not None
        assert editor.step.id == "check"
        assert app.query_one("#s-match", Select).value == "all"
        assert app.query_one("#row-s-edge-on_true").display
        assert not app.query_one("#row-s-edge-on_success").display
        assert app.query_one("#s-edge-on_true", Select).value == "post_back"
        assert isinstance(app.focused, Input)
        assert app.focused.id == "s-title"

        # a Halo step: its body template, an edge; a condition's rule through its table
        await open_runbook(pilot, step="check")
        await pilot.press("a")
        await until(pilot, lambda: app.screen.id == "add-step", "add dialog")
        app.screen.query_one("#field-name", Input).value = "note_it"
        app.screen.query_one("#field-kind", Select).value = "halo"
        await pilot.click("#form-ok")
        await pilot.pause()
        assert app.selection == Selection("step", runbook="ask_chatgpt", step="note_it")
        app.query_one("#s-action", Select).value = "create_action"
        await until(pilot, lambda: note_it(app).action == "create_action", "the action saved")
        step = note_it(app)
        assert step.kind == "halo"
        assert step.body is not None
        assert '"note_html": "<<note!>>"' in step.body
        assert '"note_html"' in app.query_one("#s-body", TextArea).text
        app.query_one("#s-edge-on_success", Select).value = "done"
        await until(pilot, lambda: note_it(app).edge("on_success") == "done", "the edge saved")
        # rules of a condition: add a row through the table's dialog
        await open_runbook(pilot, step="check")
        app.query_one(RunbookPane).open_tab("tab-step")
        await pilot.pause()
        app.query_one("#s-rules DataTable").focus()
        await pilot.press("a")
        await until(pilot, lambda: app.screen.id == "rule-dialog", "rule dialog")
        app.screen.query_one("#field-left", Input).value = "<<ticket^id>>"
        app.screen.query_one("#field-op", Select).value = "greater_than"
        app.screen.query_one("#field-right", Input).value = "0"
        await pilot.click("#form-ok")
        await pilot.pause()
        rules = app.workspace.runbooks["ask_chatgpt"].steps["check"].rules
        assert [(r.left, r.op, r.right) for r in rules] == [
            ("<<ResponseText>>", "has_value", None),
            ("<<ticket^id>>", "greater_than", 0),
        ]

        # a step edited and renamed: the edges that named it follow; saved with comments
        await open_runbook(pilot, step="check")
        app.query_one(RunbookPane).open_tab("tab-step")
        await pilot.pause()
        app.query_one("#s-match", Select).value = "any"
        await until(pilot, lambda: 'match = "any"' in app.document.text(), "match in the text")
        chart(app).focus()
        await pilot.press("down")  # post_back: the flow from check when it is met
        await pilot.pause()
        assert app.selection == Selection("step", runbook="ask_chatgpt", step="post_back")
        await pilot.press("r")
        await until(pilot, lambda: app.screen.id == "rename", "rename dialog")
        app.screen.query_one(Input).value = "reply"
        await pilot.press("enter")
        await until(pilot, lambda: "reply" in steps_of(app), "post_back renamed reply")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not app.document.dirty, "saved")
        text = workspace_file.read_text(encoding="utf-8")
        assert "[runbooks.ask_chatgpt.steps.reply]" in text
        assert "[runbooks.ask_chatgpt.steps.post_back]" not in text
        assert 'on_true = "reply"' in text
        data = tomllib.loads(text)["runbooks"]["ask_chatgpt"]
        assert data["steps"]["check"]["match"] == "any"
        assert "# the note of the action that queued the runbook" in text  # comments kept
        assert data["steps"]["reply"]["on_success"] == "done"

        # a deleted step (reply, renamed above): the problems it leaves on the boxes and in
        # the editor
        await open_runbook(pilot, step="reply")
        await pilot.press("x")
        await until(pilot, lambda: app.screen.id == "confirm", "confirm")
        assert "check met" in str(app.screen.query_one(".dialog-message").render())
        await pilot.click("#choice-yes")
        await until(pilot, lambda: "reply" not in steps_of(app), "reply deleted")
        view = chart(app)
        assert view.box_text("check").splitlines()[1].startswith("│ ! check")
        assert view.chart is not None
        notes = " ".join(strip.text.strip() for strip in view._strips[len(view.chart.lines) :])
        assert "check.on_true: no step 'reply'" in notes  # notes wrap: all of them
        await open_runbook(pilot, step="check")
        editor = app.query_one(StepEditor)
        problems = str(editor.query_one("#s-problems").render())
        assert "no step 'reply'" in problems
        assert app.query_one("#s-edge-on_true", Select).value == "reply"  # shown missing


async def test_run_from_a_step_then_a_breakpoint_edit_and_continue_then_stop(
    sandbox_app: MakeApp, sandbox: RunningSandbox
) -> None:
    """Three runs of ask_chatgpt in one app (they share the workbench, the sandbox and the
    runbook pane): a run from a step reusing the last run's variables; a run paused at a
    breakpoint, a variable edited, a step and a continue; a paused run stopped."""
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        # run from a step: ctrl+f5 reruns from the selected step with the last run's variables
        await open_runbook(pilot, step="post_back")
        await start_run(pilot, note="first question")
        await until(pilot, lambda: not view_of(app).active, "first run")
        first = view_of(app)
        assert first.status == "success"
        before = len(sandbox.app.state.halo.records("Actions"))
        await pilot.press("ctrl+f5")
        await until(
            pilot, lambda: view_of(app).run_id != first.run_id and not view_of(app).active, "rerun"
        )
        second = view_of(app)
        assert second.status == "success", second.log
        assert list(second.steps) == ["post_back", "done"]
        assert second.log[0].text == "run of ask_chatgpt started from step post_back"
        actions = sandbox.app.state.halo.records("Actions")
        assert len(actions) == before + 1
        assert actions[-1]["note_html"] == "Sandbox answer to: first question"

        # a breakpoint on post_back (still selected), a variable edited while paused
        await pilot.press("f9")
        await pilot.pause()
        assert app.runs.breakpoints_of("ask_chatgpt") == {"post_back"}
        assert "●" in chart(app).box_text("post_back")
        await start_run(pilot)
        await until(
            pilot,
            lambda: view_of(app).run_id != second.run_id and view_of(app).status == "paused",
            "paused at post_back",
        )
        view = view_of(app)
        assert view.paused_at == "post_back"
        await pilot.pause()
        assert "▶●post_back" in chart(app).box_text("post_back")
        assert view.steps["ask"].status == view.steps["check"].status == "done"
        assert "✔" in chart(app).box_text("ask")
        assert "✔" in chart(app).box_text("check")
        assert "paused before post_back" in str(app.query_one("#run-status").render())
        # edit ResponseText while paused: Variables tab, enter on its row, ctrl+s
        app.query_one(RunbookPane).open_tab("tab-vars")
        await pilot.pause()
        table = app.query_one("#vars-table", DataTable)
        table.focus()
        table.move_cursor(row=app.query_one("#run-vars", VariablesPane).names.index("ResponseText"))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.id == "value-dialog", "value dialog")
        assert "Sandbox answer to" in app.screen.query_one(TextArea).text
        app.screen.query_one(TextArea).load_text("Edited while paused")
        await pilot.press("ctrl+s")
        await until(
            pilot,
            lambda: view_of(app).variables["ResponseText"].source == "you",
            "variable changed",
        )
        # keys reach the workbench only once the dialog is gone (the edit lands first)
        await until(pilot, lambda: app.screen.id != "value-dialog", "value dialog closed")
        await pilot.press("f10")  # post_back runs, then it pauses before done
        # two waits, so that a failure under load says which part did not come: the key
        # taken (the run leaves post_back at once), or the step's HTTP call and the pause
        await until(pilot, lambda: view_of(app).paused_at != "post_back", "f10 taken")
        await until(pilot, lambda: view_of(app).paused_at == "done", "stepped to done")
        assert view_of(app).steps["post_back"].status == "done"
        await pilot.press("f5")
        await until(pilot, lambda: not view_of(app).active, "run finished")
        view = view_of(app)
        assert view.status == "success", view.log
        posted = sandbox.app.state.halo.records("Actions")[-1]
        assert posted["note_html"] == "Edited while paused"
        assert view.message == f"Answered ticket 1 (action {posted['id']})"
        texts = [line.text for line in view.log]
        assert "paused before post_back (breakpoint)" in texts
        assert "ResponseText changed by you" in texts
        assert any(t.startswith("post_back: success → done") for t in texts)

        # a paused run stopped: shift+f5 ends it as failed
        await open_runbook(pilot, step="check")
        await pilot.press("f9")
        await start_run(pilot)
        await until(
            pilot,
            lambda: view_of(app).run_id != view.run_id and view_of(app).status == "paused",
            "paused at check",
        )
        assert view_of(app).paused_at == "check"
        await pilot.press("shift+f5")
        await until(pilot, lambda: not view_of(app).active, "stopped")
        stopped = view_of(app)
        assert stopped.status == "failure"
        assert "stopped by user" in (stopped.error or "")
        await pilot.pause()
        assert "✘" in chart(app).box_text("check")


async def test_a_hangup_mid_run_under_a_dialog_leaves_cleanly_and_keeps_the_edits(
    make_app: MakeApp, workspace_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hangup while a run is paused and a dialog is open: the workbench leaves as ctrl+q
    would (the run ends as stopped, the journal closed) with exit status 129, and keeps the
    unsaved edits in ``.runbench/STEM.hungup.toml`` (0600), the workspace file untouched,
    and names that file at the next start. The terminal side (a real pty, SIGHUP) is tested in tests/test_hangup.py."""
    before = workspace_file.read_bytes()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_runbook(pilot, step="check")
        await pilot.press("f9")  # a breakpoint: the run stays paused there
        await start_run(pilot)
        await until(pilot, lambda: view_of(app).paused_at == "check", "paused at check")
        app.document.set(["name"], "Edited before the hangup")
        await pilot.press("ctrl+q")
        await until(pilot, lambda: app.screen.id == "quit-run-dialog", "the quit dialog")
        app.post_message(TerminalHungUp())
        app.post_message(TerminalHungUp())  # SIGHUP and POLLHUP both came: one leaving
        await pilot.pause()
    assert app.return_value == HUNG_UP_STATUS
    run_id = view_of(app).run_id
    assert main(["runs", str(workspace_file), run_id, "--json"]) == 0
    stopped = json.loads(capsys.readouterr().out)
    assert stopped["run"]["status"] == "failure", stopped
    assert stopped["run"]["error"] == f"{HUNG_UP_REASON} at step 'check'"  # not "by user"
    assert app._runs is not None
    assert app._runs._journal is None  # closed
    assert workspace_file.read_bytes() == before
    folder = workspace_file.parent / ".runbench"
    kept = folder / "demo.hungup.toml"
    assert 'name = "Edited before the hangup"' in kept.read_text(encoding="utf-8")
    assert kept.stat().st_mode & 0o777 == 0o600
    assert not (folder / "demo.hungup-2.toml").exists()
    again = make_app()  # the next start names the kept edits
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert any(str(kept) in str(n.message) for n in again._notifications)


async def test_history_lists_cli_runs_and_shows_the_path(
    sandbox_app: MakeApp,
    sandbox: RunningSandbox,
    workspace_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = await asyncio.to_thread(
        main,
        [  # `runbench run` has its own event loop
            "run",
            str(workspace_file),
            "create_customer",
            "--var",
            f"sandbox={sandbox.url}",
            "--var",
            "customer_name=From CLI",
        ],
    )
    capsys.readouterr()
    assert code == 0
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_runbook(pilot, "create_customer")
        pane = app.query_one(RunbookPane)
        pane.open_tab("tab-history")
        history = app.query_one(HistoryView)
        await until(pilot, lambda: len(history.runs) == 1, "history read")
        assert history.runs[0].trigger == "cli"
        assert history.runs[0].status == "success"
        table = app.query_one("#history-runs", DataTable)
        table.focus()
        await pilot.press("enter")
        await until(pilot, lambda: history.is_open and history.view is not None, "run open")
        await pilot.pause()
        assert "✔" in chart(app).box_text("create")
        assert "✔" in chart(app).box_text("done")
        assert "✔" not in chart(app).box_text("failed")
        assert "history" in str(app.query_one("#run-status").render())
        detail = str(app.query_one("#history-detail").render())
        assert "CustomerId" in detail
        assert "POST" in detail
        assert "/api/Client" in detail
        await pilot.press("escape")
        await pilot.pause()
        assert not history.is_open
        assert "✔" not in chart(app).box_text("create")  # back to the live view: no run


def steps_of(app: RunbenchApp) -> dict[str, Step]:
    """The steps of ask_chatgpt as the workbench has them now."""
    return dict(app.workspace.runbooks["ask_chatgpt"].steps)
