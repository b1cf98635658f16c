"""Snapshots of the runbook pane at 80x24: each demo runbook's flowchart, and a run paused
at a breakpoint on its first step (before any HTTP, so no timing shows).

Regenerate with ``pytest tests/tui/test_tui_runbook_snapshots.py --snapshot-update`` and
look at the SVGs under ``tests/tui/__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Tabs

from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.flowchart import FlowchartView
from runbench.tui.widgets.tree import Selection
from waits import until

SIZE = (80, 24)


class SnapshotApp(RunbenchApp):
    """The workbench with nothing that changes between runs: no cursor blink, also in
    the panes mounted on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, cursor_blink=False, **kwargs)
        self.animation_level = "none"  # a tab's underline is drawn where it ends, not mid-slide


def _underlines_under_their_tabs(app: RunbenchApp) -> bool:
    """Each shown tab strip's underline spans its active tab: Textual places it after a
    refresh, and ``place_underlines`` again once the tabs have their width; the picture
    must not be taken in between."""
    for tabs in app.screen.query(Tabs):
        active = tabs.active_tab
        if active is None or not tabs.region.area:
            continue
        span = active.virtual_region.shrink(active.styles.gutter).column_span
        underline = tabs.query_one("Underline")  # Textual's own, not exported
        if (
            getattr(underline, "highlight_start", None),
            getattr(underline, "highlight_end", None),
        ) != span:
            return False
    return True


async def _settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()  # the tabs' underline slides to the tab
    app = pilot.app
    assert isinstance(app, RunbenchApp)
    await until(pilot, lambda: _underlines_under_their_tabs(app), "tab underlines placed")
    await pilot.pause()


async def _show(pilot: Pilot[Any], runbook: str, step: str) -> None:
    app = pilot.app
    assert isinstance(app, RunbenchApp)
    app.go_to(Selection("step", runbook=runbook, step=step))
    await pilot.pause()
    app.query_one(FlowchartView).focus()
    await _settle(pilot)


@pytest.mark.parametrize(
    ("runbook", "step"),
    [
        ("ask_chatgpt", "check"),
        ("create_customer", "create"),
        ("onboard_users", "company_email"),
    ],
)
def test_flowchart_of_demo_runbook(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., RunbenchApp],
    runbook: str,
    step: str,
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _show(pilot, runbook, step)

    assert snap_compare(make_app(cls=SnapshotApp), terminal_size=SIZE, run_before=run_before)


def paused(app: RunbenchApp, runbook: str) -> bool:
    view = app.runs.current(runbook)
    return view is not None and view.status == "paused"


def test_run_paused_at_a_breakpoint(
    snap_compare: Callable[..., bool], make_app: Callable[..., RunbenchApp]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, RunbenchApp)
        await _show(pilot, "ask_chatgpt", "ask")
        app.runs.toggle_breakpoint("ask_chatgpt", "ask")
        await pilot.press("f5")
        await pilot.pause()
        assert app.screen.id == "trigger-dialog"
        app.screen.query_one("#action-note", Input).value = "Why is my VPN down?"
        await pilot.click("#trigger-run")
        await until(pilot, lambda: paused(app, "ask_chatgpt"), "the run paused at ask")
        app.query_one(FlowchartView).focus()
        await pilot.pause()  # not _settle: the paused run's worker never completes
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(make_app(cls=SnapshotApp), terminal_size=SIZE, run_before=run_before)
