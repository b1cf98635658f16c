"""`runbench run WORKSPACE RUNBOOK`: run a runbook headless, with live progress on stderr.

One line per step (name, edge taken, next step, duration) goes to stderr; ``--json``
prints the run record on stdout for scripts. ``--step`` and ``--break STEP`` pause in the
terminal with a plain prompt read from stdin, so a run can be debugged over SSH or
driven by a pipe without the TUI:  (s)tep, (c)ontinue, (p)rint [NAME],
set NAME=VALUE, (q)uit.

``--var NAME=VALUE`` overrides a workspace variable, or sets the runbook input of that
name; ``--input`` only sets inputs (and says so when the name is not one). Values are
parsed as JSON when they parse (``--var n=3`` is the number 3, ``--var s='"3"'`` text).
``--junit FILE`` writes a JUnit XML report for CI (a test case per step, and the outcome).
Exit: 0 success end, 1 failure end (or the run could not go on), 2 usage/workspace error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbench.cli._run_terminal import Terminal
from runbench.core.engine import (
    Engine,
    Journal,
    RunHandle,
    RunResult,
    build_context,
    parse_cli_value,
)
from runbench.core.errors import RunError, UsageError, WorkspaceError, suggest
from runbench.core.secrets import Redactor, Secrets
from runbench.core.workspace import (
    Runbook,
    Workspace,
    context_used,
    counted,
    workspace_errors,
)

if TYPE_CHECKING:  # JUnit (and ElementTree) is imported only when --junit asks for it
    from runbench.core.reports import Suite


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("runbook", help="the runbook to run")
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a workspace variable (or set an input of that name)",
    )
    parser.add_argument(
        "--input", action="append", default=[], metavar="NAME=VALUE", help="set a runbook input"
    )
    parser.add_argument("--ticket", metavar="ID", help="load this ticket from the Halo integration")
    parser.add_argument("--ticket-json", metavar="FILE", help="ticket object (Halo webhook JSON)")
    parser.add_argument("--action-json", metavar="FILE", help="action object (Halo webhook JSON)")
    add_debug_options(parser)


def add_debug_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--break",
        dest="breakpoints",
        action="append",
        default=[],
        metavar="STEP",
        help="pause before STEP (repeatable)",
    )
    parser.add_argument("--step", action="store_true", help="pause before every step")
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where the run journal lives (default: .runbench beside the workspace)",
    )
    add_journal_option(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the run record as JSON on stdout"
    )
    parser.add_argument(
        "--junit", metavar="FILE", help="write a JUnit XML report (a test case per step)"
    )


def add_journal_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--journal",
        metavar="URL",
        help="postgresql://user@host/db (shared by several serve instances) or a SQLite "
        "file; default: $RUNBENCH_JOURNAL, else runs.db in the state dir",
    )


# -- workspace and arguments --------------------------------------------------------
def load_checked(path: str) -> Workspace:
    """The workspace, or exit 2 after printing every error as FILE:LINE: error: ..."""
    workspace, errors = workspace_errors(path)
    if errors:
        for problem in errors:
            print(problem, file=sys.stderr)
        first = errors[0]
        raise WorkspaceError(
            f"{counted(len(errors), 'error')}; fix them first (runbench check)",
            file=first.file,
            line=first.line,
        )
    return workspace


def pairs(values: Sequence[str], flag: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{flag} {item!r}: expected NAME=VALUE")
        result[name.strip()] = parse_cli_value(value)
    return result


def split_vars(runbook: Runbook, variables: dict[str, Any], inputs: dict[str, Any]) -> None:
    """Move --var names that are inputs into ``inputs``; check --input names."""
    for name in list(variables):
        if name in runbook.inputs:
            inputs.setdefault(name, variables.pop(name))
    for name in inputs:
        if name not in runbook.inputs:
            close = suggest(name, runbook.inputs)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            known = ", ".join(runbook.inputs) or "none"
            raise UsageError(f"runbook '{runbook.id}' has no input '{name}'{hint}; inputs: {known}")


def open_journal(
    workspace: Workspace, state_dir: str | None, journal: str | None = None, **kwargs: Any
) -> Journal:
    """``--journal`` (or $RUNBENCH_JOURNAL), else the file in ``state_dir``."""
    from runbench.core.journal import journal_location
    from runbench.core.journal import open_journal as open_at

    return open_at(journal_location(journal), workspace.path, state_dir, **kwargs)


def journal_file(workspace: Workspace, args: argparse.Namespace) -> Path | None:
    """The SQLite journal a command's ``--journal``/``--state-dir`` name (None: a
    database URL)."""
    from runbench.core.journal import is_database_url, journal_location, journal_path

    location = journal_location(args.journal)
    if location and is_database_url(location):
        return None
    return Path(location) if location else journal_path(workspace.path, args.state_dir)


def missing_journal(workspace: Workspace, args: argparse.Namespace) -> Path | None:
    """The SQLite journal's path when no file is there yet (nothing has run with it):
    reading commands say so and create nothing (a mistyped --journal made a new, empty
    journal and its folders before)."""
    path = journal_file(workspace, args)
    return None if path is None or path.exists() else path


def no_run_without_journal(run_id: str, path: Path) -> UsageError:
    """The error for a run asked of a journal that does not exist yet."""
    return UsageError(f"no run {run_id!r}: no journal at {path} yet (nothing has run)")


def redacting(secrets: Secrets, workspace: Workspace) -> Redactor:
    """The redactor of ``secrets``, having learnt every credential the workspace names
    (those that resolve now) and its secret outputs; it learns the rest (OAuth2 tokens,
    secret outputs' values) as the run meets them."""
    secrets.preload(workspace)
    return secrets.redactor


# -- running ------------------------------------------------------------------------
async def drive(
    engine: Engine,
    start: Callable[[], RunHandle],
    terminal: Terminal,
    as_json: bool,
    junit: str | None = None,
) -> int:
    """Start the run with progress and prompt, print the outcome, return the exit code."""
    stream = engine.subscribe()
    watcher = asyncio.create_task(terminal.watch(engine, stream))
    try:
        handle = start()
    except Exception:
        stream.close()
        await watcher
        raise
    result = await handle.result()
    stream.close()
    await watcher
    report(result, terminal, as_json)
    if junit:
        from runbench.core.reports import write_junit

        write_junit(junit, [run_suite(result, terminal.redact)])
    return 0 if result.ok else 1


def run_suite(result: RunResult, redact: Callable[[Any], Any]) -> Suite:
    """A run as a JUnit suite: a case per step (failed when it errored), then the outcome."""
    from runbench.core.reports import Case, Suite

    cases = [
        Case(
            step.step,
            f"{result.runbook}.steps",
            step.duration_ms / 1000,
            (redact(step.error),) if step.error else (),
        )
        for step in result.steps
    ]
    why = result.error or result.message or f"the run ended as {result.status}"
    outcome = () if result.ok else (redact(why),)
    cases.append(Case("outcome", result.runbook, 0.0, outcome, output=f"run {result.run_id}"))
    return Suite(f"runbench run {result.runbook}", cases)


def report(result: RunResult, terminal: Terminal, as_json: bool) -> None:
    status = "succeeded" if result.ok else "FAILED"
    terminal.line(
        f"run {result.run_id} ({result.runbook}) {status}"
        + (f": {result.message}" if result.message else "")
    )
    if result.error and not result.ok:
        terminal.line(f"  error: {result.error}")
    if as_json:
        print(json.dumps(result.to_dict(terminal.redact), indent=2, default=str))


async def _run(
    args: argparse.Namespace,
    workspace: Workspace,
    runbook: Runbook,
    variables: dict[str, Any],
    inputs: dict[str, Any],
) -> int:
    secrets = Secrets(workspace.path, os.environ)
    journal = open_journal(workspace, args.state_dir, args.journal)
    try:
        engine = Engine(workspace, journal=journal, secrets=secrets, trigger="cli")
        context = await build_context(
            workspace,
            secrets=secrets,
            ticket_id=args.ticket,
            ticket_json=args.ticket_json,
            action_json=args.action_json,
            variables={**workspace.variables, **variables},
        )
        terminal = Terminal(sys.stderr, sys.stdin, redacting(secrets, workspace))
        for note in trigger_notes(workspace, runbook, args):
            terminal.line(note)
        for step in args.breakpoints:
            if step not in runbook.steps:
                raise UsageError(f"--break {step}: runbook '{runbook.id}' has no such step")

        def start() -> RunHandle:
            try:
                return engine.start(
                    runbook.id,
                    inputs=inputs,
                    context=context,
                    variables=variables,
                    breakpoints=args.breakpoints,
                    step_mode=args.step,
                )
            except RunError as exc:
                raise UsageError(str(exc)) from None

        return await drive(engine, start, terminal, args.json, args.junit)
    finally:
        journal.close()


def trigger_notes(workspace: Workspace, runbook: Runbook, args: argparse.Namespace) -> list[str]:
    """A note for each trigger value the runbook reads that the run was not given: without
    it the first step that names it fails on an unknown variable (a runbook may test for it
    with has_value, so this is a note, not an error)."""
    given = {"ticket": bool(args.ticket or args.ticket_json), "action": bool(args.action_json)}
    options = {"ticket": "--ticket ID or --ticket-json FILE", "action": "--action-json FILE"}
    return [
        f"note: {runbook.id} reads <<{name}>>, and this run has no {name} (give {options[name]})"
        for name in sorted(context_used(workspace, runbook))
        if not given[name]
    ]


def run(args: argparse.Namespace) -> int:
    workspace = load_checked(args.workspace)
    runbook = workspace.runbooks.get(args.runbook)
    if runbook is None:
        raise UsageError(workspace.unknown_runbook(args.runbook))
    variables = pairs(args.var, "--var")
    inputs = pairs(args.input, "--input")
    split_vars(runbook, variables, inputs)
    return asyncio.run(_run(args, workspace, runbook, variables, inputs))


__all__ = [
    "Terminal",
    "add_debug_options",
    "add_parser",
    "drive",
    "load_checked",
    "open_journal",
    "redacting",
    "run",
]
