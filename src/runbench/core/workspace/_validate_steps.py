"""Checks of the steps that talk to Halo or to data: halo, sql and ai steps.

Split from ``_validate`` (which dispatches ``step_<kind>`` here) because these kinds carry
the most Halo-specific rules: a Halo API action only Halo's number is known for, a SQL step
that needs either a database URL or the workspace's Halo integration, a database URL with
a password written into the shared file, an AI step's integration.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from runbench.core.errors import suggest
from runbench.core.halo import action_ids, find_action
from runbench.core.workspace._model import AI_TYPES, KeyPath, Runbook, Step, Workspace
from runbench.core.workspace._problems import Problem, dotted

DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres")


class CheckerBase:
    """Where problems go; ``Checker`` adds the rest."""

    def __init__(self, workspace: Workspace, errors_only: bool = False) -> None:
        self.ws = workspace
        self.problems: list[Problem] = []
        self.errors_only = errors_only

    def report(self, keys: KeyPath, message: str, severity: str = "error") -> None:
        if self.errors_only and severity != "error":
            return  # nor its line: finding one scans the whole file (LazyKeyLines)
        text = f"{dotted(keys)}: {message}" if keys else message
        self.problems.append(Problem(self.ws.path, self.ws.line_of(keys), severity, text, keys))

    def unknown(self, keys: KeyPath, what: str, name: str, known: Iterable[str]) -> None:
        close = suggest(name, known)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        self.report(keys, f"no {what} '{name}'{hint}")


class StepChecks(CheckerBase):
    def needs_halo(self, keys: KeyPath, kind: str) -> None:
        if not self.ws.halo:
            self.report(
                keys,
                f'{kind} step needs the workspace\'s Halo integration: set halo = "ID" at the top',
            )
        elif self.ws.halo not in self.ws.integrations:
            self.unknown(("halo",), "integration", self.ws.halo, self.ws.integrations)

    def step_halo(self, _runbook: Runbook, step: Step, keys: KeyPath) -> None:
        number = step.halo.get("auto_action_type")
        if not step.action and number is not None:
            self.report(
                keys,
                f"Halo API action number {number} is not one runbench knows: the step fails "
                "when run; choose an action (runbench check lists them) to run it here",
                "warning",
            )
        elif find_action(step.action) is None:
            self.unknown(keys + ("action",), "Halo API action", step.action, action_ids())
        self.needs_halo(keys, "halo")

    def step_sql(self, _runbook: Runbook, step: Step, keys: KeyPath) -> None:
        if not step.query.strip():
            self.report(keys, 'sql step needs query = "SELECT ..."')
        if step.max_rows < 1:
            self.report(keys + ("max_rows",), "must be 1 or more")
        database = step.database
        if not database:
            self.needs_halo(keys, "sql (without database)")
        elif isinstance(database, str):
            self.literal_database(keys + ("database",), database)

    def literal_database(self, keys: KeyPath, url: str) -> None:
        scheme, _, _ = url.partition(":")
        if scheme not in DATABASE_SCHEMES:
            self.report(
                keys,
                f"'{scheme}' is not a database runbench opens: use sqlite:///FILE "
                "(relative to the workspace) or postgresql://HOST/DB",
            )
        elif urlsplit(url).password:
            self.report(
                keys,
                "a password is written into the workspace file; use "
                '{ env = "NAME" } or { secret = "NAME" } for the whole URL',
                "warning",
            )

    def step_ai(self, _runbook: Runbook, step: Step, keys: KeyPath) -> None:
        if not step.integration:
            self.report(keys, 'ai step needs integration = "ID" (an OpenAI-compatible one)')
        elif step.integration not in self.ws.integrations:
            self.unknown(
                keys + ("integration",), "integration", step.integration, self.ws.integrations
            )
        if not step.prompt.strip() and not step.args:
            self.report(keys, "ai step needs a prompt, or args to send as the prompt")
        if step.ai_type not in AI_TYPES:
            self.report(keys + ("ai_type",), f"must be one of {', '.join(AI_TYPES)}")


__all__ = ["CheckerBase", "StepChecks"]
