"""Cross-checks of a workspace: what `runbench check` adds to shape checks.

It catches before a run what Halo only finds at run time: references to integrations,
methods, steps or runbooks that do not exist, a missing start, steps without the edge
they need ("Next step not found"), unreachable steps, bad output paths, and
``<<variables>>`` that nothing can have set by the time a step runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType

from runbench.core.errors import ExpressionError, suggest
from runbench.core.expressions import compile_path, parse_template
from runbench.core.halo import find_action
from runbench.core.workspace._ids import ID_HINT, id_problem
from runbench.core.workspace._load import read_workspace
from runbench.core.workspace._model import (
    EDGE_KEYS,
    OPERATORS,
    UNARY_OPERATORS,
    Integration,
    KeyPath,
    Method,
    Runbook,
    Step,
    Workspace,
)
from runbench.core.workspace._problems import Problem
from runbench.core.workspace._validate_steps import StepChecks

CONTEXT_VARIABLES = ("ticket", "action", "halo_url")
REQUIRED_EDGES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "method": ("on_success",),
        "halo": ("on_success",),
        "sql": ("on_success",),
        "ai": ("on_success",),
        "condition": ("on_true", "on_false"),
        "sleep": ("next",),
        "foreach": ("on_item",),
        "next": ("loop", "on_done"),
    }
)
OPTIONAL_EDGES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "method": ("on_failure",),
        "halo": ("on_failure",),
        "sql": ("on_failure",),
        "ai": ("on_failure",),
        "foreach": ("on_empty",),
    }
)
STEP_OUTPUT_ROOTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "method": ("response", "status", "headers"),
        "halo": ("response", "status", "headers"),
        "ai": ("response", "status", "headers"),
        "sql": ("response",),
        "foreach": ("response",),
    }
)
"""Which roots the output paths declared on a step may use (``response`` is the element
of a foreach step, the answer of an HTTP step)."""
_AUTH_NEEDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "api_key": ("name", "value"),
        "bearer": ("token",),
        "basic": ("username", "password"),
        "oauth2": ("token_url", "client_id", "client_secret"),
    }
)


class Checker(StepChecks):
    def check_ids(self) -> None:
        """Every integration, method, runbook and step id obeys the id rule."""
        for integration in self.ws.integrations.values():
            self.check_id(("integrations", integration.id), "integration")
            for method in integration.methods.values():
                self.check_id(("integrations", integration.id, "methods", method.id), "method")
        for runbook in self.ws.runbooks.values():
            self.check_id(("runbooks", runbook.id), "runbook")
            for step in runbook.steps.values():
                self.check_id(("runbooks", runbook.id, "steps", step.id), "step")

    def check_id(self, keys: KeyPath, what: str) -> None:
        if id_problem(keys[-1]) is not None:
            self.report(keys, f"'{keys[-1]}' is not a valid {what} id ({ID_HINT}); rename it")

    # -- templates -------------------------------------------------------------
    def template_vars(self, keys: KeyPath, text: str) -> set[str]:
        """Root variable names used by ``text``; syntax errors are reported."""
        try:
            return set(parse_template(text).variables)
        except ExpressionError as exc:
            self.report(keys, f"bad template: {_one_line(exc)}")
            return set()

    def check_path(self, keys: KeyPath, path: str, roots: tuple[str, ...] | None) -> None:
        try:
            compile_path(path, roots=roots)
        except ExpressionError as exc:
            self.report(keys, f"bad output path: {_one_line(exc)}")

    # -- integrations ----------------------------------------------------------
    def check_integration(self, integration: Integration) -> None:
        keys: KeyPath = ("integrations", integration.id)
        self.template_vars(keys + ("base_url",), integration.base_url)
        auth = integration.auth
        for field in _AUTH_NEEDS.get(auth.type, ()):
            if not getattr(auth, field):
                self.report(keys + ("auth",), f"{auth.type} auth needs '{field}'")
        if auth.type == "oauth2" and auth.grant == "password" and not auth.username:
            self.report(keys + ("auth",), "oauth2 password grant needs 'username' and 'password'")
        for method in integration.methods.values():
            self.check_method(method)

    def method_vars(self, method: Method) -> set[str]:
        keys: KeyPath = ("integrations", method.integration, "methods", method.id)
        used = self.template_vars(keys + ("path",), method.path)
        for section in ("query", "headers"):
            for name, value in getattr(method, section).items():
                used |= self.template_vars(keys + (section, name), value)
        return used | self.template_vars(keys + ("body",), method.body)

    def check_method(self, method: Method) -> None:
        keys: KeyPath = ("integrations", method.integration, "methods", method.id)
        self.method_vars(method)
        for output in method.outputs:
            self.check_path(
                keys + ("outputs", output.name), output.path, ("response", "status", "headers")
            )
        if method.expect is not None:
            declared = {output.name for output in method.outputs}
            for name in method.expect.outputs:
                if name not in declared:
                    self.unknown(keys + ("expect", "outputs", name), "output", name, declared)
        if method.body and method.verb == "GET":
            self.report(
                keys + ("body",), "a GET request with a body: most servers ignore it", "warning"
            )

    # -- runbooks --------------------------------------------------------------
    def check_runbook(self, runbook: Runbook) -> None:
        keys: KeyPath = ("runbooks", runbook.id)
        if not runbook.steps:
            self.report(keys, f"has no steps: add [runbooks.{runbook.id}.steps.NAME] tables")
            return
        if not runbook.start:
            self.report(keys, 'missing start: set start = "STEP" to the first step')
        elif runbook.start not in runbook.steps:
            self.unknown(keys + ("start",), "step", runbook.start, runbook.steps)
        for step in runbook.steps.values():
            self.check_step(runbook, step)
        if runbook.schedule:
            self.check_schedule(runbook, keys + ("schedule",))
        reachable = reachable_steps(runbook)
        for step in runbook.steps.values():
            if runbook.start in runbook.steps and step.id not in reachable:
                self.report(
                    keys + ("steps", step.id),
                    f"step '{step.id}' is unreachable from start '{runbook.start}'",
                    "warning",
                )
        self.check_variables(runbook)

    def check_schedule(self, runbook: Runbook, keys: KeyPath) -> None:
        """A schedule must parse, and a scheduled run has no payload: every input needs
        a default."""
        from runbench.core.schedule import cron_problem  # here: most workspaces have none

        why = cron_problem(runbook.schedule)
        if why is not None:
            self.report(
                keys,
                f"{runbook.schedule!r} is not a cron expression ({why}); "
                'five fields: minute hour day month weekday, e.g. "*/15 * * * *"',
            )
        required = [spec.name for spec in runbook.inputs.values() if not spec.has_default]
        if required:
            self.report(
                keys,
                f"scheduled runs have no payload, so input(s) {', '.join(required)} need a default",
            )

    def check_step(self, runbook: Runbook, step: Step) -> None:
        keys: KeyPath = ("runbooks", runbook.id, "steps", step.id)
        roots = STEP_OUTPUT_ROOTS.get(step.kind)
        for output in step.outputs if roots else ():
            self.check_path(keys + ("outputs", output.name), output.path, roots)
        for edge in REQUIRED_EDGES.get(step.kind, ()):
            if not step.edge(edge):
                self.report(
                    keys,
                    f"{step.kind} step has no '{edge}' edge (the run would stop with 'next step not found')",
                )
        for edge in OPTIONAL_EDGES.get(step.kind, ()):
            if not step.edge(edge):
                self.report(
                    keys, f"no '{edge}' edge: reaching it ends the run as failed", "warning"
                )
        for edge, target in step.edges.items():
            if target and target not in runbook.steps:
                self.unknown(keys + (edge,), "step", target, runbook.steps)
        getattr(self, f"step_{step.kind}", lambda *_: None)(runbook, step, keys)

    def step_method(self, _runbook: Runbook, step: Step, keys: KeyPath) -> None:
        if not step.method:
            self.report(keys, 'method step needs method = "integration.method"')
        elif self.ws.method(step.method) is None:
            integration, _, name = step.method.partition(".")
            if integration not in self.ws.integrations:
                self.unknown(keys + ("method",), "integration", integration, self.ws.integrations)
            else:
                self.unknown(
                    keys + ("method",),
                    "method",
                    step.method,
                    [f"{integration}.{m}" for m in self.ws.integrations[integration].methods],
                )

    def step_condition(self, _runbook: Runbook, step: Step, keys: KeyPath) -> None:
        for index, rule in enumerate(step.rules):
            where = keys + ("rules", str(index))
            if rule.op not in OPERATORS:
                self.unknown(where, "operator", rule.op, OPERATORS)
            elif rule.op not in UNARY_OPERATORS and rule.right is None:
                self.report(where, f"operator '{rule.op}' needs a right side: add right = ...")
            elif rule.op == "matches":
                try:
                    re.compile(str(rule.right))
                except re.error as exc:
                    self.report(where, f"bad regular expression: {exc}")

    def step_foreach(self, _runbook: Runbook, step: Step, keys: KeyPath) -> None:
        if not step.items:
            self.report(keys, 'foreach step needs items = "<<ListVariable>>"')

    def step_next(self, runbook: Runbook, step: Step, keys: KeyPath) -> None:
        loop = step.edge("loop")
        if loop and loop in runbook.steps and runbook.steps[loop].kind != "foreach":
            self.report(
                keys + ("loop",),
                f"loop must name a foreach step; '{loop}' is a {runbook.steps[loop].kind} step",
            )

    def step_runbook(self, _runbook: Runbook, step: Step, keys: KeyPath) -> None:
        if step.runbook not in self.ws.runbooks:
            self.unknown(keys + ("runbook",), "runbook", step.runbook, self.ws.runbooks)

    # -- variables -------------------------------------------------------------
    def check_variables(self, runbook: Runbook) -> None:
        base = set(self.ws.variables) | set(runbook.inputs) | set(CONTEXT_VARIABLES)
        ancestors = step_ancestors(runbook)
        for step in runbook.steps.values():
            keys: KeyPath = ("runbooks", runbook.id, "steps", step.id)
            known = set(base)
            for before in ancestors.get(step.id, set()):
                known |= output_names(self.ws, runbook.steps[before])
            no_ticket = runbook.public and not runbook.endpoint.halo_webhook
            for name, where in self.variables_used(step, keys):
                from_ticket = name in ("ticket", "action") or (
                    is_custom_field(name) and name not in known
                )
                if no_ticket and from_ticket:
                    what = (
                        f"<<{name}^...>> is used by a public runbook; it never exists"
                        if name in ("ticket", "action")
                        else f"<<{name}>> is a ticket custom field; a public runbook has none"
                    )
                    self.report(where, f"{what} on public-endpoint runs", "warning")
                elif name not in known and not from_ticket:
                    close = suggest(name, known)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    self.report(
                        where,
                        f"<<{name}>> is never set before step '{step.id}': no input, workspace variable or earlier step sets it{hint}",
                        "warning",
                    )

    def variables_used(self, step: Step, keys: KeyPath) -> Iterator[tuple[str, KeyPath]]:
        texts: list[tuple[KeyPath, str]] = [
            (keys + ("args", k), v) for k, v in step.args.items() if isinstance(v, str)
        ]
        if step.kind == "method":
            method = self.ws.method(step.method)
            own = self.method_vars(method) if method else set()
            for name in sorted(own - set(step.args)):
                yield name, keys + ("method",)
        if step.kind == "halo":
            action = find_action(step.action)
            texts.append(
                (
                    keys + ("body",),
                    step.body
                    if step.body is not None
                    else (action.body_template if action else ""),
                )
            )
        texts += [
            (keys + ("rules", str(i), side), str(getattr(r, side)))
            for i, r in enumerate(step.rules)
            for side in ("left", "right")
            if isinstance(getattr(r, side), str)
        ]
        texts += [(keys + ("items",), step.items), (keys + ("message",), step.message)]
        texts += [(keys + ("query",), step.query)]
        if step.kind == "ai":  # the prompt also sees the step's own args
            own = set(step.args)
            for name in sorted(self.template_vars(keys + ("prompt",), step.prompt) - own):
                yield name, keys + ("prompt",)
        for where, text in texts:
            for name in sorted(self.template_vars(where, text)):
                yield name, where


def is_custom_field(name: str) -> bool:
    """``CFname``: a ticket custom field, which Halo (and runbench) expose as a variable."""
    return len(name) > 2 and name.startswith("CF") and name[2].isalnum()


def output_names(workspace: Workspace, step: Step) -> set[str]:
    names = {output.name for output in step.outputs}
    if step.kind == "method":
        method = workspace.method(step.method)
        names |= {output.name for output in method.outputs} if method else set()
    return names


def successors(step: Step) -> list[str]:
    return [target for key, _ in EDGE_KEYS[step.kind] if (target := step.edge(key))]


def reachable_steps(runbook: Runbook) -> set[str]:
    seen: set[str] = set()
    todo = [runbook.start] if runbook.start in runbook.steps else []
    while todo:
        current = todo.pop()
        if current in seen or current not in runbook.steps:
            continue
        seen.add(current)
        todo.extend(successors(runbook.steps[current]))
    return seen


def step_ancestors(runbook: Runbook) -> dict[str, set[str]]:
    """For each step, the steps that can run before it (any path from start)."""
    parents: dict[str, set[str]] = {name: set() for name in runbook.steps}
    for step in runbook.steps.values():
        for target in successors(step):
            if target in parents:
                parents[target].add(step.id)
    result: dict[str, set[str]] = {}
    for name in runbook.steps:
        seen: set[str] = set()
        todo = list(parents[name])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(parents[current])
        result[name] = seen
    return result


def check_workspace(workspace: Workspace, *, errors_only: bool = False) -> list[Problem]:
    """Every cross-reference problem of ``workspace``, in file order; ``errors_only``: no
    warnings (what runs a workspace stops only at errors, and prints nothing else)."""
    checker = Checker(workspace, errors_only)
    checker.check_ids()
    if workspace.halo and workspace.halo not in workspace.integrations:
        checker.unknown(("halo",), "integration", workspace.halo, workspace.integrations)
    for integration in workspace.integrations.values():
        checker.check_integration(integration)
    for runbook in workspace.runbooks.values():
        checker.check_runbook(runbook)
    return checker.problems


def workspace_errors(path: str | Path) -> tuple[Workspace, list[Problem]]:
    """The workspace at ``path`` and its errors (reading and cross-references; no
    warnings), in file order: what a command that runs a workspace must refuse."""
    workspace, problems = read_workspace(path)
    errors = [p for p in problems if p.is_error] + check_workspace(workspace, errors_only=True)
    return workspace, sorted(errors, key=lambda p: p.line or 0)


def _one_line(exc: Exception) -> str:
    return str(exc).splitlines()[0]
