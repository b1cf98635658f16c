"""History with a run whose journal row was changed outside runbench (or by a damaged
disk): the workbench lists it, and opening it says what is damaged in a notice (the
rest of the run is still shown), never a traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from textual.widgets import DataTable

from runbench.core.journal import Journal
from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.flowchart import FlowchartView
from runbench.tui.widgets.history import HistoryView
from runbench.tui.widgets.runbook_pane import RunbookPane
from runbench.tui.widgets.tree import Selection
from waits import until


def damaged_run(workspace_file: Path) -> str:
    """A queued run of create_customer whose stored inputs no longer decode."""
    journal = Journal.for_workspace(workspace_file)
    try:
        run_id, _ = journal.enqueue("create_customer", {"customer_name": "x"})
        assert run_id is not None
        journal.sync()
        location = journal.where
    finally:
        journal.close()
    with sqlite3.connect(location) as db:
        db.execute("UPDATE runs SET inputs = '{' WHERE id = ?", (run_id,))
    return run_id


async def test_a_damaged_run_opens_in_history_with_a_notice(
    make_app: Callable[..., RunbenchApp], workspace_file: Path
) -> None:
    run_id = damaged_run(workspace_file)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to(Selection("runbook", runbook="create_customer"))
        await until(pilot, lambda: bool(app.query(FlowchartView)), "the runbook pane drawn")
        app.query_one(RunbookPane).open_tab("tab-history")
        history = app.query_one(HistoryView)
        await until(pilot, lambda: len(history.runs) == 1, "history read")
        assert history.runs[0].id == run_id
        assert history.runs[0].damaged is not None
        app.query_one("#history-runs", DataTable).focus()
        await pilot.press("enter")
        notices = lambda: [str(n.message) for n in app._notifications]  # noqa: E731
        await until(pilot, lambda: any("damaged" in n for n in notices()), "a notice")
        [notice] = [n for n in notices() if "damaged" in n]
        assert run_id in notice
        assert "inputs do not decode as JSON" in notice
        assert "Traceback" not in notice
        await until(pilot, lambda: history.view is not None, "the run shown all the same")
