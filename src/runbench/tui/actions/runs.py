"""Run and debug keys of the workbench (a mixin of the app), and the history tab's loading.

``f5`` starts the selected runbook (asking for its trigger first) or continues a paused
run; ``f10`` steps (or starts in step mode); ``shift+f5`` stops; ``f9`` toggles a
breakpoint on the selected step; ``ctrl+f5`` runs again from the selected step with the
variables the last run had there. Engine events arrive as ``EngineEvent`` messages (from
the bridge only); the panes are redrawn once per batch of events, not once per event.
Journal reads for the History tab run in a thread worker (group "history").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.widget import Widget
from textual.widgets import TabbedContent

from runbench.core.errors import RunbenchError
from runbench.core.workspace import Runbook
from runbench.tui.actions.lazy_panes import LazyPanes
from runbench.tui.bridge import EngineEvent

if TYPE_CHECKING:  # imported on first use: the runbook pane's modules, the engine, httpx
    from runbench.core.engine import RunRow
    from runbench.tui.screens.trigger import Trigger
    from runbench.tui.state.run_controller import RunController
    from runbench.tui.state.run_view import RunView
    from runbench.tui.widgets.history import HistoryView
    from runbench.tui.widgets.run_panes import VariablesPane


class RunActions(LazyPanes):
    """Runs and history."""

    @property
    def runs(self) -> RunController:
        """This session's runs, made on first use: it loads the engine, the journal and
        httpx, which the workbench does not need to start."""
        if self._runs is None:
            from runbench.tui.state.run_controller import RunController

            self._runs = RunController(
                self,
                self.document.path,
                state_dir=self.state_dir,
                transport=self.transport,
                environ=self.environ,
            )
        return self._runs

    # -- what is shown -------------------------------------------------------------------
    def selected_runbook(self) -> Runbook | None:
        sel = self.selection
        if sel is None or sel.kind not in ("runbook", "step"):
            return None
        return self.workspace.runbooks.get(sel.runbook)

    def shown_view(self, runbook: str) -> RunView | None:
        return self.history_runs.get(runbook) or self.runs.current(runbook)

    def refresh_run_panes(self) -> None:
        self._runs_dirty = False
        runbook = self.selected_runbook()
        if runbook is None:
            return
        view = self.shown_view(runbook.id)
        values = self.runs.live_variables(view) if view is not None and view.live else None
        run_id = view.run_id if view is not None else ""
        pane = self.runbook_pane()  # not mounted yet: drawn from self.runs when it is
        if pane is None or not pane.is_attached or pane._pruning:
            return  # the pane is going (the app closing): Textual marks it before a child goes
        pane.show_run(
            view,
            self.runs.breakpoints_of(runbook.id),
            values,
            lambda name, value: self.runs.redact_variable(run_id, name, value),
            last=self.latest_rows.get(runbook.id),
        )

    def _schedule_refresh(self) -> None:
        if not self._runs_dirty:
            self._runs_dirty = True
            self.call_after_refresh(self.refresh_run_panes)

    @on(EngineEvent)
    def _engine_event(self, message: EngineEvent) -> None:
        view = self.runs.apply(message.event)
        runbook = self.selected_runbook()
        if view is None or runbook is None or view.runbook != runbook.id:
            return
        self._schedule_refresh()
        from runbench.core.engine import RunFinished  # loaded: an engine sent this

        if isinstance(message.event, RunFinished) and message.event.run_id == view.run_id:
            self.load_history(runbook.id)
            self.load_latest(runbook.id)

    # -- run keys ------------------------------------------------------------------------
    def _need_runbook(self) -> Runbook | None:
        runbook = self.selected_runbook()
        if runbook is None:
            self.notify("select a runbook (or one of its steps) first", severity="warning")
        return runbook

    def action_run(self) -> None:
        """f5: continue a paused run, else ask for the trigger and start one."""
        runbook = self._need_runbook()
        if runbook is None:
            return
        handle = self.runs.handle_of(runbook.id)
        if handle is not None and handle.debugger.paused_at is not None:
            handle.debugger.continue_()
            return
        if handle is not None and not handle.done:
            self.notify(f"{runbook.id} is running: shift+f5 stops it", severity="warning")
            return
        self.ask_trigger(runbook, step_mode=False)

    def ask_trigger(self, runbook: Runbook, *, step_mode: bool) -> None:
        from runbench.tui.screens.trigger import TriggerDialog

        previous = self.runs.triggers.get(runbook.id)

        def done(trigger: Trigger | None) -> None:
            if trigger is not None:
                self.start_run(runbook.id, trigger, step_mode=step_mode)

        title = f"{'Step through' if step_mode else 'Run'} {runbook.id}"
        self.push_screen(TriggerDialog(self.workspace, runbook, previous, title=title), done)

    def start_run(
        self,
        runbook: str,
        trigger: Trigger,
        *,
        step_mode: bool = False,
        from_step: str | None = None,
    ) -> None:
        self.history_runs.pop(runbook, None)
        self.runs.start(
            self.workspace,
            runbook,
            trigger,
            self.overrides,
            from_step=from_step,
            step_mode=step_mode,
        )
        pane = self.runbook_pane()  # a pane mounted later starts on the history list
        if pane is not None:
            _history_of(pane).action_back()
        self._schedule_refresh()

    def action_step(self) -> None:
        """f10: run the paused step and pause before the next; idle: start in step mode."""
        runbook = self._need_runbook()
        if runbook is None:
            return
        handle = self.runs.handle_of(runbook.id)
        if handle is None or handle.done:
            self.ask_trigger(runbook, step_mode=True)
        elif not handle.debugger.step():
            self.notify("the step is still running; f10 acts when the run is paused")

    def action_stop(self) -> None:
        runbook = self._need_runbook()
        handle = self.runs.handle_of(runbook.id) if runbook else None
        if handle is None or handle.done:
            self.notify("nothing is running", severity="warning")
            return
        handle.debugger.stop()

    def action_toggle_breakpoint(self) -> None:
        sel = self.selection
        if sel is None or sel.kind != "step":
            self.notify("select a step for the breakpoint (tree or flowchart)", severity="warning")
            return
        now = self.runs.toggle_breakpoint(sel.runbook, sel.step)
        self.notify(f"breakpoint {'set on' if now else 'removed from'} {sel.step}", timeout=2)
        self.refresh_run_panes()

    def action_run_from_step(self) -> None:
        sel = self.selection
        if sel is None or sel.kind != "step":
            self.notify("select the step to run from", severity="warning")
            return
        handle = self.runs.handle_of(sel.runbook)
        if handle is not None and not handle.done:
            self.notify("a run is active: stop it first (shift+f5)", severity="warning")
            return
        from runbench.tui.screens.trigger import Trigger

        self.start_run(
            sel.runbook, Trigger(texts=self.runs.triggers.get(sel.runbook, {})), from_step=sel.step
        )

    def on_step_renamed(self, runbook: str, old: str, new: str) -> None:
        if self._runs is not None:  # no runs yet: nothing refers to the old name
            self._runs.rename_step(runbook, old, new)

    # -- variables -----------------------------------------------------------------------
    def on_variables_pane_open(self, event: VariablesPane.Open) -> None:
        """By name, as the History handlers: run_panes is imported with the runbook pane."""
        from runbench.tui.widgets.run_panes import ValueDialog

        runbook = self.selected_runbook()
        view = self.shown_view(runbook.id) if runbook else None
        if view is None:
            return
        live = self.runs.live_variables(view) if view.live else None
        name = event.name
        known = view.variables.get(name)
        value = (
            live[name] if live is not None and name in live else (known.value if known else None)
        )
        paused = view.live and view.status == "paused"
        source = f" (set by {known.source})" if known else ""
        shown = self.runs.redact_variable(view.run_id, name, value)
        editable = paused and shown == value  # a secret is never shown, so never edited here

        def done(new: Any) -> None:
            if new is ValueDialog.NOTHING or not editable:
                return
            try:
                self.runs.set_variable(view.run_id, name, new)
            except RunbenchError as exc:
                self.notify(str(exc), title="Not changed", severity="error")
                return
            self.notify(f"{name} changed; the run goes on with the new value", timeout=3)

        self.push_screen(ValueDialog(f"{name}{source}", shown, editable=editable), done)

    # -- history -------------------------------------------------------------------------
    @on(TabbedContent.TabActivated, "#runbook-tabs")
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        runbook = self.selected_runbook()
        if event.pane.id == "tab-history" and runbook is not None:
            self.load_history(runbook.id)

    def on_history_view_refresh(self) -> None:
        runbook = self.selected_runbook()
        if runbook is not None:
            self.load_history(runbook.id)
            self.load_latest(runbook.id)
            self.notify("history re-read from the journal", timeout=2)

    def on_history_view_open(self, event: HistoryView.Open) -> None:
        self.load_run(event.run_id)

    def on_history_view_closed(self) -> None:
        runbook = self.selected_runbook()
        if runbook is not None:
            self.history_runs.pop(runbook.id, None)
            self.refresh_run_panes()

    @work(thread=True, exclusive=True, group="latest", description="read the latest run")
    def load_latest(self, runbook: str) -> None:
        """The newest run of ``runbook`` in the journal (CLI and serve runs too), for the
        status line when this session has not run it."""
        try:
            rows = self.runs.journal.runs(1, runbook=runbook, top_level=True)
        except (RunbenchError, OSError):
            return  # the status line then says "no run yet"; History reports errors
        self.call_from_thread(self._got_latest, runbook, rows[0] if rows else None)

    def _got_latest(self, runbook: str, row: RunRow | None) -> None:
        if row is None:
            self.latest_rows.pop(runbook, None)
        else:
            self.latest_rows[runbook] = row
        current = self.selected_runbook()
        if current is not None and current.id == runbook:
            self.refresh_run_panes()

    @work(thread=True, exclusive=True, group="history", description="read run history")
    def load_history(self, runbook: str) -> None:
        try:
            rows = self.runs.journal.runs(500, runbook=runbook, top_level=True)
        except (RunbenchError, OSError) as exc:
            self.call_from_thread(self.notify, str(exc), title="History", severity="error")
            return
        self.call_from_thread(self._show_history, runbook, rows)

    def _show_history(self, runbook: str, rows: list[RunRow]) -> None:
        current = self.selected_runbook()
        pane = self.runbook_pane()
        if pane is not None and current is not None and current.id == runbook:
            _history_of(pane).show_runs(rows)

    @work(thread=True, exclusive=True, group="history", description="read one run")
    def load_run(self, run_id: str) -> None:
        journal = self.runs.journal
        from runbench.tui.state.run_view import RunView

        try:  # a row changed outside runbench says so (DamagedRowError), never a traceback
            row = journal.run(run_id)
            if row is None:
                return
            steps, exchanges = journal.steps(run_id), journal.exchanges(run_id)
        except (RunbenchError, OSError) as exc:
            self.call_from_thread(self.notify, str(exc), title="History", severity="error")
            return
        if row.damaged is not None:
            self.call_from_thread(self.notify, row.damaged, title="History", severity="warning")
        view = RunView.from_journal(row, steps, exchanges, self.workspace.variables)
        self.call_from_thread(self._show_run, view)

    def _show_run(self, view: RunView) -> None:
        self.history_runs[view.runbook] = view
        current = self.selected_runbook()
        pane = self.runbook_pane()
        if pane is not None and current is not None and current.id == view.runbook:
            _history_of(pane).show_run(view)
            self.refresh_run_panes()

    def run_commands(self) -> list[tuple[str, str, Any]]:
        def tab(name: str) -> Any:
            return lambda: self.with_runbook_pane(lambda pane: pane.open_tab(name))

        return [
            ("Show flowchart", "the Flow tab of the runbook pane", tab("tab-flow")),
            ("Show step editor", "the Step tab", tab("tab-step")),
            ("Show run log", "the Log tab", tab("tab-log")),
            ("Show variables", "the Variables tab", tab("tab-vars")),
            ("Show history", "past runs of the runbook", tab("tab-history")),
            (
                "Edit runbook details",
                "title, start, inputs, guards, public endpoint (the Details tab)",
                tab("tab-details"),
            ),
        ]


def _history_of(pane: Widget) -> HistoryView:
    """The pane's History tab (imported here: it is only there once the pane is mounted)."""
    from runbench.tui.widgets.history import HistoryView

    return pane.query_one(HistoryView)


__all__ = ["RunActions"]
