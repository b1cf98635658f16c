"""Which of a run's trigger values (the ticket, the action) a runbook reads.

A run in Halo starts from a ticket action, which brings both; elsewhere someone has to give
them: the workbench's run dialog asks for the ones the runbook reads, and ``runbench run``
says when one it reads was not given (a run without them fails at the first step that
names them, with an "unknown variable" that does not say where the value was to come from).
"""

from __future__ import annotations

from runbench.core.workspace._model import Runbook, Workspace
from runbench.core.workspace._validate import Checker

TRIGGER_VALUES = frozenset({"ticket", "action"})


def context_used(workspace: Workspace, runbook: Runbook) -> set[str]:
    """Which of ``ticket`` and ``action`` the runbook's steps read."""
    checker = Checker(workspace)
    used: set[str] = set()
    for step in runbook.steps.values():
        keys = ("runbooks", runbook.id, "steps", step.id)
        used |= {name for name, _ in checker.variables_used(step, keys)}
    return used & TRIGGER_VALUES


__all__ = ["TRIGGER_VALUES", "context_used"]
