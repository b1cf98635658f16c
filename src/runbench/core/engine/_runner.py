"""One run of a runbook: the loop that walks the flowchart, with guards and the journal.

Per step: check the guards (max steps, max duration), let the debugger pause, write the
step's start (with the variables it begins from) to the journal and wait until that and
the previous step's end are committed, run it under its timeout, then write its end.
That order is what makes ``resume`` exact: a killed process leaves either a finished
step with a target or an unfinished step to run again, never a half-known state. The
journal writes on its own thread, so the wait is the only time a step spends on it.
An ``end`` step does not wait: it touches nothing outside the run and the run's end is
committed (and waited for) right after it, with its start and the previous step's end,
in the same order; a crash before that commit leaves what a crash just before the
``end`` step would have left. On a database server that is one round trip less per run.
The end of the step that ends a run (an end step, a failure with no edge to follow, a
step stopped by the user) is written with the run's end, in one operation: committed
apart, a crash between the two would leave a running run whose last step is finished
with nowhere to go, and resume would run that step again.

An unexpected exception (a bug) ends the run as failed with the reason instead of
leaving it *running*; a JournalError (the journal cannot be written) goes up to the
caller, which reports it: nothing more can be recorded.

Everything written to the journal or kept in the run's records passes the run's Redactor
first (see ``_shown``): a run holds real values, its traces never do.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol

from runbench.core.engine._data_steps import DataSteps
from runbench.core.engine._debugger import Debugger
from runbench.core.engine._events import Event, RunFinished, RunStarted, StepFinished, StepStarted
from runbench.core.engine._results import RunResult, StepRecord
from runbench.core.engine._steps import End, Outcome
from runbench.core.engine._variables import Renderer
from runbench.core.errors import JournalError
from runbench.core.journal import Journal, StepEnd
from runbench.core.secrets import Secrets
from runbench.core.workspace import Step, Workspace

if TYPE_CHECKING:
    from runbench.core.http import Exchange, Executor

_AWAITS_NOTHING = frozenset({"condition", "end", "foreach", "next"})
"""Step kinds whose handler never awaits (see ``Run._ends_in_time``)."""


class RunHost(Protocol):
    """Exactly what a run needs from the engine that hosts it. The engine implements it;
    declaring it here keeps the import one-way (the engine imports the runner, never
    the other way round)."""

    workspace: Workspace
    journal: Journal | None
    secrets: Secrets
    renderer: Renderer
    clock: Callable[[], float]
    monotonic: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    random: Callable[[], float]

    def publish(self, event: Event) -> None:
        """Send ``event`` to every subscriber of the engine."""

    def has_listeners(self) -> bool:
        """Is there any subscriber (else an event need not be built)?"""

    def new_executor(self, run: Run) -> AbstractAsyncContextManager[Executor]:
        """An executor (one HTTP client) for the whole of ``run``."""

    async def run_child(self, parent: Run, runbook_id: str, inputs: Mapping[str, Any]) -> RunResult:
        """Run ``runbook_id`` inline for a runbook step of ``parent``."""


class Run(DataSteps):
    """The state of one run; :meth:`execute` drives it to a :class:`RunResult`."""

    def __init__(
        self,
        engine: RunHost,
        runbook_id: str,
        run_id: str,
        variables: dict[str, Any],
        *,
        debugger: Debugger,
        from_step: str | None = None,
        loops: Mapping[str, Any] | None = None,
        seq: int = 0,
        parent_id: str | None = None,
        depth: int = 0,
    ) -> None:
        self.engine = engine
        self.workspace = engine.workspace
        self.runbook = engine.workspace.runbooks[runbook_id]
        self.run_id = run_id
        self.variables = variables
        self.loops = {name: dict(state) for name, state in (loops or {}).items()}
        self.debugger = debugger
        self.from_step = from_step
        self.seq = seq
        self.parent_id = parent_id
        self.depth = depth
        self.renderer = engine.renderer
        self.clock = engine.clock
        self.sleep = engine.sleep
        self.random = engine.random
        self.publish = engine.publish
        self.has_listeners = engine.has_listeners
        self.secrets = engine.secrets
        self.redactor = engine.secrets.redactor
        self.records: list[StepRecord] = []
        self.paused_for = 0.0
        self._paused_since: float | None = None
        self._started = 0.0
        self._count = 0
        self.current: str | None = None
        self.overrides: dict[str, Any] = {}
        self.recorded = False  # the journal has this run committed already (claimed, resumed)
        self._open_seq: int | None = None
        self._last_step_end: StepEnd | None = None  # written with the run's end

    # -- wiring used by StepKinds ---------------------------------------------------
    def record_exchange(self, step: str, attempt: int, exchange: Exchange) -> None:
        self.publish_exchange(step, exchange)
        journal = self.engine.journal
        if journal is not None:  # deferred: made and written off the step barriers, from
            # records made here (body_bytes makes them), on the thread the redactor is used on
            journal.add_exchange(
                self.run_id,
                self.seq,
                step,
                attempt,
                exchange.stored,
                deferred=True,
                size=exchange.body_bytes,
            )

    def flush_journal(self) -> None:
        if self.engine.journal is not None:
            self.engine.journal.flush()

    def start_child(self, runbook_id: str, inputs: Mapping[str, Any]) -> Awaitable[RunResult]:
        return self.engine.run_child(self, runbook_id, inputs)

    def on_pause(self, step: str | None) -> None:
        now = self.engine.monotonic()
        journal = self.engine.journal
        if step is not None:
            self._paused_since = now
            if journal is not None:
                journal.set_status(self.run_id, "paused", current_step=step)
        else:
            if self._paused_since is not None:
                self.paused_for += now - self._paused_since
            self._paused_since = None
            if journal is not None:
                journal.set_status(self.run_id, "running")

    # -- the loop --------------------------------------------------------------------
    async def execute(self) -> RunResult:
        self._started = self.engine.monotonic()
        task = asyncio.current_task()
        if task is not None:  # stop() may now interrupt a running step
            self.debugger.bind(self.variables, task.cancel)
        self.publish(
            RunStarted(self.run_id, self.clock(), self.runbook.id, self.parent_id, self.from_step)
        )
        try:
            async with self.engine.new_executor(self) as executor:
                self.executor = executor
                end = await self._walk(self.from_step or self.runbook.start)
        except asyncio.CancelledError:
            if not self.debugger.stop_requested:
                raise
            if task is not None:
                task.uncancel()
            stopped = self.debugger.stop_reason
            end = End("failure", "", f"{stopped} at step '{self.current}'")
            self._close_open_step(stopped)
        except JournalError:
            raise  # nothing more can be recorded: the caller reports it (serve retries)
        except Exception as exc:  # a bug must end the run, not leave it "running"
            why = f"internal error at step '{self.current}': {type(exc).__name__}: {exc}"
            end = End("failure", "", f"{why} (a runbench bug; please report it)")
            self._close_open_step(why)
        result = self.finish(end, later=True)  # committed right below
        if self.engine.journal is not None:
            await self.engine.journal.committed(self.run_id)
        return result

    def _close_open_step(self, why: str) -> None:
        """A step interrupted by stop(): its end, written with the run's end (see
        ``finish``), so the journal has no loose row."""
        journal = self.engine.journal
        if journal is not None and self._open_seq is not None:  # written with the run's end
            self._last_step_end = journal.step_end(
                self.run_id,
                self._open_seq,
                edge=None,
                target=None,
                duration_ms=0.0,
                outputs={},
                error=why,
            )
        self._open_seq = None

    async def _walk(self, current: str) -> End:
        while True:
            self.current = current
            step = self.runbook.steps.get(current)
            if step is None:
                return End(
                    "failure", "", f"step '{current}' does not exist in runbook '{self.runbook.id}'"
                )
            guard = self._guard()
            if guard is not None:
                return End("failure", "", guard)
            await self.debugger.gate(current)
            if self.debugger.stop_requested:
                return End("failure", "", f"{self.debugger.stop_reason} at step '{current}'")
            outcome = await self._step(step)
            if outcome.end is not None:
                return outcome.end
            if outcome.target is None:  # defensive: follow() always sets end or target
                return End("failure", "", f"step '{current}' chose no next step")
            current = outcome.target

    def _guard(self) -> str | None:
        if self._count >= self.runbook.max_steps:
            return (
                f"stopped after {self._count} steps: max_steps = {self.runbook.max_steps} "
                "reached (a loop without an exit? raise max_steps if this is expected)"
            )
        if self._remaining() <= 0:
            return (
                f"stopped: max_duration = {self.runbook.max_duration:g} s reached "
                "(raise max_duration if this is expected)"
            )
        return None

    def _remaining(self) -> float:
        elapsed = self.engine.monotonic() - self._started - self.paused_for
        return self.runbook.max_duration - elapsed

    async def _step(self, step: Step) -> Outcome:
        self._count += 1
        self.seq += 1
        journal = self.engine.journal
        redactor = self.redactor
        if journal is not None:
            self._open_seq = self.seq
            row = (self.run_id, self.seq, step.id, step.kind, self.variables, self.loops)
            if (self._count > 1 or not self.recorded) and step.kind != "end":
                await journal.begin_step(*row, redact=redactor)  # the last step's end too
            else:  # the journal redacts what it stores: only the values that changed
                # an end step's start goes with the run's end (committed and waited for)
                journal.start_step(*row, redact=redactor, later=step.kind == "end")
        if self.has_listeners():
            self.publish(StepStarted(self.run_id, self.clock(), step.id, step.kind))
        began = self.engine.monotonic()
        outcome = await self._timed(step)
        duration_ms = (self.engine.monotonic() - began) * 1000.0
        outputs = redactor.variables(outcome.outputs)
        error = None if outcome.error is None else redactor.text(outcome.error)
        record = StepRecord(
            step.id, step.kind, outcome.edge, duration_ms, outputs, error, outcome.target
        )
        self.records.append(record)
        if journal is not None:
            self._journal_step_end(journal, outcome, duration_ms, error, outputs)
        if self.has_listeners():
            self.publish(
                StepFinished(
                    self.run_id,
                    self.clock(),
                    step.id,
                    step.kind,
                    outcome.edge,
                    outcome.target,
                    duration_ms,
                    outcome.outputs,
                    outcome.error,
                )
            )
        return outcome

    def _journal_step_end(
        self,
        journal: Journal,
        outcome: Outcome,
        duration_ms: float,
        error: str | None,
        redacted: Mapping[str, Any],
    ) -> None:
        """The step's end: committed with the next step's start, or, for the step that
        ends the run, kept to be written with the run's end in one operation (see
        ``Journal.finish_run``): apart, a crash between their commits would have resume
        run this step again. ``redacted``: the outputs as the step's record shows them."""
        end = journal.step_end(
            self.run_id,
            self.seq,
            edge=outcome.edge,
            target=outcome.target,
            duration_ms=duration_ms,
            outputs=outcome.outputs,
            error=error,
            loops=self.loops if outcome.loops_changed else None,
            redact=self.redactor,
            redacted=redacted,
        )
        if outcome.end is not None:
            self._last_step_end = end
        else:
            journal.write_step_end(self.run_id, end, later=True)  # the next start commits it
        self._open_seq = None

    async def _timed(self, step: Step) -> Outcome:
        limit = step.timeout if step.timeout else math.inf
        remaining = self._remaining()
        handler: Callable[[Step], Awaitable[Outcome]] = getattr(self, f"do_{step.kind}")
        if math.isinf(limit) and (remaining > 1e9 or self._ends_in_time(step, remaining)):
            return await handler(step)
        try:
            async with asyncio.timeout(min(limit, remaining)):
                return await handler(step)
        except TimeoutError:
            if remaining < limit:
                return self.fail_run(
                    step, f"max_duration = {self.runbook.max_duration:g} s reached during the step"
                )
            why = f"timed out after {limit:g} s (step timeout)"
            if step.kind in ("method", "halo", "sql", "ai"):
                return self.follow(step, "on_failure", error=why)
            return self.fail_run(step, why)

    def _ends_in_time(self, step: Step, remaining: float) -> bool:
        """Does ``step`` end before the run's max_duration without a timeout of its own?
        A flow step awaits nothing (a timer could not fire before it ends); an HTTP step
        that is not retried awaits nothing but its call, and the call has its own total
        deadline (the integration's total_timeout: token, redirects and body included).
        Well inside the time left, a timer per step (a heap entry of the event loop, left
        there cancelled) would never fire."""
        if step.kind in _AWAITS_NOTHING:
            return True
        if step.retry is not None or step.kind not in ("method", "halo"):
            return False
        name = step.method.partition(".")[0] if step.kind == "method" else self.workspace.halo
        integration = self.workspace.integrations.get(name)
        return integration is not None and integration.limits.total_timeout + 1.0 < remaining

    def finish(self, end: End, *, later: bool = False) -> RunResult:
        """The result (its message, error and step records redacted; its variables real,
        for the caller, and redacted by ``to_dict``), journaled (``later``: the caller
        waits for the journal's commit next)."""
        redactor = self.redactor
        error = None if end.error is None else redactor.text(end.error)
        message = redactor.text(end.message)
        result = RunResult(
            self.run_id,
            self.runbook.id,
            end.status,
            error,
            message,
            list(self.records),
            dict(self.variables),
            redactor=redactor,
        )
        if self.engine.journal is not None:
            self.engine.journal.finish_run(
                self.run_id, end.status, error, message, later=later, last_step=self._last_step_end
            )
            self._last_step_end = None
        self.publish(RunFinished(self.run_id, self.clock(), end.status, end.error, end.message))
        return result


__all__ = ["Run"]
