"""The runbook pane and the integration editor are mounted on first use (start-up speed):
nothing of them exists at start, selecting one right away (before the mount lands) shows
the same as before, stale selections never win, and run state reaches a pane mounted
after the run started."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.widgets import ContentSwitcher, Input, Select

from runbench.tui.app import RunbenchApp
from runbench.tui.screens.trigger import Trigger
from runbench.tui.screens.workbench import WorkbenchScreen
from runbench.tui.widgets.field_input import FieldInput
from runbench.tui.widgets.flowchart import FlowchartView
from runbench.tui.widgets.integration_editor import IntegrationEditor
from runbench.tui.widgets.runbook_pane import RunbookPane
from runbench.tui.widgets.tree import Selection
from waits import settle, until

SIZE = (80, 24)
MakeApp = Callable[..., RunbenchApp]


def status(app: RunbenchApp) -> str:
    return str(app.query_one("#run-status").render())


async def test_hidden_panes_not_mounted_then_each_selected_before_it_mounts(
    make_app: MakeApp,
) -> None:
    """One app, each pane met for the first time in turn: nothing of them at start; the
    integration editor mounted hidden when another editor was selected before it landed;
    then the runbook pane (still not there), the later of two selections shown."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.query(RunbookPane)
        assert not app.query(IntegrationEditor)
        assert app.runbook_pane() is None
        assert app.integration_editor() is None
        app.refresh_run_panes()  # tolerated: nothing to draw into yet
        await pilot.press("ctrl+f5")  # a run key with no runbook: warns, no crash

        # the integration editor mounts hidden unless it is current when it lands
        app.show_selection(Selection("integration", "openai"))
        app.show_selection(Selection("method", "halo", "get_ticket"))  # before it mounted
        await until(pilot, lambda: app.integration_editor() is not None, "editor mounted")
        await pilot.pause()
        editor = app.query_one(IntegrationEditor)
        assert app.integration_editor() is editor
        assert not editor.display
        assert editor.integration is None
        assert app.query_one("#method-editor").display
        app.go_to(Selection("integration", "openai"))
        await pilot.pause()
        assert editor.display
        assert editor.integration is not None
        assert app.query_one("#int-title", Input).value == "OpenAI"
        assert [w.id for w in app.query_one("#editor").children].index("integration-editor") == 1

        # a runbook selected before its pane mounts: the later selection wins
        assert not app.query(RunbookPane)
        # show_selection, not go_to: two go_to in one tick would also move the tree twice
        app.show_selection(Selection("step", runbook="ask_chatgpt", step="check"))  # no pause
        app.show_selection(Selection("runbook", runbook="create_customer"))  # this one counts
        await until(  # the pane mounts, then shows the runbook (a few turns under load)
            pilot,
            lambda: bool(app.query("#run-status")) and "no run yet" in status(app),
            "the runbook pane mounted and showing a runbook",
        )
        pane = app.query_one(RunbookPane)
        assert app.runbook_pane() is pane
        assert len(app.query(RunbookPane)) == 1
        assert pane.runbook is not None
        assert pane.runbook.id == "create_customer"
        assert app.query_one(FlowchartView).order[0] == "create"
        assert status(app).startswith("create_customer · no run yet")
        assert app.query_one("#editor", ContentSwitcher).current == "runbook-pane"


async def test_run_started_before_the_pane_mounts_shows_when_it_does(
    sandbox_app: Callable[..., RunbenchApp],
) -> None:
    app = sandbox_app()
    async with app.run_test(size=SIZE) as pilot:
        app.go_to(Selection("runbook", runbook="onboard_users"))
        app.start_run("onboard_users", Trigger())  # the pane is not there yet
        await until(pilot, lambda: app.runbook_pane() is not None, "pane mounted")
        await until(pilot, lambda: "success" in status(app), "run shown as finished")
        assert "Onboarding finished" in status(app)


async def test_a_pane_mounts_in_one_layout_styled_once_and_cursor_blink_off_reaches_it(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The integration editor's first opening: the screen is not laid out per stage of
    its mount (4-5 layouts of the whole screen before), and a widget given a class
    before it mounts (its compact Inputs and Selects) is styled once, as it mounts. Then
    the runbook pane: the app's cursor_blink=False reaches the inputs of both panes,
    mounted after start-up."""
    layouts: list[bool] = []
    styled: Counter[int] = Counter()
    refresh_layout, apply = WorkbenchScreen._refresh_layout, Stylesheet.apply

    def count_layout(self: WorkbenchScreen, size: Any = None, scroll: bool = False) -> None:
        layouts.extend([True] if not scroll else [])
        refresh_layout(self, size, scroll)

    def count_apply(self: Stylesheet, node: DOMNode, **kwargs: Any) -> None:
        styled[id(node)] += 1
        apply(self, node, **kwargs)

    app = make_app(cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(WorkbenchScreen, "_refresh_layout", count_layout)
        monkeypatch.setattr(Stylesheet, "apply", count_apply)
        app.go_to(Selection("integration", "openai"))
        await until(pilot, lambda: app.integration_editor() is not None, "the editor mounted")
        await settle(pilot)
        editor = app.integration_editor()
        assert editor is not None
        assert editor.display
        fields = list(editor.query(Select)) + list(editor.query(FieldInput))
        assert fields
        assert all(field.has_class("-textual-compact") for field in fields)
        assert [styled[id(field)] for field in fields] == [1] * len(fields)
        assert 1 <= len(layouts) <= 2
        fields[0].add_class("-probe")  # a class changed once mounted still restyles
        assert styled[id(fields[0])] == 2

        app.go_to(Selection("step", runbook="ask_chatgpt", step="ask"))
        await until(
            pilot,
            lambda: bool(app.query(RunbookPane)) and bool(app.query_one(RunbookPane).query(Input)),
            "the runbook pane mounted with its inputs",
        )
        inputs = list(app.query(Input))
        assert app.query_one(IntegrationEditor).query(Input)
        assert inputs
        assert not any(i.cursor_blink for i in inputs)


async def test_quitting_while_the_runbook_pane_mounts_raises_nothing(make_app: MakeApp) -> None:
    """ctrl+q right after a runbook is selected: the pane's forms mount while the app tears
    down, with their children already gone (OverviewForm.on_mount raised NoMatches, shown
    as a traceback on the way out), and the settle worker may never start."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.show_selection(Selection("runbook", "onboard_users"))
        app.exit()
    assert app.return_code in (0, None)
