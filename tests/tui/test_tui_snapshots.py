"""Snapshot tests of the main screen and the method editor at 80x24 and 120x40.

Regenerate with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the
SVGs under ``tests/tui/__snapshots__`` before committing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.response_viewer import ResponseViewer

SIZES = [(80, 24), (120, 40)]


class SnapshotApp(RunbenchApp):
    """The workbench with nothing that changes between runs: no cursor blink, also in
    the panes mounted on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, cursor_blink=False, **kwargs)
        self.animation_level = "none"  # a tab's underline is drawn where it ends, not mid-slide


async def _settle(pilot: Pilot[Any]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()  # e.g. a tab's underline sliding over
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_main_screen(
    snap_compare: Callable[..., bool], make_app: Callable[..., RunbenchApp], size: tuple[int, int]
) -> None:
    assert snap_compare(make_app(cls=SnapshotApp), terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_method_editor_after_test(
    snap_compare: Callable[..., bool], make_app: Callable[..., RunbenchApp], size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, RunbenchApp)
        await pilot.pause()
        await pilot.press("down", "down")  # halo.post_action
        await pilot.press("ctrl+t")
        await _settle(pilot)
        exchange = app.exchanges["halo.post_action"]
        fixed = replace(exchange, elapsed_ms=12.0)  # the measured time varies per run
        app.exchanges["halo.post_action"] = fixed
        app.query_one(ResponseViewer).show(fixed)
        app.query_one("#method-tabs", TabbedContent).active = "tab-body"
        await _settle(pilot)

    assert snap_compare(make_app(cls=SnapshotApp), terminal_size=size, run_before=run_before)
