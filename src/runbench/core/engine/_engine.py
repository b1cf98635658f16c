"""The engine: starts runs of a workspace's runbooks, many at once, on one event loop.

Each run is an asyncio task with its own variables, its own Executor (its own HTTP
client and tokens) and its own debugger. The engine holds what runs share: the
workspace, the journal, the event bus, injected time/sleep/random, and one semaphore per
runbook that has ``max_concurrent`` (extra runs wait and say so with RunQueued). Runs
that go on from what the journal recorded (rerun, resume, claimed) are in ``_restarts``.
"""

from __future__ import annotations

import asyncio
import os
import random as _random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import httpx

from runbench.core.engine import _restarts
from runbench.core.engine._context import custom_field_variables
from runbench.core.engine._debugger import Debugger
from runbench.core.engine._events import Event, EventBus, EventStream, RunQueued
from runbench.core.engine._handle import RunHandle
from runbench.core.engine._results import RunResult
from runbench.core.engine._runner import Run
from runbench.core.engine._shown import shown_event
from runbench.core.engine._steps import End
from runbench.core.engine._variables import Renderer, resolve_inputs
from runbench.core.errors import ExpressionError, RunError, suggest
from runbench.core.expressions import TemplateCache
from runbench.core.http import OutputEvaluator, TlsContexts, TokenCache
from runbench.core.journal import Claim, Journal, RunRow, new_run_id
from runbench.core.secrets import Redactor, Secrets
from runbench.core.workspace import Runbook, Workspace

if TYPE_CHECKING:
    from runbench.core.http import Executor
CONTEXT_KEYS = ("ticket", "action", "halo_url")
TransportFactory = Callable[[Run], httpx.AsyncBaseTransport]


class Engine:
    def __init__(
        self,
        workspace: Workspace,
        *,
        journal: Journal | None = None,
        secrets: Secrets | None = None,
        environ: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        transport_factory: TransportFactory | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = _random.random,
        trigger: str = "cli",
        max_depth: int = 16,
    ) -> None:
        self.workspace = workspace
        self.journal = journal
        self.secrets = secrets or Secrets(
            workspace.path, os.environ if environ is None else environ
        )
        self.secrets.preload(workspace)
        self.transport = transport
        self.transport_factory = transport_factory
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep
        self.random = random
        self.trigger = trigger
        self.max_depth = max_depth
        self.templates = TemplateCache()
        self.renderer = Renderer(self.templates)
        self.tokens = TokenCache()
        self.tls = TlsContexts()  # one CA bundle read for all runs, not one per run
        self.output_paths = OutputEvaluator()  # compiled once for all runs, not per run
        self.bus = EventBus(clock)
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._handles: dict[str, RunHandle] = {}

    # -- public API ------------------------------------------------------------------
    def publish(self, event: Event) -> None:
        """Send ``event`` to every subscriber (runs call this for their events), with every
        secret blanked: no subscriber ever sees one (see ``_shown``). Without subscribers
        (serve, a bare engine) nothing is redacted: nobody would see it."""
        if self.has_listeners():
            self.bus.publish(shown_event(event, self.secrets.redactor))

    def has_listeners(self) -> bool:
        """Does anyone read this engine's events? Runs build an event only then: a run of
        `serve` or a benchmark has nobody to show it to (seven events per HTTP step)."""
        return self.bus.subscribers > 0

    def subscribe(self) -> EventStream:
        """Every event of every run of this engine from now on (see events.py)."""
        return self.bus.subscribe()

    def start(
        self,
        runbook_id: str,
        *,
        inputs: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        breakpoints: Iterable[str] = (),
        step_mode: bool = False,
        from_step: str | None = None,
        base_variables: Mapping[str, Any] | None = None,
        trigger: str | None = None,
    ) -> RunHandle:
        """Start a run (needs a running event loop). Bad inputs raise RunError here."""
        runbook = self.runbook(runbook_id)
        self._check_step(runbook, from_step)
        if base_variables is None:
            initial = self.initial_variables(runbook, inputs, context, variables)
            typed = {name: initial[name] for name in runbook.inputs}
        else:
            initial = {**self.workspace.variables, **base_variables, **(variables or {})}
            typed = dict(inputs or {})
        run_id = self._create(runbook_id, trigger, typed, context, variables)
        return self._launch(
            runbook_id,
            run_id,
            initial,
            breakpoints=breakpoints,
            step_mode=step_mode,
            from_step=from_step,
            overrides=dict(variables or {}),
        )

    async def run(self, runbook_id: str, **kwargs: Any) -> RunResult:
        """Start a run and wait for its result."""
        return await self.start(runbook_id, **kwargs).result()

    def handle(self, run_id: str) -> RunHandle | None:
        return self._handles.get(run_id)

    def redactor(self) -> Redactor:
        """The redactor every run of this engine shares (it learns tokens as they come)."""
        return self.secrets.redactor

    def redact(self, obj: Any) -> Any:
        """``obj`` with every known secret value blanked."""
        return self.secrets.redactor.value(obj)

    def redact_variable(self, name: str, value: Any) -> Any:
        """A variable's value as it may be shown (blanked whole if ``name`` is secret)."""
        return self.secrets.redactor.variable(name, value)

    # -- variables -------------------------------------------------------------------
    def runbook(self, runbook_id: str) -> Runbook:
        found = self.workspace.runbooks.get(runbook_id)
        if found is None:
            raise RunError(self.workspace.unknown_runbook(runbook_id))
        return found

    def initial_variables(
        self,
        runbook: Runbook,
        inputs: Mapping[str, Any] | None,
        context: Mapping[str, Any] | None,
        overrides: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Workspace variables < overrides (--var) < typed inputs < context objects."""
        variables = {**self.workspace.variables, **(overrides or {})}
        variables.update(resolve_inputs(runbook.inputs, inputs or {}))
        halo_url = self.halo_url(variables)
        if halo_url is not None:
            variables["halo_url"] = halo_url
        for key, value in (context or {}).items():
            if value is not None:
                variables[key] = value
        for name, value in custom_field_variables(variables.get("ticket")).items():
            variables.setdefault(name, value)
        return variables

    def halo_url(self, variables: Mapping[str, Any]) -> str | None:
        integration = self.workspace.integrations.get(self.workspace.halo)
        if integration is None:
            return None
        try:
            return self.renderer.text(integration.base_url, variables).rstrip("/")
        except ExpressionError:
            return None

    # -- internals -------------------------------------------------------------------
    def new_executor(self, run: Run) -> AbstractAsyncContextManager[Executor]:
        from runbench.core.http import Executor

        transport = self.transport_factory(run) if self.transport_factory else self.transport
        return Executor(
            self.workspace,
            secrets=self.secrets,
            transport=transport,
            clock=self.monotonic,
            variables=self.workspace.variables,
            tokens=self.tokens,
            templates=self.templates,
            tls=self.tls,
            outputs=self.output_paths,
        )

    def _create(
        self,
        runbook_id: str,
        trigger: str | None,
        inputs: Mapping[str, Any],
        context: Mapping[str, Any] | None,
        overrides: Mapping[str, Any] | None,
        parent_id: str | None = None,
    ) -> str:
        if self.journal is None:
            return new_run_id(self.clock)
        redactor = self.secrets.redactor
        return self.journal.create_run(
            runbook_id,
            trigger=trigger or self.trigger,
            inputs=redactor.variables(inputs),
            context=redactor.variables(context or {}),
            overrides=redactor.variables(overrides or {}),
            parent_id=parent_id,
            later=True,  # with the run's first step (or its first status change)
        )

    def _launch(
        self,
        runbook_id: str,
        run_id: str,
        initial: dict[str, Any],
        *,
        breakpoints: Iterable[str] = (),
        step_mode: bool = False,
        from_step: str | None = None,
        loops: Mapping[str, Any] | None = None,
        seq: int = 0,
        overrides: Mapping[str, Any] | None = None,
        gated: bool = True,
        recorded: bool = False,
    ) -> RunHandle:
        """A task running ``run_id``; ``gated``: wait for a max_concurrent slot first;
        ``recorded``: the journal already has the run committed (claimed, resumed)."""
        debugger = Debugger(
            run_id,
            initial,
            self.publish,
            self.clock,
            breakpoints=breakpoints,
            step_mode=step_mode,
        )
        run = Run(
            self,
            runbook_id,
            run_id,
            initial,
            debugger=debugger,
            from_step=from_step,
            loops=loops,
            seq=seq,
        )
        run.overrides = dict(overrides or {})
        run.recorded = recorded
        debugger.on_pause = run.on_pause
        drive = self._drive(run) if gated else run.execute()
        task = asyncio.get_running_loop().create_task(drive, name=f"run-{run_id}")
        handle = RunHandle(run_id, debugger, task)
        self._handles[run_id] = handle
        task.add_done_callback(lambda _: self._handles.pop(run_id, None))
        return handle

    async def _drive(self, run: Run) -> RunResult:
        semaphore = self._semaphore(run.runbook)
        if semaphore is None:
            return await run.execute()
        if semaphore.locked():
            self.bus.publish(
                RunQueued(
                    run.run_id,
                    self.clock(),
                    run.runbook.id,
                    f"max_concurrent = {run.runbook.max_concurrent} reached",
                )
            )
            if self.journal is not None:
                self.journal.set_status(run.run_id, "queued")
        try:
            async with semaphore:
                if self.journal is not None:
                    self.journal.set_status(run.run_id, "running")
                return await run.execute()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not run.debugger.stop_requested or task is None:
                raise
            task.uncancel()
            return run.finish(End("failure", "", f"{run.debugger.stop_reason} while queued"))

    def _semaphore(self, runbook: Runbook) -> asyncio.Semaphore | None:
        if runbook.max_concurrent <= 0:
            return None
        found = self._semaphores.get(runbook.id)
        if found is None:
            found = self._semaphores[runbook.id] = asyncio.Semaphore(runbook.max_concurrent)
        return found

    async def run_child(self, parent: Run, runbook_id: str, inputs: Mapping[str, Any]) -> RunResult:
        """Run ``runbook_id`` inline for a runbook step (same task, journaled with parent)."""
        if parent.depth + 1 > self.max_depth:
            raise RunError(
                f"runbooks nested deeper than {self.max_depth} (a runbook starting itself?)"
            )
        runbook = self.runbook(runbook_id)
        context = {key: parent.variables[key] for key in CONTEXT_KEYS if key in parent.variables}
        initial = self.initial_variables(runbook, inputs, context, parent.overrides)
        typed = {name: initial[name] for name in runbook.inputs}
        run_id = self._create(runbook_id, None, typed, context, parent.overrides, parent.run_id)
        debugger = Debugger(run_id, initial, self.publish, self.clock)
        child = Run(
            self,
            runbook_id,
            run_id,
            initial,
            debugger=debugger,
            parent_id=parent.run_id,
            depth=parent.depth + 1,
        )
        child.overrides = parent.overrides
        debugger.on_pause = child.on_pause
        try:
            return await child.execute()
        except asyncio.CancelledError:
            child.finish(
                End("failure", "", f"{parent.debugger.stop_reason} (parent run {parent.run_id})")
            )
            raise

    # -- runs that go on from the journal (see _restarts) --------------------------------
    def rerun_from(self, run_id: str, step: str, **kwargs: Any) -> RunHandle:
        """A new run of the same runbook from ``step``, with the variables it had there."""
        return _restarts.rerun_from(self, run_id, step, **kwargs)

    def resume(
        self, run_id: str, *, breakpoints: Iterable[str] = (), step_mode: bool = False
    ) -> RunHandle:
        """Go on with an interrupted run from the step it died in (same run id)."""
        return _restarts.resume(self, run_id, breakpoints=breakpoints, step_mode=step_mode)

    def run_queued(self, run_id: str) -> RunHandle:
        """Execute a run that :meth:`Journal.enqueue` queued (claimed or not)."""
        return _restarts.run_queued(self, run_id)

    def start_claimed(self, claim: Claim) -> RunHandle:
        """Execute a run this engine's journal holds (``Journal.claim``)."""
        return _restarts.start_claimed(self, claim)

    def _check_step(self, runbook: Runbook, step: str | None) -> None:
        if step is not None and step not in runbook.steps:
            close = suggest(step, runbook.steps)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RunError(f"runbook '{runbook.id}' has no step '{step}'{hint}")

    def _need_journal(self) -> Journal:
        if self.journal is None:
            raise RunError("this engine has no journal; open one with Journal.for_workspace()")
        return self.journal

    def _journal_row(self, run_id: str) -> RunRow:
        """The run to start again from; RunError if its stored row is damaged."""
        row = self._need_journal().find_run(run_id)
        if row.damaged is not None:
            raise RunError(row.damaged)
        return row


__all__ = ["CONTEXT_KEYS", "Engine", "RunHandle"]
