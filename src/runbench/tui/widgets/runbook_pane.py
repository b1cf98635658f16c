"""The runbook pane: status line and tabs Flow / Step / Log / Variables / History.

Tabs, because at 80x24 over SSH the chart, the editor and the run panes cannot share
the screen; the status line above them always says what the shown run is doing and
which keys act on it. The pane draws what the app pushes down: the runbook and its
problems (:meth:`show_runbook`) and the run to show, live or from history
(:meth:`show_run`). The chart's marks and colours combine both: ``▶ ✔ ✘`` what the run
did, ``●`` breakpoints, ``!`` problems.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TabbedContent, TabPane

from runbench.core.engine import RunRow
from runbench.core.workspace import Problem, Runbook, Step, Workspace, counted
from runbench.tui.state.flow_graph import (
    chart_marks,
    edge_label,
    flow_order,
    problem_lines,
    runbook_graph,
    step_problems,
)
from runbench.tui.state.run_view import RunView
from runbench.tui.widgets.flowchart import FlowchartView
from runbench.tui.widgets.history import STATUS_MARKS, HistoryView, short_when, when
from runbench.tui.widgets.rules_table import shown
from runbench.tui.widgets.run_panes import RunLog, VariablesPane, to_ascii
from runbench.tui.widgets.runbook_details import RunbookDetails
from runbench.tui.widgets.static_text import show_text
from runbench.tui.widgets.step_editor import StepEditor
from runbench.tui.widgets.tab_underline import place_underlines


def step_summary(step: Step, dot: str = "·") -> str:
    """One line saying what a step does."""
    if step.kind == "method":
        return f"calls {step.method or '?'}"
    if step.kind == "halo":
        return f"Halo API action {step.action or '?'}"
    if step.kind == "sql":
        where = "Halo's report API" if not step.database else "a database"
        return f"queries {where}: {' '.join(step.query.split())[:60] or '?'}"
    if step.kind == "ai":
        return f"asks {step.integration or '?'} (Halo AI {step.ai_type})"
    if step.kind == "condition":
        rules = "; ".join(
            f"{r.left} {r.op}" + ("" if r.right is None else f" {shown(r.right)}")
            for r in step.rules
        )
        return f"met when {step.match} of: {rules}" if step.rules else "no rules: always met"
    if step.kind == "sleep":
        return f"sleeps {step.seconds:g} s"
    if step.kind == "foreach":
        return f"for each item of {step.items or '?'}"
    if step.kind == "next":
        return "next iteration"
    if step.kind == "runbook":
        return f"starts runbook {step.runbook or '?'} and ends this one"
    if step.kind == "end":
        return f"ends: {step.result}" + (f" {dot} {step.message}" if step.message else "")
    return step.kind


def run_status(
    view: RunView | None, runbook: str, schedule: str = "", last: RunRow | None = None
) -> tuple[str, str]:
    """(text, look) of the status line for the shown run (and the runbook's schedule,
    when it has one and no run is in progress). With no run of this session, ``last``
    is the newest in the journal: runs made by `runbench run` and `serve` count too."""
    if view is None:
        cron = f" · cron {schedule} UTC" if schedule else ""
        if last is not None:
            outcome = last.message or last.error or ""
            text = (
                f"{STATUS_MARKS.get(last.status, ' ')} last run {last.status} "
                f"{short_when(last.started or last.created)} via {last.trigger}"
                + (f": {outcome}" if outcome else "")
                + f" · f5 run{cron}"
            )
            look = {"success": "ok", "failure": "failed"}.get(last.status, "idle")
            return text, look
        return f"{runbook}{cron} · no run yet · f5 run · f9 breakpoint", "idle"
    prefix = "" if view.live else f"history {when(view.started)} · "
    if view.status == "paused":
        return (
            f"‖ {prefix}paused before {view.paused_at} · f10 step · f5 go · shift+f5 stop",
            "paused",
        )
    if view.status in ("running", "queued"):
        where = f" {view.current}" if view.current else ""
        return f"▶ {prefix}{view.status}{where} · shift+f5 stop · f9 breakpoint", "running"
    outcome = view.message or view.error or ""
    mark = "✔" if view.status == "success" else "✘"
    tail = " · History: esc = live" if not view.live else " · f5 run again"
    tail += f" · cron {schedule} UTC" if schedule else ""
    return f"{mark} {prefix}{view.status}" + (
        f": {outcome}" if outcome else ""
    ) + tail, "ok" if view.status == "success" else "failed"


class RunbookPane(Vertical):
    """See the module docstring."""

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii_only = ascii_only
        self.runbook: Runbook | None = None
        self.step: str | None = None
        self.problems: dict[str, list[Problem]] = {}
        self.view: RunView | None = None
        self.breakpoints: Collection[str] = ()
        self._details: RunbookDetails | None = None  # mounted on first use

    def compose(self) -> ComposeResult:
        yield Static("", id="run-status")
        with TabbedContent(id="runbook-tabs"):
            with TabPane("Flow", id="tab-flow"):
                yield FlowchartView(ascii_only=self.ascii_only, id="flowchart")
                yield Static("", id="flow-step")
            with TabPane("Step", id="tab-step"):
                yield StepEditor(id="step-editor")
            with TabPane("Log", id="tab-log"):
                yield RunLog(ascii_only=self.ascii_only, id="run-log")
            with TabPane("Variables", id="tab-vars"):
                yield VariablesPane(id="run-vars")
            with TabPane("History", id="tab-history"):
                yield HistoryView(id="history")
            with TabPane("Details", id="tab-details"):
                yield Vertical(id="details-slot")  # the RunbookDetails: on first use

    def _text(self, text: str) -> str:
        return to_ascii(text) if self.ascii_only else text

    # -- the runbook -------------------------------------------------------------------
    def show_runbook(
        self,
        workspace: Workspace,
        runbook: Runbook,
        step: str | None,
        problems: Sequence[Problem],
        *,
        load: bool,
    ) -> None:
        """Chart and step editor for ``runbook``; ``load`` reloads the editor's fields
        (a new step or a structural edit), else only what derives from the model."""
        changed = self.runbook is None or self.runbook.id != runbook.id
        self.runbook = runbook
        self.problems = step_problems(problems, runbook.id)
        if step is not None and step not in runbook.steps:
            step = None
        self.step = step
        editor = self.query_one(StepEditor)
        if step is not None:
            found = runbook.steps[step]
            if load or editor.step is None or editor.step.id != step or changed:
                editor.show(workspace, runbook, found, self.problems.get(step, []))
            else:
                editor.refresh_derived(workspace, runbook, found, self.problems.get(step, []))
        editor.display = step is not None
        details = self.details()
        if details is not None:
            if load or changed:
                details.show(runbook)
            else:
                details.refresh_derived(runbook)
        self.draw_chart(scroll=True)

    def select_step(self, workspace: Workspace, step: str | None) -> None:
        """The chart cursor moved (or the tree did): load that step's editor."""
        if self.runbook is None:
            return
        self.step = step
        self.query_one(FlowchartView).select(step)
        editor = self.query_one(StepEditor)
        if step is not None and step in self.runbook.steps:
            editor.show(
                workspace, self.runbook, self.runbook.steps[step], self.problems.get(step, [])
            )
            editor.display = True
        self._step_line()

    # -- the run -----------------------------------------------------------------------
    def show_run(
        self,
        view: RunView | None,
        breakpoints: Collection[str],
        values: Mapping[str, Any] | None,
        redact: Callable[[str, Any], Any],
        last: RunRow | None = None,
    ) -> None:
        """Draw ``view`` (live or history; None: no run this session, then ``last`` is
        the newest run in the journal) everywhere it shows."""
        self.view, self.breakpoints = view, breakpoints
        runbook = self.runbook.id if self.runbook else ""
        schedule = self.runbook.schedule if self.runbook else ""
        text, look = run_status(view, runbook, schedule, last)
        status = self.query_one("#run-status", Static)
        show_text(status, self._text(text))
        status.set_classes(f"-{look}")
        self.query_one(RunLog).show(view)
        paused = view is not None and view.live and view.status == "paused"
        self.query_one(VariablesPane).show(view, values, redact, paused)
        self.draw_chart(scroll=False)

    def draw_chart(self, scroll: bool) -> None:
        runbook = self.runbook
        if runbook is None:
            return
        states = self.view.steps if self.view is not None else {}
        marks = chart_marks(runbook.steps, states, self.breakpoints, self.problems)
        box_class: dict[str, str] = {}
        for name in runbook.steps:
            found = self.problems.get(name, [])
            if found:
                box_class[name] = "error" if any(p.is_error for p in found) else "warning"
            if name in states:
                box_class[name] = states[name].status
        taken = set()
        if self.view is not None:
            for step, edge in self.view.taken:
                kind = runbook.steps[step].kind if step in runbook.steps else ""
                taken.add((step, edge_label(kind, edge)))
        notes = [(severity, f"! {text}") for severity, text in problem_lines(self.problems)]
        chart = self.query_one(FlowchartView)
        chart.show(
            runbook_graph(runbook),
            order=flow_order(runbook),
            marks={k: v for k, v in marks.items()},
            box_class=box_class,
            taken=taken,
            notes=[(s, self._text(t)) for s, t in notes],
            selected=self.step,
        )
        if scroll:
            chart.scroll_to_selected()
        self._step_line()

    def _step_line(self) -> None:
        runbook, step = self.runbook, self.step
        widget = self.query_one("#flow-step", Static)
        if runbook is None or step is None or step not in runbook.steps:
            start = runbook.start if runbook else ""
            show_text(
                widget,
                Text(
                    self._text(
                        f"start: {start or '(none)'} · up/down select a "
                        "step · enter edits · a adds a step"
                    ),
                    style="dim",
                ),
            )
            return
        found = runbook.steps[step]
        text = Text(f"{step}", style="bold")
        text.append(f" · {found.kind} · {step_summary(found)}")
        state = self.view.steps.get(step) if self.view is not None else None
        if state is not None and state.status in ("done", "failed"):
            label = edge_label(found.kind, state.edge) if state.edge else "end"
            took = f" · {state.duration_ms:.0f} ms" if state.duration_ms is not None else ""
            text.append(
                f"\n{'✔' if state.status == 'done' else '✘'} {label}"
                + (f" → {state.target}" if state.target else "")
                + took
                + (f" · {state.error}" if state.error else ""),
                style="green" if state.status == "done" else "red",
            )
        elif problems := self.problems.get(step):
            them = "it" if len(problems) == 1 else "them"
            text.append(
                f"\n! {counted(len(problems), 'problem')}: enter shows {them}", style="yellow"
            )
        if self.ascii_only:
            text = Text(to_ascii(text.plain))
        show_text(widget, text)

    # -- tabs --------------------------------------------------------------------------
    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#runbook-tabs", TabbedContent)

    def open_tab(self, tab: str) -> None:
        if tab == "tab-details":
            self.ensure_details()
        self.tabs.active = tab

    def details(self) -> RunbookDetails | None:
        """The details editor, if it has been mounted (kept, not queried: a query walked
        the pane's ~200 widgets on every show of a runbook)."""
        return self._details

    def ensure_details(self) -> RunbookDetails:
        """The details editor, mounted (hidden tabs cost start-up time) on first use."""
        found = self.details()
        if found is None:
            found = RunbookDetails(id="runbook-details")
            if self.runbook is not None:
                found.pending = self.runbook
            self.query_one("#details-slot").mount(found)
            self._details = found
        return found

    def on_mount(self) -> None:
        self.call_after_refresh(place_underlines, self)

    def on_resize(self) -> None:
        self.call_after_refresh(place_underlines, self)

    @on(TabbedContent.TabActivated, "#runbook-tabs")
    def _tab_opened(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-details":
            self.ensure_details()  # not stopped: the app reads History activations


__all__ = ["RunbookPane", "run_status", "step_summary"]
