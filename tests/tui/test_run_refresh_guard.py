"""A run refresh (an engine event's, queued with call_after_refresh) that comes while the
runbook pane is being removed, as when the app closes, draws nothing: its children go one
by one, and show_run would look them up half gone (NoMatches '#run-status' at the end of
a test under load). The guard asks whether the pane is going, not whether one child at
some depth is still there: that child was there while the removal had begun."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from runbench.tui.app import RunbenchApp
from runbench.tui.widgets.runbook_pane import RunbookPane
from runbench.tui.widgets.tree import Selection
from waits import until


async def test_a_run_refresh_while_the_runbook_pane_goes_draws_nothing(
    make_app: Callable[..., RunbenchApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[RunbookPane] = []
    show_run = RunbookPane.show_run

    def spy(self: RunbookPane, *args: Any, **kwargs: Any) -> None:
        drawn.append(self)
        show_run(self, *args, **kwargs)

    monkeypatch.setattr(RunbookPane, "show_run", spy)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.go_to(Selection("runbook", runbook="ask_chatgpt"))
        await until(pilot, lambda: app.runbook_pane() is not None, "the runbook pane")
        pane = app.runbook_pane()
        assert pane is not None
        drawn.clear()
        app.refresh_run_panes()
        assert drawn == [pane]  # drawn while it stands
        removal = pane.remove()
        steps = 0
        while pane.is_attached:  # every moment of the removal, the first one included
            app.refresh_run_panes()
            steps += 1
            await asyncio.sleep(0)
        await removal
        assert steps > 1
        assert drawn == [pane]
