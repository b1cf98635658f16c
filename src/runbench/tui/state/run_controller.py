"""Live runs in the workbench: start, debug and follow runbooks through the engine.

The workbench does no engine work itself. Each run gets an ``Engine`` over the workspace
as it is at that moment (edits made during a run do not change it), the app's ``--var``
overrides as variables, the session's breakpoints for that runbook, and the journal
beside the workspace (so ``runbench runs`` sees TUI runs and the History tab sees CLI
and serve runs). The run is awaited in an async worker (group "run"); its events reach
the app only through ``EventBridge``, and :meth:`RunController.apply` folds them into
the ``RunView`` the panes draw. Debugger commands (continue, step, stop, breakpoints,
set a variable) go straight to the run's ``Debugger``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from textual.app import App

from runbench.core.engine import (
    Engine,
    Event,
    Journal,
    RunHandle,
    RunRow,
    RunStarted,
    load_ticket,
)
from runbench.core.errors import DamagedRowError, RunbenchError, RunError
from runbench.core.secrets import Secrets
from runbench.core.workspace import Workspace
from runbench.tui.bridge import EventBridge
from runbench.tui.screens.trigger import Trigger
from runbench.tui.state.run_view import RunView, variable_sources


class RunController:
    """Runs of one workbench session; see the module docstring."""

    def __init__(
        self,
        app: App[Any],
        workspace_path: Path,
        *,
        state_dir: str | Path | None,
        transport: httpx.AsyncBaseTransport | None,
        environ: Mapping[str, str],
    ) -> None:
        self.app = app
        self.workspace_path = workspace_path
        self.state_dir = state_dir
        self.transport = transport
        self.environ = environ
        self.bridge = EventBridge(app)
        self._journal: Journal | None = None
        self.views: dict[str, RunView] = {}
        self.latest: dict[str, str] = {}
        self.handles: dict[str, RunHandle] = {}
        self.engines: dict[str, Engine] = {}
        self.breakpoints: dict[str, set[str]] = {}
        self.triggers: dict[str, Mapping[str, str]] = {}
        self._parents: dict[str, str] = {}

    # -- journal -------------------------------------------------------------------------
    @property
    def journal(self) -> Journal:
        if self._journal is None:
            self._journal = Journal.for_workspace(self.workspace_path, self.state_dir)
        return self._journal

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    # -- state ---------------------------------------------------------------------------
    def current(self, runbook: str) -> RunView | None:
        """The latest run of ``runbook`` started in this session."""
        run_id = self.latest.get(runbook)
        return self.views.get(run_id) if run_id else None

    def active(self) -> list[str]:
        """Runbooks with a run of this session still running or paused."""
        return sorted(
            {
                self.views[r].runbook
                for r, h in self.handles.items()
                if not h.done and r in self.views
            }
        )

    def handle_of(self, runbook: str) -> RunHandle | None:
        run_id = self.latest.get(runbook)
        return self.handles.get(run_id) if run_id else None

    def breakpoints_of(self, runbook: str) -> set[str]:
        return self.breakpoints.setdefault(runbook, set())

    def toggle_breakpoint(self, runbook: str, step: str) -> bool:
        """Add or remove a breakpoint (also on the running run); True when now set."""
        points = self.breakpoints_of(runbook)
        handle = self.handle_of(runbook)
        if step in points:
            points.discard(step)
            if handle is not None:
                handle.debugger.remove_breakpoint(step)
            return False
        points.add(step)
        if handle is not None:
            handle.debugger.add_breakpoint(step)
        return True

    def rename_step(self, runbook: str, old: str, new: str) -> None:
        points = self.breakpoints_of(runbook)
        if old in points:
            points.discard(old)
            points.add(new)

    def rename_runbook(self, old: str, new: str) -> None:
        """Keep breakpoints, the last trigger and the latest run under the new name."""
        if old in self.breakpoints:
            self.breakpoints[new] = self.breakpoints.pop(old)
        if old in self.triggers:
            self.triggers[new] = self.triggers.pop(old)
        if old in self.latest:
            self.latest[new] = self.latest.pop(old)
        for view in self.views.values():
            if view.runbook == old:
                view.runbook = new

    def apply(self, event: Event) -> RunView | None:
        """Fold an engine event into its run's view; the view (None: not one of ours)."""
        run_id = event.run_id
        if isinstance(event, RunStarted) and event.parent_id is not None:
            parent = self._parents.get(event.parent_id, event.parent_id)
            if parent in self.views:
                self._parents[run_id] = parent
                self.views[parent].children.add(run_id)
        view = self.views.get(self._parents.get(run_id, run_id))
        if view is not None:
            view.apply(event)
            if not view.active:
                self.handles.pop(view.run_id, None)
        return view

    # -- starting ------------------------------------------------------------------------
    def start(
        self,
        workspace: Workspace,
        runbook: str,
        trigger: Trigger,
        overrides: Mapping[str, Any],
        *,
        from_step: str | None = None,
        step_mode: bool = False,
        done: Callable[[RunView], None] | None = None,
    ) -> None:
        """Start a run in a worker (group "run"); ``from_step`` re-runs the latest run of
        ``runbook`` from that step with the variables it had there."""
        self.triggers[runbook] = dict(trigger.texts)
        self.app.run_worker(
            self._run(workspace, runbook, trigger, dict(overrides), from_step, step_mode, done),
            group="run",
            description=f"run {runbook}",
            exit_on_error=False,
        )

    async def _run(
        self,
        workspace: Workspace,
        runbook: str,
        trigger: Trigger,
        overrides: dict[str, Any],
        from_step: str | None,
        step_mode: bool,
        done: Callable[[RunView], None] | None,
    ) -> None:
        secrets = Secrets(workspace.path, self.environ)
        engine = Engine(
            workspace,
            journal=self.journal,
            secrets=secrets,
            transport=self.transport,
            trigger="tui",
        )
        subscription = self.bridge.attach(engine)
        try:
            handle = await self._launch(
                engine, workspace, runbook, trigger, overrides, from_step, step_mode
            )
            result = await handle.result()
        except RunbenchError as exc:
            self.app.notify(str(exc), title=f"Run of {runbook} not started", severity="error")
            return
        finally:
            subscription.close()
        view = self.views.get(result.run_id)
        if done is not None and view is not None:
            done(view)

    async def _launch(
        self,
        engine: Engine,
        workspace: Workspace,
        runbook: str,
        trigger: Trigger,
        overrides: dict[str, Any],
        from_step: str | None,
        step_mode: bool,
    ) -> RunHandle:
        points = sorted(self.breakpoints_of(runbook))
        if from_step is not None:
            previous, before = self.start_point(runbook, from_step)
            handle = engine.start(
                previous.runbook,
                from_step=from_step,
                base_variables=before,
                inputs=previous.inputs,
                context=previous.context,
                variables=overrides,
                breakpoints=points,
                step_mode=step_mode,
            )
            source = "earlier run"
            context: dict[str, Any] = {}
        else:
            context = await self._context(workspace, engine, trigger, overrides)
            handle = engine.start(
                runbook,
                inputs=trigger.inputs,
                context=context,
                variables=overrides,
                breakpoints=points,
                step_mode=step_mode,
            )
            source = "workspace"
        self._register(engine, handle, workspace, runbook, overrides, context, source)
        return handle

    async def _context(
        self, workspace: Workspace, engine: Engine, trigger: Trigger, overrides: Mapping[str, Any]
    ) -> dict[str, Any]:
        context: dict[str, Any] = {}
        if trigger.ticket_id:
            key: str | int = (
                int(trigger.ticket_id) if trigger.ticket_id.isdigit() else trigger.ticket_id
            )
            context["ticket"] = await load_ticket(
                workspace,
                key,
                secrets=engine.secrets,
                transport=self.transport,
                variables={**workspace.variables, **overrides},
            )
        elif trigger.ticket is not None:
            context["ticket"] = dict(trigger.ticket)
        if trigger.action is not None:
            context["action"] = dict(trigger.action)
        return context

    def _register(
        self,
        engine: Engine,
        handle: RunHandle,
        workspace: Workspace,
        runbook: str,
        overrides: Mapping[str, Any],
        context: Mapping[str, Any],
        fallback: str,
    ) -> None:
        view = RunView(handle.run_id, runbook, live=True, status="running")
        view.variables = variable_sources(
            handle.debugger.variables(),
            workspace=workspace.variables,
            overrides=overrides,
            inputs=workspace.runbooks[runbook].inputs,
            context=context,
            fallback=fallback,
        )
        self.views[handle.run_id] = view
        self.latest[runbook] = handle.run_id
        self.handles[handle.run_id] = handle
        self.engines[handle.run_id] = engine

    def start_point(self, runbook: str, step: str) -> tuple[RunRow, dict[str, Any] | None]:
        """The newest run of ``runbook`` (this session first, then the journal) that
        reached ``step``, and its variables just before it: what "run from this step"
        starts from. A run that paused before the step (and was stopped there) counts:
        the step before it led there. None variables: the run paused before its first
        step, so a fresh start from its inputs and context is the same thing."""
        candidates = [self.latest[runbook]] if runbook in self.latest else []
        candidates += [row.id for row in self.journal.runs(200, runbook=runbook, top_level=True)]
        for run_id in dict.fromkeys(candidates):
            run = self.journal.run(run_id)
            if run is None or run.damaged is not None:
                continue  # a damaged run's inputs are lost: not one to start from
            try:
                rows = self.journal.steps(run_id)
            except DamagedRowError:
                continue
            for row in rows:
                if row.step == step:
                    return run, dict(row.variables_before)
                if row.finished and row.target == step:
                    return run, row.variables_after
            if not rows and run.current_step == step:
                return run, None
        raise RunError(
            f"no earlier run of {runbook} reached step '{step}': run it once "
            "(f5) before running from a step"
        )

    # -- debugger ------------------------------------------------------------------------
    def set_variable(self, run_id: str, name: str, value: Any) -> None:
        handle = self.handles.get(run_id)
        if handle is None:
            raise RunError("the run has ended; variables can only be changed while it is paused")
        handle.debugger.set_variable(name, value)

    def live_variables(self, view: RunView) -> dict[str, Any] | None:
        handle = self.handles.get(view.run_id)
        return handle.debugger.variables() if handle is not None else None

    def redact(self, run_id: str, value: Any) -> Any:
        engine = self.engines.get(run_id)
        return engine.redact(value) if engine is not None else value

    def redact_variable(self, run_id: str, name: str, value: Any) -> Any:
        """A variable's value as the workbench may show it (journaled runs were redacted
        when they were written)."""
        engine = self.engines.get(run_id)
        return engine.redact_variable(name, value) if engine is not None else value

    def stop_all(self, reason: str | None = None) -> list[RunHandle]:
        """Stop every run going, each ending with ``reason`` ("stopped by user" if none)."""
        handles = list(self.handles.values())
        for handle in handles:
            if reason is None:
                handle.debugger.stop()
            else:
                handle.debugger.stop(reason)
        return handles


__all__ = ["RunController"]
