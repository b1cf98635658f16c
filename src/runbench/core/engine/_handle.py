"""A started run as its caller holds it: its id, its debugger, and its result once it ends.

Its own module so that the engine and what restarts runs (``_restarts``) share it
without importing each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from runbench.core.engine._debugger import Debugger
from runbench.core.engine._results import RunResult


@dataclass
class RunHandle:
    """A started run: its id, its debugger, and its result once it ends."""

    run_id: str
    debugger: Debugger
    task: asyncio.Task[RunResult]
    withheld: tuple[str, ...] = ()
    """Variables a resumed (or rerun) run could not get back: they held secrets, which
    the journal never keeps. A step that uses one fails naming it."""
    closed: str | None = None
    """Why a resumed run was closed instead of run on (its last step had ended it; see
    ``_ended``): nothing runs, the result is that end."""

    async def result(self) -> RunResult:
        """The result; cancelling the waiter does not cancel the run."""
        return await asyncio.shield(self.task)

    def __await__(self) -> Generator[Any, None, RunResult]:
        """``await handle``: the result; cancelling the waiter cancels the run too (the
        journal keeps it running until a later start marks it interrupted)."""
        return self.task.__await__()

    @property
    def done(self) -> bool:
        return self.task.done()


__all__ = ["RunHandle"]
