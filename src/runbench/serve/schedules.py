"""Runbooks with ``schedule = "CRON"``: `serve` queues a run of each at every tick.

Each instance keeps the next tick of every scheduled runbook and, once it has passed,
queues a run with the tick's id as its delivery id (``schedule:tidy:2026-12-01T12:45:00+00:00``).
The journal keeps one run per (runbook, delivery id), so when several instances share
a journal exactly one of them creates the run and the others get its id back: no
leader, no lock. Workers then claim it like any other run. A tick missed while no
instance was up is skipped, as cron does; an instance that falls behind (a suspended
VM) fires the latest tick only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from runbench.core.journal import Journal
from runbench.core.schedule import next_tick, tick_id
from runbench.core.workspace import Workspace

MAX_NAP = 30.0
"""Seconds between looks at the clock at most (a clock that jumps is noticed)."""


class Scheduler:
    """The ticks of one workspace's scheduled runbooks, queued into a journal."""

    def __init__(
        self,
        workspace: Workspace,
        journal: Journal,
        notify: Callable[[], None],
        *,
        clock: Callable[[], float],
        log: Callable[[str], None],
    ) -> None:
        self.schedules = {rb.id: rb.schedule for rb in workspace.runbooks.values() if rb.schedule}
        self.journal = journal
        self.notify = notify
        self.clock = clock
        self.log = log
        now = clock()
        self.next_at = {rb: next_tick(expr, now) for rb, expr in self.schedules.items()}

    def due(self, now: float) -> list[tuple[str, float]]:
        """(runbook, tick) of every tick passed by ``now``; each runbook's next tick moves
        past ``now`` (ticks before the latest passed one are skipped)."""
        fired = []
        for runbook, at in self.next_at.items():
            if at > now:
                continue
            latest = at
            while (following := next_tick(self.schedules[runbook], latest)) <= now:
                latest = following
            fired.append((runbook, latest))
            self.next_at[runbook] = next_tick(self.schedules[runbook], now)
        return fired

    def fire(self, runbook: str, tick: float) -> str | None:
        """Queue the run of ``tick`` unless another instance did; the run id if this one."""
        run_id, created = self.journal.enqueue(
            runbook, {}, None, "schedule", tick_id(runbook, tick)
        )
        if not created:
            return None
        self.notify()
        self.log(f"schedule: queued run {run_id} of {runbook} at {tick_id(runbook, tick)}")
        return str(run_id)

    async def run(self) -> None:
        """Fire ticks until cancelled (a task of the app's lifespan)."""
        while self.next_at:
            for runbook, tick in self.due(self.clock()):
                await asyncio.to_thread(self.fire, runbook, tick)
            wait = min(self.next_at.values()) - self.clock()
            await asyncio.sleep(min(max(wait, 0.0), MAX_NAP))


__all__ = ["Scheduler"]
