"""serve's dispatcher: a run queued while a claim is out is claimed when that claim
returns, not at the next poll. The wake that says so used to be cleared after the claim,
so a delivery committed just after the claim's take waited for a run to end or for the
poll (5 s): on a quiet machine, where the worker keeps up, the last runs of a flood."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from runbench.core.journal import Claim, Journal
from runbench.serve.workers import WorkerPool


class Recorder:
    """Executes nothing: notes which runs it was given."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.ran = asyncio.Event()

    async def execute(self, claim: Claim) -> Any:
        self.seen.append(claim.row.id)
        self.ran.set()
        return None


class RacingPool(WorkerPool):
    """Queues a run (and wakes the pool, as a delivery does) right after its first claim
    took its rows: the claim did not see the run, the wake came while it was out."""

    queued: str | None = None

    async def _claim(self, free: int) -> list[Claim]:
        claims = await super()._claim(free)
        if self.queued is None:
            self.queued, _ = self.journal.enqueue("hit", {})
            self.notify()
        return claims


async def test_a_run_queued_while_a_claim_is_out_is_claimed_without_a_poll(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "runs.db")
    recorder = Recorder()
    pool = RacingPool(journal, recorder, workers=2, log=lambda _line: None, poll=3600.0)
    await pool.start()
    try:
        await asyncio.wait_for(recorder.ran.wait(), 60)  # the poll is an hour away
    finally:
        await pool.stop()
        journal.close()
    assert pool.queued is not None
    assert recorder.seen == [pool.queued]
