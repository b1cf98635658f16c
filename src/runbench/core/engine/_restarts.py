"""Runs that go on from somewhere: rerun from a step, resume an interrupted run, and runs
`serve` queued and claimed.

Split from ``_engine`` (which starts runs and hosts them) because these all begin from
what the journal recorded: a run's row and the variables it had at a step (secrets,
which the journal never keeps, are reported as withheld rather than guessed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from runbench.core.engine._ended import close_ended
from runbench.core.engine._handle import RunHandle
from runbench.core.engine._shown import withheld
from runbench.core.errors import RunError
from runbench.core.journal import Claim, Journal, ResumePoint, RunRow
from runbench.core.secrets import Redactor
from runbench.core.workspace import Runbook, Workspace


class _Host(Protocol):
    """What these methods use of the engine (which is the only class that has them)."""

    workspace: Workspace

    @property
    def start(self) -> Callable[..., RunHandle]: ...

    @property
    def initial_variables(self) -> Callable[..., dict[str, Any]]: ...

    @property
    def _launch(self) -> Callable[..., RunHandle]: ...

    def start_claimed(self, claim: Claim) -> RunHandle: ...

    def runbook(self, runbook_id: str) -> Runbook: ...

    def _need_journal(self) -> Journal: ...

    def redactor(self) -> Redactor: ...

    def _journal_row(self, run_id: str) -> RunRow: ...

    def _resume(
        self,
        row: RunRow,
        point: ResumePoint,
        *,
        breakpoints: Iterable[str] = (),
        step_mode: bool = False,
    ) -> RunHandle: ...


class RestartsMixin:
    """Rerun, resume and queued runs of :class:`runbench.core.engine.Engine`."""

    def rerun_from(self: _Host, run_id: str, step: str, **kwargs: Any) -> RunHandle:
        """A new run of the same runbook from ``step``, with the variables it had there."""
        row = self._journal_row(run_id)
        point = self._need_journal().before_step(row.id, step)
        lost = withheld(point.variables)
        base = {k: v for k, v in point.variables.items() if k not in lost}
        handle = self.start(
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
        self: _Host, run_id: str, *, breakpoints: Iterable[str] = (), step_mode: bool = False
    ) -> RunHandle:
        """Go on with an interrupted run from the step it died in (same run id)."""
        journal = self._need_journal()
        journal.mark_interrupted()
        row = journal.find_run(run_id)  # a damaged one too: begin_resume ends it as failed
        self.runbook(row.runbook)  # a runbook removed since cannot resume: say so first
        row, point = journal.begin_resume(row.id)
        return self._resume(row, point, breakpoints=breakpoints, step_mode=step_mode)

    def _resume(
        self: _Host,
        row: RunRow,
        point: ResumePoint,
        *,
        breakpoints: Iterable[str] = (),
        step_mode: bool = False,
    ) -> RunHandle:
        if point.ended is not None:  # its last step ended it: closed, nothing runs again
            runbook = self.workspace.runbooks.get(row.runbook)
            return close_ended(row, point, runbook, self._need_journal(), self.redactor())
        runbook = self.runbook(row.runbook)
        lost = withheld(point.variables)
        if point.step is None:
            initial = self.initial_variables(runbook, row.inputs, row.context, row.overrides)
        else:
            kept = {k: v for k, v in point.variables.items() if k not in lost}
            initial = {**self.workspace.variables, **kept}
        handle = self._launch(
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

    def run_queued(self: _Host, run_id: str) -> RunHandle:
        """Execute a run that :meth:`Journal.enqueue` queued (claimed or not)."""
        journal = self._need_journal()
        row = self._journal_row(run_id)
        if row.status not in ("queued", "running"):
            raise RunError(f"run {row.id} is {row.status}; only queued runs can be started")
        journal.set_status(row.id, "running")
        return self.start_claimed(Claim(row))

    def start_claimed(self: _Host, claim: Claim) -> RunHandle:
        """Execute a run this engine's journal holds (``Journal.claim``): a queued one
        from its start, an interrupted one from where it stopped. The claim already
        respected ``max_concurrent``, so the run does not wait for a slot here."""
        row = claim.row
        if row.damaged is not None:  # claims end such runs: not one a claim handed out
            raise RunError(row.damaged)
        if claim.resume is not None:
            return self._resume(row, claim.resume)
        runbook = self.runbook(row.runbook)
        initial = self.initial_variables(runbook, row.inputs, row.context, row.overrides)
        return self._launch(
            row.runbook, row.id, initial, overrides=row.overrides, gated=False, recorded=True
        )


__all__ = ["RestartsMixin"]
