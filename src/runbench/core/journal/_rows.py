"""What the journal hands out: frozen rows of runs, steps and exchanges.

Kept apart from the storage so every backend (SQLite today, PostgreSQL next) returns the
same shapes, and the CLI and the TUI can type against them without touching storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACTIVE = ("running", "paused")
FINAL = ("success", "failure")
STATUSES = ("queued", "running", "paused", "success", "failure", "interrupted")
INTERRUPTED_STEP = "interrupted: the process died during this step"
"""The error of a step that resume closed because its process died in it: the one kind
of finished step with no next step that a resume runs again (see ``ResumePoint.ended``)."""


@dataclass(frozen=True)
class RunRow:
    """One run as stored: runbook, trigger, inputs, status, where it is, and when."""

    id: str
    runbook: str
    trigger: str
    inputs: dict[str, Any]
    context: dict[str, Any]
    overrides: dict[str, Any]
    status: str
    error: str | None
    message: str | None
    current_step: str | None
    parent_id: str | None
    delivery_id: str | None
    created: float
    started: float | None
    finished: float | None
    crashes: int = 0
    damaged: str | None = None
    """Why this run cannot go on: a stored column does not decode (the row was changed
    outside runbench); it is listed and shown, and claims and resume end it as failed."""

    @property
    def duration(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started


QueuedRun = RunRow


@dataclass(frozen=True)
class StepRow:
    """One step of a run; ``variables_before``/``loops_before`` are rebuilt from the
    changes the journal stores (see ``_history``), so they are whole maps here."""

    run_id: str
    seq: int
    step: str
    kind: str
    variables_before: dict[str, Any]
    loops_before: dict[str, Any]
    outputs: dict[str, Any]
    loops_after: dict[str, Any] | None
    edge: str | None
    target: str | None
    started: float
    duration_ms: float | None
    error: str | None
    finished: bool

    @property
    def variables_after(self) -> dict[str, Any]:
        """The run's variables once this step ended: those before it, with its outputs."""
        return {**self.variables_before, **self.outputs}

    @property
    def loops_after_step(self) -> dict[str, Any]:
        """The loops once this step ended (a step that moves no loop leaves them as they were)."""
        return self.loops_after if self.loops_after is not None else self.loops_before


@dataclass(frozen=True)
class ExchangeRow:
    """One HTTP exchange of a step attempt, as stored (redacted)."""

    run_id: str
    step_seq: int
    step: str
    attempt: int
    request: Any
    response: Any
    error: str | None
    elapsed_ms: float | None


@dataclass(frozen=True)
class ResumePoint:
    """Where a run goes on: the step, the variables and loop state before it, next seq."""

    step: str | None
    variables: dict[str, Any]
    loops: dict[str, Any]
    next_seq: int
    ended: StepRow | None = None
    """The step that ended the run, when its end is recorded but the run's is not: a
    journal of a runbench that wrote them in two commits (before one operation held both),
    killed between them. Such a run is closed, never run again from that step (an end
    step twice, a failed call's side effect twice); ``step`` is that step, the variables
    are those after it."""


@dataclass(frozen=True)
class Claim:
    """A run this journal's owner now holds: a queued one to start, or an interrupted
    one to resume at ``resume`` (its unfinished step already closed)."""

    row: RunRow
    resume: ResumePoint | None = None


__all__ = [
    "ACTIVE",
    "FINAL",
    "INTERRUPTED_STEP",
    "STATUSES",
    "Claim",
    "ExchangeRow",
    "QueuedRun",
    "ResumePoint",
    "RunRow",
    "StepRow",
]
