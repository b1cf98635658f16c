"""The record of a finished run, as the CLI prints it and the tests check it.

Kept apart from the engine so the journal, the CLI and the TUI can build and read
records without importing the machinery that runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from runbench.core.secrets import Redactor


@dataclass(frozen=True)
class StepRecord:
    """One finished step of a run, as ``RunResult.steps`` and ``--json`` list it."""

    step: str
    kind: str
    edge: str | None
    duration_ms: float
    outputs: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    target: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "kind": self.kind,
            "edge": self.edge,
            "duration_ms": round(self.duration_ms, 3),
            "outputs": dict(self.outputs),
            "error": self.error,
        }


@dataclass(frozen=True)
class RunResult:
    """How a run ended: status, error or message, its steps and final variables."""

    run_id: str
    runbook: str
    status: str  # "success" | "failure"
    error: str | None
    message: str
    steps: list[StepRecord]
    variables: Mapping[str, Any]
    redactor: Redactor | None = field(default=None, repr=False, compare=False)
    """The run's redactor: ``to_dict`` blanks the variables (and anything else) with it."""

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def to_dict(self, redact: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        """The JSON record (``runbench run --json``), redacted by the run's redactor (and
        by ``redact``, when given)."""
        variables = dict(self.variables)
        if self.redactor is not None:
            variables = self.redactor.variables(variables)
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "runbook": self.runbook,
            "status": self.status,
            "error": self.error,
            "message": self.message,
            "steps": [record.to_dict() for record in self.steps],
            "variables": variables,
        }
        if self.redactor is not None:
            data = self.redactor.value(data)
        return redact(data) if redact is not None else data


__all__ = ["RunResult", "StepRecord"]
