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
import itertools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from runbench.cli.controls import shown_controls
from runbench.core.engine import (
    Engine,
    EventStream,
    Journal,
    RetryScheduled,
    RunHandle,
    RunPaused,
    RunResult,
    StepFinished,
    StepStarted,
    build_context,
    parse_cli_value,
)
from runbench.core.errors import RunError, UsageError, WorkspaceError, suggest
from runbench.core.secrets import Redactor, Secrets
from runbench.core.workspace import (
    Runbook,
    Workspace,
    counted,
    workspace_errors,
)

if TYPE_CHECKING:  # JUnit (and ElementTree) is imported only when --junit asks for it
    from runbench.core.reports import Suite

HELP = "commands: s(tep), c(ontinue), p(rint) [NAME], set NAME=VALUE, q(uit)"


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


# -- terminal -----------------------------------------------------------------------
class Terminal:
    """Progress lines, a TTY-only spinner, and the debugger prompt on stdin."""

    def __init__(self, out: TextIO, stdin: TextIO, redactor: Redactor) -> None:
        self.out = out
        self.stdin = stdin
        self.redactor = redactor
        self.redact: Callable[[Any], Any] = redactor.value
        self.tty = out.isatty()
        self._spinner: asyncio.Task[None] | None = None

    def line(self, text: str) -> None:
        """``text`` redacted; on a terminal, its control characters shown, not obeyed."""
        self._stop_spinner()
        text = self.redactor.text(text)
        if self.tty:
            text = shown_controls(text)
        self.out.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.out.flush()

    def spin(self, label: str) -> None:
        if self.tty:
            self._stop_spinner()
            self._spinner = asyncio.get_running_loop().create_task(self._spin(label))

    async def _spin(self, label: str) -> None:
        for frame in itertools.cycle("|/-\\"):
            self.out.write(f"\r\033[K{frame} {label}")
            self.out.flush()
            await asyncio.sleep(0.1)

    def _stop_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.cancel()
            self._spinner = None

    async def readline(self, prompt: str) -> str | None:
        self.line(prompt)
        text = await asyncio.get_running_loop().run_in_executor(None, self.stdin.readline)
        return text.strip() if text else None

    async def watch(self, engine: Engine, stream: EventStream) -> None:
        async for event in stream:
            if isinstance(event, StepStarted):
                self.spin(f"{event.step} ({event.kind})")
            elif isinstance(event, StepFinished):
                self.line(step_line(event))
            elif isinstance(event, RetryScheduled):
                self.line(
                    f"  retry {event.step}: attempt {event.attempt} failed ({event.reason}),"
                    f" waiting {event.delay:.2f} s"
                )
            elif isinstance(event, RunPaused):
                handle = engine.handle(event.run_id)
                if handle is not None:
                    await self.prompt(handle, event)
        self._stop_spinner()

    async def prompt(self, handle: RunHandle, event: RunPaused) -> None:
        debugger = handle.debugger
        while True:
            text = await self.readline(f"paused before '{event.step}' ({event.reason}) > ")
            if text is None:  # stdin closed: run to the end without asking again
                debugger.breakpoints.clear()
                debugger.continue_()
                return
            command, _, rest = text.partition(" ")
            if command in ("", "s", "step"):
                debugger.step()
                return
            if command in ("c", "continue"):
                debugger.continue_()
                return
            if command in ("q", "quit"):
                debugger.stop()
                return
            self.command(handle, command, rest.strip())

    def command(self, handle: RunHandle, command: str, rest: str) -> None:
        debugger = handle.debugger
        if command in ("p", "print"):
            values = self.redactor.variables(debugger.variables())
            shown = {rest: values.get(rest, "<not set>")} if rest else values
            for name, value in shown.items():
                self.line(f"  {name} = {json.dumps(value, default=str)}")
        elif command == "set":
            name, sep, value = rest.partition("=")
            if not sep or not name.strip():
                self.line("  usage: set NAME=VALUE")
                return
            debugger.set_variable(name.strip(), parse_cli_value(value.strip()))
            self.line(f"  {name.strip()} set")
        else:
            self.line(f"  unknown command {command!r}; {HELP}")


def step_line(event: StepFinished) -> str:
    edge = event.edge or "end"
    target = f" -> {event.target}" if event.target else ""
    error = f"  ({event.error})" if event.error else ""
    return f"  {event.step:<20} {edge}{target}  {event.duration_ms:.1f} ms{error}"


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
