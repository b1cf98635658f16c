"""`runbench resume WORKSPACE RUN_ID`: go on with a run whose process died.

Opening the journal marks runs whose owning process is gone as *interrupted*; this
command restarts such a run at the step it was in (that step runs again, from the
variables it started with), keeping the same run id and the steps already recorded.
Progress, prompt, --json and exit codes are those of `runbench run`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from runbench.cli.cmd_run import (
    Terminal,
    add_debug_options,
    drive,
    load_checked,
    missing_journal,
    no_run_without_journal,
    open_journal,
    redacting,
)
from runbench.core.engine import Engine, RunHandle
from runbench.core.errors import RunError, UsageError
from runbench.core.secrets import Secrets


def add_parser(subparsers: Any, name: str, help_text: str) -> None:
    parser = subparsers.add_parser(name, help=help_text, description=__doc__.splitlines()[0])
    parser.add_argument("workspace", help="the workspace TOML file")
    parser.add_argument("run_id", help="the interrupted run (a unique prefix is enough)")
    add_debug_options(parser)


async def _resume(args: argparse.Namespace) -> int:
    workspace = load_checked(args.workspace)
    missing = missing_journal(workspace, args)
    if missing is not None:
        raise no_run_without_journal(args.run_id, missing)
    secrets = Secrets(workspace.path, os.environ)
    journal = open_journal(workspace, args.state_dir, args.journal)
    try:
        engine = Engine(workspace, journal=journal, secrets=secrets)
        terminal = Terminal(sys.stderr, sys.stdin, redacting(secrets, workspace))
        try:
            row = journal.find_run(args.run_id)
        except RunError as exc:  # a run id the journal does not know is bad input
            raise UsageError(str(exc)) from None
        if row.runbook not in workspace.runbooks:
            raise UsageError(
                f"run {row.id} is of runbook '{row.runbook}', which is no longer "
                f"in {workspace.path}"
            )

        def start() -> RunHandle:
            try:
                handle = engine.resume(row.id, breakpoints=args.breakpoints, step_mode=args.step)
            except RunError as exc:  # damaged: ended as failed, and said so (nothing resumed)
                raise UsageError(str(exc)) from None
            if handle.closed is not None:  # an old journal's run: nothing runs again
                terminal.line(f"closing run {row.id} ({row.runbook}): {handle.closed}")
            else:
                terminal.line(f"resuming run {row.id} ({row.runbook}) at step '{row.current_step}'")
            if handle.withheld:
                terminal.line(
                    f"note: {', '.join(handle.withheld)} held secrets, which the journal never "
                    "keeps; a step that uses them fails (rerun from the step that set them)"
                )
            return handle

        return await drive(engine, start, terminal, args.json)
    finally:
        journal.close()


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_resume(args))
