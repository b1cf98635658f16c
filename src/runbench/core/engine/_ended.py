"""Closing a run whose last step ended it but whose end was never recorded.

Older runbench wrote the step that ends a run and the run's end in two commits; a kill
between them left a running run whose last step finished with no next step. Resuming it
from that step would run it again: an end step twice, or a failed call's side effect
twice. The journal says so (``ResumePoint.ended``); here the run is given the end that
step gave it, without running anything: the end step's result from the runbook (the
journal keeps no result per step), or a failure with the step's error.
"""

from __future__ import annotations

import asyncio
import time

from runbench.core.engine._debugger import Debugger
from runbench.core.engine._handle import RunHandle
from runbench.core.engine._results import RunResult
from runbench.core.journal import Journal, ResumePoint, RunRow, StepRow
from runbench.core.secrets import Redactor
from runbench.core.workspace import Runbook

NOT_AGAIN = (
    "its end was not recorded (the process died as it wrote it, in a journal of an older "
    "runbench); closed on resume without running the step again"
)


def close_ended(
    row: RunRow,
    point: ResumePoint,
    runbook: Runbook | None,
    journal: Journal,
    redactor: Redactor,
) -> RunHandle:
    """A handle whose result is the run closed as its last step ended it (journaled)."""
    assert point.ended is not None
    status, error, message = outcome(runbook, point.ended)
    journal.finish_run(row.id, status, error, message)

    async def closed() -> RunResult:
        await journal.committed(row.id)
        return RunResult(
            row.id, row.runbook, status, error, message, [], point.variables, redactor=redactor
        )

    debugger = Debugger(row.id, dict(point.variables), lambda _event: None, time.time)
    task = asyncio.get_running_loop().create_task(closed(), name=f"run-{row.id}")
    why = f"its last step '{point.ended.step}' ended it, but {NOT_AGAIN}"
    return RunHandle(row.id, debugger, task, closed=why)


def outcome(runbook: Runbook | None, ended: StepRow) -> tuple[str, str | None, str]:
    """(status, error, message) of a run that ``ended`` ended."""
    step = runbook.steps.get(ended.step) if runbook is not None else None
    if ended.kind == "end" and step is not None and step.kind == "end":
        error = None if step.result == "success" else f"failure end '{ended.step}' reached"
        return step.result, error, f"end step '{ended.step}' reached; {NOT_AGAIN}"
    why = ended.error or f"the run ended at step '{ended.step}'"
    return "failure", f"{why} ({NOT_AGAIN})", ""


__all__ = ["NOT_AGAIN", "close_ended", "outcome"]
