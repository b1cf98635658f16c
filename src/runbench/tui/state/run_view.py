"""What the workbench knows about one run: built from engine events, or from the journal.

A live run is followed through the frozen events the bridge delivers (``apply``); a past
run is rebuilt from its journal rows (``RunView.from_journal``). Both end up as the same
plain data, so the flowchart marks, the run log, the variables table and the history
detail have one source and cannot disagree about what happened. No widgets here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from runbench.core.engine import (
    Event,
    ExchangeRow,
    OutputsSet,
    ResponseReceived,
    RetryScheduled,
    RunFinished,
    RunPaused,
    RunQueued,
    RunResumed,
    RunRow,
    RunStarted,
    StepFinished,
    StepRow,
    StepStarted,
    VariableChanged,
)
from runbench.tui.state.flow_graph import StepState, edge_label

ACTIVE = ("queued", "running", "paused")


@dataclass(frozen=True)
class LogLine:
    """One line of the run log: a mark (``▶ ✔ ✘ ↻ ‖ ✎ •``), the text, and a kind for
    its colour (info, step, ok, fail, pause, http, child)."""

    mark: str
    text: str
    kind: str = "info"


@dataclass(frozen=True)
class Variable:
    value: Any
    source: str  # a step id, "workspace", "--var", "input", "context", "you", "earlier run"


@dataclass(frozen=True)
class HttpRecord:
    """One HTTP attempt of a step, as the journal stores it (redacted)."""

    step: str
    attempt: int
    request: Mapping[str, Any] | None
    response: Mapping[str, Any] | None
    error: str | None
    elapsed_ms: float | None
    seq: int | None = None  # the journal's step sequence number (history only)


def variable_sources(
    variables: Mapping[str, Any],
    *,
    workspace: Mapping[str, Any],
    overrides: Mapping[str, Any],
    inputs: Iterable[str],
    context: Iterable[str],
    fallback: str = "workspace",
) -> dict[str, Variable]:
    """Initial variables with where each came from (later sources win, like the engine)."""
    inputs, context = set(inputs), set(context) | {"halo_url"}
    result: dict[str, Variable] = {}
    for name, value in variables.items():
        source = (
            "context"
            if name in context
            else "input"
            if name in inputs
            else "--var"
            if name in overrides
            else "workspace"
            if name in workspace
            else fallback
        )
        result[name] = Variable(value, source)
    return result


@dataclass
class RunView:
    """The state of one run as the workbench shows it."""

    run_id: str
    runbook: str
    live: bool = True
    status: str = "running"
    error: str | None = None
    message: str = ""
    current: str | None = None
    paused_at: str | None = None
    trigger: str = "tui"
    started: float | None = None
    finished: float | None = None
    steps: dict[str, StepState] = field(default_factory=dict)
    taken: set[tuple[str, str]] = field(default_factory=set)
    log: list[LogLine] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)
    http: list[HttpRecord] = field(default_factory=list)
    rows: list[StepRow] = field(default_factory=list)
    children: set[str] = field(default_factory=set)
    last_step: str | None = None
    last_kind: str = ""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    # -- live ------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Follow one engine event of this run (or of one of its child runs)."""
        if event.run_id in self.children:
            self._child(event)
            return
        handler: Callable[[Any], None] | None = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def _on_RunQueued(self, event: RunQueued) -> None:
        self.status = "queued"
        self.log.append(LogLine("•", f"queued: {event.reason}", "info"))

    def _on_RunStarted(self, event: RunStarted) -> None:
        self.status = "running"
        start = f" from step {event.from_step}" if event.from_step else ""
        self.log.append(LogLine("•", f"run of {event.runbook} started{start}", "info"))

    def _on_StepStarted(self, event: StepStarted) -> None:
        self.current = event.step
        visits = self.steps[event.step].visits + 1 if event.step in self.steps else 1
        self.steps[event.step] = StepState("running", visits=visits)
        self.log.append(LogLine("▶", f"{event.step} ({event.kind})", "step"))

    def _on_StepFinished(self, event: StepFinished) -> None:
        self.finish_step(
            event.step, event.kind, event.edge, event.target, event.duration_ms, event.error
        )

    def finish_step(
        self,
        step: str,
        kind: str,
        edge: str | None,
        target: str | None,
        duration_ms: float | None,
        error: str | None,
    ) -> None:
        visits = self.steps[step].visits if step in self.steps else 1
        failed = error is not None
        self.steps[step] = StepState(
            "failed" if failed else "done", edge, target, duration_ms, error, visits
        )
        if edge:
            self.taken.add((step, edge))
        self.current = None
        self.last_step, self.last_kind = step, kind
        self.log.append(step_line(step, kind, edge, target, duration_ms, error))

    def _on_RetryScheduled(self, event: RetryScheduled) -> None:
        self.log.append(
            LogLine(
                "↻",
                f"{event.step}: attempt {event.attempt} failed "
                f"({event.reason}); retry in {event.delay:.2f} s",
                "fail",
            )
        )

    def _on_RunPaused(self, event: RunPaused) -> None:
        self.status, self.paused_at = "paused", event.step
        self.current = event.step
        state = self.steps.get(event.step)
        self.steps[event.step] = StepState("paused", visits=state.visits if state else 0)
        self.log.append(LogLine("‖", f"paused before {event.step} ({event.reason})", "pause"))

    def _on_RunResumed(self, event: RunResumed) -> None:
        self.status, self.paused_at = "running", None
        state = self.steps.get(event.step)
        if state is not None and state.status == "paused":  # it runs next (or is stopped)
            self.steps[event.step] = replace(state, status="running")
        self.log.append(LogLine("•", f"resumed at {event.step}", "info"))

    def _on_ResponseReceived(self, event: ResponseReceived) -> None:
        data = event.exchange.to_dict() if hasattr(event.exchange, "to_dict") else {}
        attempt = sum(1 for record in self.http if record.step == event.step) + 1
        self.http.append(
            HttpRecord(
                event.step,
                attempt,
                data.get("request"),
                data.get("response"),
                data.get("error"),
                data.get("elapsed_ms"),
            )
        )
        self.log.append(
            http_line(event.step, data.get("request"), data.get("response"), data.get("error"))
        )

    def _on_OutputsSet(self, event: OutputsSet) -> None:
        for name, value in event.values.items():
            self.variables[name] = Variable(value, event.step)
        if event.values:
            self.log.append(LogLine("•", f"{event.step} set " + ", ".join(event.values), "info"))

    def _on_VariableChanged(self, event: VariableChanged) -> None:
        source = "you" if event.source == "user" else event.source
        self.variables[event.name] = Variable(event.value, source)
        if event.source == "user":
            self.log.append(LogLine("✎", f"{event.name} changed by you", "pause"))

    def _on_RunFinished(self, event: RunFinished) -> None:
        self.end(event.status, event.error, event.message)

    def end(self, status: str, error: str | None, message: str) -> None:
        self.status, self.error, self.message = status, error, message
        self.current = self.paused_at = None
        for name, state in list(self.steps.items()):
            if state.status in ("running", "paused"):
                self.steps[name] = replace(state, status="failed", error=error)
        last = self.steps.get(self.last_step or "")
        if status == "failure" and self.last_kind == "end" and last is not None:
            self.steps[self.last_step or ""] = replace(last, status="failed")
        text = message or error or ""
        ok = status == "success"
        self.log.append(
            LogLine(
                "✔" if ok else "✘",
                f"run {status}" + (f": {text}" if text else ""),
                "ok" if ok else "fail",
            )
        )
        if not ok and error and message:
            self.log.append(LogLine(" ", f"error: {error}", "fail"))

    def _child(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.log.append(LogLine("•", f"child run of {event.runbook} started", "child"))
        elif isinstance(event, StepFinished):
            line = step_line(
                event.step, event.kind, event.edge, event.target, event.duration_ms, event.error
            )
            self.log.append(replace(line, text="  " + line.text, kind="child"))
        elif isinstance(event, RunFinished):
            self.log.append(LogLine("•", f"child run {event.status}: {event.message}", "child"))

    # -- journal ---------------------------------------------------------------------
    @classmethod
    def from_journal(
        cls,
        row: RunRow,
        steps: list[StepRow],
        http: list[ExchangeRow],
        workspace: Mapping[str, Any],
    ) -> RunView:
        """A past run, as ``runbench runs RUN_ID`` shows it."""
        view = cls(
            row.id,
            row.runbook,
            live=False,
            status="running",
            trigger=row.trigger,
            started=row.started or row.created,
            finished=row.finished,
        )
        view.rows = list(steps)
        view.log.append(LogLine("•", f"run of {row.runbook} ({row.trigger})", "info"))
        if steps:
            view.variables = variable_sources(
                steps[0].variables_before,
                workspace=workspace,
                overrides=row.overrides,
                inputs=row.inputs,
                context=row.context,
                fallback="start",
            )
        for step in steps:
            view.steps[step.step] = StepState("running", visits=_visits(view, step.step) + 1)
            if step.finished:
                view.finish_step(
                    step.step, step.kind, step.edge, step.target, step.duration_ms, step.error
                )
                for name, value in step.outputs.items():
                    view.variables[name] = Variable(value, step.step)
            else:
                view.current = step.step
        view.http = [
            HttpRecord(x.step, x.attempt, x.request, x.response, x.error, x.elapsed_ms, x.step_seq)
            for x in http
        ]
        if row.status in ACTIVE or row.status == "interrupted":
            view.status = row.status
            view.error, view.message = row.error, row.message or ""
            if row.status == "interrupted":
                view.log.append(LogLine("✘", f"interrupted: {row.error or ''}", "fail"))
        else:
            view.end(row.status, row.error, row.message or "")
        return view

    def step_rows(self, step: str) -> list[StepRow]:
        return [row for row in self.rows if row.step == step]


def _visits(view: RunView, step: str) -> int:
    state = view.steps.get(step)
    return state.visits if state else 0


def step_line(
    step: str,
    kind: str,
    edge: str | None,
    target: str | None,
    duration_ms: float | None,
    error: str | None,
) -> LogLine:
    """``✔ ask: success → check · 57 ms`` (or ✘ with the reason)."""
    label = edge_label(kind, edge) if edge else "end"
    where = f" → {target}" if target else ""
    took = f" · {duration_ms:.0f} ms" if duration_ms is not None else ""
    why = f" · {error}" if error else ""
    failed = error is not None
    return LogLine(
        "✘" if failed else "✔", f"{step}: {label}{where}{took}{why}", "fail" if failed else "ok"
    )


def http_line(
    step: str,
    request: Mapping[str, Any] | None,
    response: Mapping[str, Any] | None,
    error: str | None,
) -> LogLine:
    sent = f"{request.get('method', '')} {request.get('url', '')}" if request else "(not sent)"
    if response:
        got = f"{response.get('status')} {response.get('reason', '')}".rstrip()
    else:
        got = error or "no response"
    return LogLine(" ", f"  {step}: {sent} → {got}", "http")


__all__ = [
    "ACTIVE",
    "HttpRecord",
    "LogLine",
    "RunView",
    "Variable",
    "http_line",
    "step_line",
    "variable_sources",
]
