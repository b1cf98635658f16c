"""Snapshot tests of the editors issue 15 added, at 80x24: the workspace overview with its
form, a runbook's Details tab (a public endpoint with signature auth), and the dialog a
save meets when the file changed on disk.

Regenerate with ``pytest tests/tui/test_tui_editor_snapshots.py --snapshot-update`` and
look at the SVGs under ``tests/tui/__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.tree import Selection
from waits import settle

SIZE = (80, 24)


class SnapshotApp(RunbenchApp):
    """No cursor blink, also in what is mounted on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, cursor_blink=False, **kwargs)


def test_workspace_overview(
    snap_compare: Callable[..., bool], make_app: Callable[..., RunbenchApp]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, RunbenchApp)
        await settle(pilot)
        app.go_to(Selection("workspace"))
        await settle(pilot)

    assert snap_compare(make_app(cls=SnapshotApp), terminal_size=SIZE, run_before=run_before)


def test_runbook_details_of_a_signed_public_runbook(
    snap_compare: Callable[..., bool], make_app: Callable[..., RunbenchApp]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, RunbenchApp)
        await settle(pilot)
        app.go_to(Selection("runbook", runbook="create_customer"))
        await settle(pilot)
        app.with_runbook_pane(lambda pane: pane.open_tab("tab-details"))
        await settle(pilot)
        app.query_one("#d-warning").scroll_visible(animate=False)  # the endpoint fields
        await settle(pilot)

    assert snap_compare(make_app(cls=SnapshotApp), terminal_size=SIZE, run_before=run_before)


def test_conflict_dialog(
    snap_compare: Callable[..., bool],
    make_app: Callable[..., RunbenchApp],
    workspace_file: Path,
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, RunbenchApp)
        await settle(pilot)
        app.query_one("#m-path", Input).value = "/v2"
        await settle(pilot)
        workspace_file.write_text(workspace_file.read_text() + "\n# elsewhere\n", "utf-8")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.id == "conflict-dialog"

    assert snap_compare(make_app(cls=SnapshotApp), terminal_size=SIZE, run_before=run_before)
