"""Runs that go on from somewhere: rerun from a step, resume an interrupted run, and runs
`serve` queued and claimed.

Split from ``_engine`` (which starts runs and hosts them) because these all begin from
what the journal recorded: a run's row and the variables it had at a step (secrets,
which the journal never keeps, are reported as withheld rather than guessed). Plain
functions of the engine; ``Engine``'s methods of the same names call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from runbench.core.engine._ended import close_ended
from runbench.core.engine._handle import RunHandle
from runbench.core.engine._shown import withheld
from runbench.core.errors import RunError
from runbench.core.journal import Claim, ResumePoint, RunRow

if TYPE_CHECKING:
    from runbench.core.engine._engine import Engine


def rerun_from(engine: Engine, run_id: str, step: str, **kwargs: Any) -> RunHandle:
    """A new run of the same runbook from ``step``, with the variables it had there."""
    row = engine._journal_row(run_id)
    point = engine._need_journal().before_step(row.id, step)
    lost = withheld(point.variables)
    base = {k: v for k, v in point.variables.items() if k not in lost}
    handle = engine.start(
        row.runbook,
        from_step=step,
        base_variables=base,
        inputs=row.inputs,
        context=row.context,
        **kwargs,
    )
    handle.withheld = tuple(lost)
    return handle


def resume(
    engine: Engine, run_id: str, *, breakpoints: Iterable[str] = (), step_mode: bool = False
) -> RunHandle:
    """Go on with an interrupted run from the step it died in (same run id)."""
    journal = engine._need_journal()
    journal.mark_interrupted()
    row = journal.find_run(run_id)  # a damaged one too: begin_resume ends it as failed
    engine.runbook(row.runbook)  # a runbook removed since cannot resume: say so first
    row, point = journal.begin_resume(row.id)
    return resume_at(engine, row, point, breakpoints=breakpoints, step_mode=step_mode)


def resume_at(
    engine: Engine,
    row: RunRow,
    point: ResumePoint,
    *,
    breakpoints: Iterable[str] = (),
    step_mode: bool = False,
) -> RunHandle:
    """Go on with ``row`` from ``point`` (or close it, when its last step ended it)."""
    if point.ended is not None:  # its last step ended it: closed, nothing runs again
        runbook = engine.workspace.runbooks.get(row.runbook)
        return close_ended(row, point, runbook, engine._need_journal(), engine.redactor())
    runbook = engine.runbook(row.runbook)
    lost = withheld(point.variables)
    if point.step is None:
        initial = engine.initial_variables(runbook, row.inputs, row.context, row.overrides)
    else:
        kept = {k: v for k, v in point.variables.items() if k not in lost}
        initial = {**engine.workspace.variables, **kept}
    handle = engine._launch(
        row.runbook,
        row.id,
        initial,
        from_step=point.step,
        loops=point.loops,
        seq=point.next_seq - 1,
        breakpoints=breakpoints,
        step_mode=step_mode,
        overrides=row.overrides,
        recorded=True,
    )
    handle.withheld = tuple(lost)
    return handle


def run_queued(engine: Engine, run_id: str) -> RunHandle:
    """Execute a run that :meth:`Journal.enqueue` queued (claimed or not)."""
    journal = engine._need_journal()
    row = engine._journal_row(run_id)
    if row.status not in ("queued", "running"):
        raise RunError(f"run {row.id} is {row.status}; only queued runs can be started")
    journal.set_status(row.id, "running")
    return start_claimed(engine, Claim(row))


def start_claimed(engine: Engine, claim: Claim) -> RunHandle:
    """Execute a run this engine's journal holds (``Journal.claim``): a queued one from its
    start, an interrupted one from where it stopped. The claim already respected
    ``max_concurrent``, so the run does not wait for a slot here."""
    row = claim.row
    if row.damaged is not None:  # claims end such runs: not one a claim handed out
        raise RunError(row.damaged)
    if claim.resume is not None:
        return resume_at(engine, row, claim.resume)
    runbook = engine.runbook(row.runbook)
    initial = engine.initial_variables(runbook, row.inputs, row.context, row.overrides)
    return engine._launch(
        row.runbook, row.id, initial, overrides=row.overrides, gated=False, recorded=True
    )


__all__ = ["rerun_from", "resume", "resume_at", "run_queued", "start_claimed"]
